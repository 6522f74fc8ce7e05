/**
 * A webhook's bounded queue and its one sender. `push` never waits: when the queue is full the
 * notice is dropped and counted, so a slow, failing or hanging endpoint costs the pipeline
 * nothing and memory stays at `capacity` notices. The sender takes one notice at a time, waits
 * for the rate limiter, and retries it as the retry policy says; other notices wait behind it
 * (order kept, and a failing endpoint is not hammered by concurrent requests).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { TokenBucket } from '../../token-bucket.js';
import { type AttemptOutcome, decide, type RetryOptions } from './retry-policy.js';

export type DropReason = 'queue_full' | 'rejected' | 'failed' | 'stopped';

export interface DeliveryEvents<T> {
  sent(item: T): void;
  retried(item: T, why: string, afterMs: number): void;
  dropped(why: DropReason, count: number, detail?: string): void;
  queueLength(length: number): void;
}

export interface DeliveryOptions {
  capacity: number;
  retry: RetryOptions;
  now?: () => number;
  random?: () => number;
}

export class DeliveryQueue<T> {
  private items: T[] = [];
  private head = 0;
  private running: Promise<void> | undefined;
  private readonly stopping = new AbortController();
  /** `stopping.signal.aborted` as a plain field: push reads it per line, the signal's getters cost more than the rest of a drop */
  private stopped = false;
  private inFlight: T | undefined;

  constructor(
    private readonly options: DeliveryOptions,
    private readonly limiter: TokenBucket,
    /** one request; the signal aborts it at stop */
    private readonly attempt: (item: T, signal: AbortSignal) => Promise<AttemptOutcome>,
    private readonly events: DeliveryEvents<T>,
  ) {}

  get length(): number {
    return this.items.length - this.head + (this.inFlight === undefined ? 0 : 1);
  }

  /** Whether a push would be taken now (so the caller can skip preparing an item that would be dropped). */
  hasRoom(): boolean {
    return !this.stopped && this.items.length - this.head < this.options.capacity;
  }

  /** Enqueues without waiting; false (and counted) when the queue is full or stopped. `undefined` only counts a drop. */
  push(item: T | undefined): boolean {
    if (this.stopped) {
      this.events.dropped('stopped', 1);
      return false;
    }
    if (item === undefined || this.items.length - this.head >= this.options.capacity) {
      this.events.dropped('queue_full', 1);
      return false;
    }
    this.items.push(item);
    this.events.queueLength(this.length);
    this.running ??= this.drain();
    return true;
  }

  /**
   * Stops: what is queued may still go out for `graceMs`; then the request in flight is aborted
   * and whatever is left is dropped as `stopped`.
   */
  async stop(graceMs: number): Promise<void> {
    if (this.running) {
      const timer = sleep(graceMs, undefined, { ref: false }).then(() => 'timeout' as const);
      const outcome = await Promise.race([this.running.then(() => 'drained' as const), timer]);
      if (outcome === 'timeout') this.abort();
    }
    this.abort();
    await this.running;
    const left = this.items.length - this.head;
    this.items = [];
    this.head = 0;
    if (left > 0) this.events.dropped('stopped', left);
    this.events.queueLength(0);
  }

  private abort(): void {
    this.stopped = true;
    this.stopping.abort();
  }

  private take(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head]!;
    this.items[this.head] = undefined as T;
    this.head++;
    // compact now and then, so the array does not keep every slot ever used
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  private async wait(ms: number): Promise<boolean> {
    if (ms <= 0) return !this.stopping.signal.aborted;
    try {
      await sleep(ms, undefined, { signal: this.stopping.signal, ref: false });
      return true;
    } catch {
      return false;
    }
  }

  private async drain(): Promise<void> {
    const signal = this.stopping.signal;
    try {
      for (let item = this.take(); item !== undefined; item = this.take()) {
        this.inFlight = item;
        try {
          await this.deliver(item, signal);
        } finally {
          this.inFlight = undefined;
          this.events.queueLength(this.length);
        }
        if (signal.aborted) return;
      }
    } finally {
      // in the same turn as the last take(): a push after this starts a new drain
      this.running = undefined;
    }
  }

  private async deliver(item: T, signal: AbortSignal): Promise<void> {
    const now = this.options.now ?? Date.now;
    for (let retry = 0; ; retry++) {
      // wait until the limiter gives a token (a wait refills it; the next call takes it)
      for (let delay = this.limiter.delayMs(); delay > 0; delay = this.limiter.delayMs()) {
        if (!(await this.wait(delay))) return this.events.dropped('stopped', 1);
      }
      if (signal.aborted) return this.events.dropped('stopped', 1);
      let outcome: AttemptOutcome;
      try {
        outcome = await this.attempt(item, signal);
      } catch (err) {
        outcome = { error: err as Error };
      }
      if (signal.aborted) return this.events.dropped('stopped', 1);
      const decision = decide(outcome, retry, this.options.retry, now(), this.options.random);
      if (decision.action === 'done') return this.events.sent(item);
      if (decision.action === 'give-up') return this.events.dropped(decision.why, 1, decision.detail);
      this.events.retried(item, decision.why, decision.afterMs);
      if (!(await this.wait(decision.afterMs))) return this.events.dropped('stopped', 1);
    }
  }
}
