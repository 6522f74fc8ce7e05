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

interface Pending {
  count: number;
  detail?: string;
  /** when a line for this reason was last written; -Infinity before the first */
  loggedAt: number;
}

export class DropLog {
  /** One entry per reason, made up front: a full queue drops every line, and counting one must cost next to nothing. */
  private readonly pending: Record<DropReason, Pending> = {
    queue_full: { count: 0, loggedAt: -Infinity },
    rejected: { count: 0, loggedAt: -Infinity },
    failed: { count: 0, loggedAt: -Infinity },
    stopped: { count: 0, loggedAt: -Infinity },
  };
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly receiver: string,
    private readonly log: Logger,
    private readonly intervalMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  dropped(why: DropReason, count: number, detail?: string): void {
    const entry = this.pending[why];
    entry.count += count;
    if (detail !== undefined) entry.detail = detail;
    // A reason already logged once waits for the flush that is due anyway: no clock read per drop.
    if (this.timer && entry.loggedAt !== -Infinity) return;
    if (this.now() - entry.loggedAt >= this.intervalMs) this.write(why);
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.intervalMs);
      this.timer.unref();
    }
  }

  /** Writes every count not logged yet. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const why of Object.keys(this.pending) as DropReason[]) this.write(why);
  }

  private write(why: DropReason): void {
    const entry = this.pending[why];
    if (entry.count === 0) return;
    const { count, detail } = entry;
    entry.count = 0;
    entry.detail = undefined;
    entry.loggedAt = this.now();
    this.log.warn({ receiver: this.receiver, why, dropped: count, ...(detail !== undefined ? { last: detail } : {}) }, MESSAGES[why]);
  }
}
