import type { EventLine } from '../../src/line/event-line.js';
import type { Sink } from '../../src/sinks/sink.js';

/** A receiver that keeps lines in memory, as JSON round-tripped copies of what was written. */
export class CaptureSink implements Sink {
  readonly lines: EventLine[] = [];
  constructor(readonly name: string) {}
  write(line: EventLine): void {
    this.lines.push(JSON.parse(JSON.stringify(line)) as EventLine);
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

/** Polls until `check` returns true; fails with `what` when the deadline passes (a deadline, not a timing assertion). */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Sum of delta per Event uid, and every (uid, count) pair written more than once. */
export function occurrenceLedger(lines: readonly EventLine[]): { byUid: Map<string, number>; repeatedPairs: string[] } {
  const byUid = new Map<string, number>();
  const pairs = new Set<string>();
  const repeatedPairs: string[] = [];
  for (const line of lines) {
    const uid = line.metadata.uid!;
    byUid.set(uid, (byUid.get(uid) ?? 0) + line.delta);
    const pair = `${uid}/${line.count}`;
    if (pairs.has(pair)) repeatedPairs.push(pair);
    pairs.add(pair);
  }
  return { byUid, repeatedPairs };
}
