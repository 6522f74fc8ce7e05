/**
 * A rate limit: at most `burst` at once, refilled at `perSecond`. Enrichment lookups (kubeQPS /
 * kubeBurst) take a token or go without; a webhook waits for its next one (`delayMs`).
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.perSecond);
    this.last = t;
  }

  /** Takes a token if one is there. */
  tryTake(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until a token is there; 0 takes it now. */
  delayMs(): number {
    if (this.tryTake()) return 0;
    return Math.ceil(((1 - this.tokens) / this.perSecond) * 1000);
  }
}
