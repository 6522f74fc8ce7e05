/** A chat service's webhook format: the body it documents for one notice, and the pace it accepts. */
import type { Notice } from './notice.js';

export interface RateLimit {
  perMinute: number;
  burst: number;
}

export interface Preset {
  readonly name: string;
  /** What the service accepts, as its docs say; the receiver's `rateLimit` overrides it. */
  readonly rateLimit: RateLimit;
  body(notice: Notice): unknown;
}
