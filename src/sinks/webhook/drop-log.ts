/**
 * The log of a webhook's dropped notices: at most one line per reason every `intervalMs`, with
 * how many were dropped since the last line and the last answer or error, so a full queue or a
 * refusing endpoint says so without flooding the log.
 */
import type { Logger } from 'pino';
import type { DropReason } from './delivery-queue.js';

const MESSAGES: Record<DropReason, string> = {
  queue_full: 'webhook queue full: notices dropped (the endpoint is slower than the Events; Loki still has every line)',
  rejected: 'webhook endpoint refused notices (4xx, not retried)',
  failed: 'webhook notices dropped after their last retry',
  stopped: 'webhook notices not delivered before the stop timeout',
};

export class DropLog {
  private readonly pending = new Map<DropReason, { count: number; detail?: string }>();
  private readonly lastLogged = new Map<DropReason, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly receiver: string,
    private readonly log: Logger,
    private readonly intervalMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  dropped(why: DropReason, count: number, detail?: string): void {
    const entry = this.pending.get(why) ?? { count: 0 };
    entry.count += count;
    if (detail !== undefined) entry.detail = detail;
    this.pending.set(why, entry);
    const last = this.lastLogged.get(why);
    if (last === undefined || this.now() - last >= this.intervalMs) this.write(why);
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.intervalMs);
      this.timer.unref();
    }
  }

  /** Writes every count not logged yet. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const why of [...this.pending.keys()]) this.write(why);
  }

  private write(why: DropReason): void {
    const entry = this.pending.get(why);
    if (!entry) return;
    this.pending.delete(why);
    this.lastLogged.set(why, this.now());
    this.log.warn({ receiver: this.receiver, why, dropped: entry.count, ...(entry.detail ? { last: entry.detail } : {}) }, MESSAGES[why]);
  }
}
