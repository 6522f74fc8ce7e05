/** A size-bounded cache with expiry; the least recently used entry leaves first. */
export class LruCache<V> {
  private readonly items = new Map<string, { value: V; expiresAt: number }>();

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string): V | undefined {
    const item = this.items.get(key);
    if (!item) return undefined;
    this.items.delete(key);
    if (item.expiresAt <= this.now()) return undefined;
    this.items.set(key, item);
    return item.value;
  }

  /** `ttlMs` overrides the cache's expiry for this entry, e.g. to remember a failure for less time than an answer. */
  set(key: string, value: V, ttlMs: number = this.ttlMs): void {
    this.items.delete(key);
    this.items.set(key, { value, expiresAt: this.now() + ttlMs });
    while (this.items.size > this.maxEntries) {
      const oldest = this.items.keys().next().value as string;
      this.items.delete(oldest);
    }
  }

  get size(): number {
    return this.items.size;
  }
}
