/**
 * What to do after one delivery attempt: done, retry after some time, or give up.
 * 5xx, timeouts and connection errors are retried with exponential backoff and jitter; 429
 * waits as long as `Retry-After` says (seconds or an HTTP date; capped); other 4xx are final.
 */
export interface RetryOptions {
  /** retries after the first attempt */
  maxRetries: number;
  minBackoffMs: number;
  maxBackoffMs: number;
  /** a Retry-After longer than this is cut to it */
  maxRetryAfterMs: number;
}

/** A response (its status, Retry-After, and the start of its body), or why there was none. */
export type AttemptOutcome = { status: number; retryAfter?: string | null; body?: string } | { error: Error };

export type Decision =
  | { action: 'done' }
  | { action: 'retry'; afterMs: number; why: string }
  | { action: 'give-up'; why: 'rejected' | 'failed'; detail: string };

/** Retry-After as milliseconds from `now`, or undefined when absent or unreadable. */
export function retryAfterMs(header: string | null | undefined, now: number): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Exponential backoff with "equal jitter": half the step fixed, half random, so retries spread out but never bunch at 0. */
export function backoffMs(retry: number, options: RetryOptions, random: () => number = Math.random): number {
  const step = Math.min(options.maxBackoffMs, options.minBackoffMs * 2 ** retry);
  return Math.round(step / 2 + random() * (step / 2));
}

/** `retry` is the number of retries made so far (0 after the first attempt). */
export function decide(outcome: AttemptOutcome, retry: number, options: RetryOptions, now: number, random: () => number = Math.random): Decision {
  if ('status' in outcome && outcome.status >= 200 && outcome.status < 300) return { action: 'done' };
  const why = 'error' in outcome ? outcome.error.message : `HTTP ${outcome.status}${outcome.body ? `: ${outcome.body}` : ''}`;
  if ('status' in outcome && outcome.status >= 400 && outcome.status < 500 && outcome.status !== 429 && outcome.status !== 408) {
    return { action: 'give-up', why: 'rejected', detail: why };
  }
  if (retry >= options.maxRetries) return { action: 'give-up', why: 'failed', detail: `${why}, after ${retry + 1} attempts` };
  if ('status' in outcome && outcome.status === 429) {
    const asked = retryAfterMs(outcome.retryAfter, now);
    if (asked !== undefined) return { action: 'retry', afterMs: Math.min(asked, options.maxRetryAfterMs), why };
  }
  return { action: 'retry', afterMs: backoffMs(retry, options, random), why };
}
