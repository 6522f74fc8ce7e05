import type { EventLine, RawEvent } from '../../src/line/event-line.js';
import { eventually } from './capture-sink.js';
import type { EventWriter } from './kube-events.js';

/**
 * Where a test reads what a receiver got: a CaptureSink or an exporter process (their `lines`), or
 * a function that reads them when called (a file, a process's stdout text).
 */
export type LineSource = { readonly name?: string; readonly lines: readonly EventLine[] } | (() => readonly EventLine[]);

/** The reason of every sentinel Event: its line is told apart from the lines under test by it. */
export const SENTINEL_REASON = 'TestSentinel';

export const isSentinel = (line: EventLine): boolean => line.reason === SENTINEL_REASON;

/** What the sentinel must look like for the route under test to send it to every receiver waited on. */
export interface SentinelShape {
  type?: 'Normal' | 'Warning';
  kind?: string;
}

/**
 * Writes a sentinel Event last and waits for its line, instead of sleeping "to let any wrong extra
 * line arrive"; returns, for each source, the lines that came before the sentinel's, without it.
 *
 * Why that is enough: the API server delivers one watch's notifications in resourceVersion order,
 * and the sentinel is written after everything the test did, so it is the last notification that
 * watch delivers of them; the exporter handles a watch's notifications one after another. Once the
 * sentinel's line is out, every line the earlier writes could cause is out too, wrong ones
 * included. Some care this takes:
 * - One sentinel per namespace: an exporter given a list of namespaces runs one watch per
 *   namespace, ordered only within itself. With a single watch of all namespaces one is enough.
 * - Each receiver waited on must get the sentinel's line itself (give `shape` so the route sends it
 *   there): a receiver written after another gets a line a moment later, and a receiver's lines
 *   may pass through a pipe or a file of their own.
 * - A list (a first start, a relist after 410 Gone) is either taken before the sentinel exists,
 *   and the sentinel comes in the watch after it, or holds it; the exporter writes a list page
 *   oldest first, and the sentinel's time is a second after now, so it comes last in its page.
 *   A list of more than one page (over 500 Events in one watch's scope) would order the sentinel
 *   only within its own page: the tests' namespaces hold far fewer.
 */
export async function linesBeforeSentinel(
  writer: EventWriter,
  namespaces: string | readonly string[],
  source: LineSource,
  shape?: SentinelShape,
): Promise<EventLine[]>;
export async function linesBeforeSentinel(
  writer: EventWriter,
  namespaces: string | readonly string[],
  sources: readonly LineSource[],
  shape?: SentinelShape,
): Promise<EventLine[][]>;
export async function linesBeforeSentinel(
  writer: EventWriter,
  namespaces: string | readonly string[],
  sources: LineSource | readonly LineSource[],
  shape: SentinelShape = {},
): Promise<EventLine[] | EventLine[][]> {
  const many = Array.isArray(sources);
  const list: readonly LineSource[] = many ? sources : [sources as LineSource];
  const sentinels: RawEvent[] = [];
  for (const namespace of typeof namespaces === 'string' ? [namespaces] : namespaces) {
    sentinels.push(
      await writer.create(
        namespace,
        { reason: SENTINEL_REASON, objectName: 'sentinel', message: 'every line before this one is out', ...shape },
        new Date(Date.now() + 1000),
      ),
    );
  }
  const uids = new Set(sentinels.map((s) => s.metadata.uid));
  const found = await Promise.all(
    list.map(async (source, i) => {
      const read = typeof source === 'function' ? source : () => source.lines;
      const name = typeof source === 'function' ? `source ${i}` : (source.name ?? `source ${i}`);
      let lines: readonly EventLine[] = [];
      await eventually(`the sentinel's line in ${name} (${[...uids].join(', ')}): does the route send it there?`, () => {
        lines = read();
        const seen = new Set(lines.filter((l) => uids.has(l.metadata.uid)).map((l) => l.metadata.uid));
        return seen.size === uids.size;
      });
      const last = Math.max(...[...uids].map((uid) => lines.findIndex((l) => l.metadata.uid === uid)));
      return lines.slice(0, last).filter((l) => !isSentinel(l));
    }),
  );
  return many ? found : found[0]!;
}
