/**
 * Remembers, per Event uid, how many occurrences have already been written, so that every
 * ADDED, MODIFIED or relisted copy of an Event yields exactly the occurrences not yet written.
 *
 * Bounded twice: an entry leaves when its Event is DELETED, when it has not been seen for
 * `ttlMs` (longer than the API server's event TTL, so a live Event is never forgotten), and
 * the oldest-seen entries leave first when `maxEntries` is reached.
 */
export interface TrackerOptions {
  ttlMs: number;
  maxEntries: number;
}

interface Entry {
  count: number;
  seenAtMs: number;
}

export type Observation =
  | { kind: 'new'; delta: number }
  | { kind: 'grew'; delta: number }
  | { kind: 'unchanged' }
  | { kind: 'shrank'; previous: number };

export class OccurrenceTracker {
  // A Map iterates in insertion order; re-inserting on every sighting keeps it ordered by
  // last sighting, so eviction takes the least recently seen entries from the front.
  private readonly entries = new Map<string, Entry>();
  evictedByAge = 0;
  evictedBySize = 0;

  constructor(private readonly options: TrackerOptions) {}

  get size(): number {
    return this.entries.size;
  }

  /** What a sighting of `uid` with cumulative `count` means, without recording it. */
  observe(uid: string, count: number): Observation {
    const entry = this.entries.get(uid);
    if (entry === undefined) return { kind: 'new', delta: count };
    if (count > entry.count) return { kind: 'grew', delta: count - entry.count };
    if (count === entry.count) return { kind: 'unchanged' };
    return { kind: 'shrank', previous: entry.count };
  }

  /** Records that `count` occurrences of `uid` are accounted for (written or deliberately skipped). */
  record(uid: string, count: number, nowMs: number): void {
    const entry = this.entries.get(uid);
    if (entry !== undefined) this.entries.delete(uid);
    this.entries.set(uid, { count: Math.max(count, entry?.count ?? 0), seenAtMs: nowMs });
    if (this.entries.size > this.options.maxEntries) this.evictOldest(this.entries.size - this.options.maxEntries);
  }

  /** Refreshes the sighting time of an unchanged Event so that age eviction keeps it. */
  touch(uid: string, nowMs: number): void {
    const entry = this.entries.get(uid);
    if (entry === undefined) return;
    this.entries.delete(uid);
    entry.seenAtMs = nowMs;
    this.entries.set(uid, entry);
  }

  forget(uid: string): void {
    this.entries.delete(uid);
  }

  /** After a relist: Events that are no longer listed were deleted while we were not watching. */
  retainOnly(listed: ReadonlySet<string>): number {
    let removed = 0;
    for (const uid of this.entries.keys()) {
      if (!listed.has(uid)) {
        this.entries.delete(uid);
        removed++;
      }
    }
    return removed;
  }

  evictExpired(nowMs: number): number {
    let removed = 0;
    for (const [uid, entry] of this.entries) {
      if (nowMs - entry.seenAtMs <= this.options.ttlMs) break; // ordered by sighting: the rest are newer
      this.entries.delete(uid);
      removed++;
    }
    this.evictedByAge += removed;
    return removed;
  }

  private evictOldest(n: number): void {
    for (const uid of this.entries.keys()) {
      if (n-- <= 0) break;
      this.entries.delete(uid);
      this.evictedBySize++;
    }
  }

  /** Snapshot for the checkpoint: uid → count, least recently seen first. */
  snapshot(): Array<[string, number, number]> {
    return Array.from(this.entries, ([uid, e]) => [uid, e.count, e.seenAtMs]);
  }

  restore(items: Iterable<[string, number, number]>): void {
    for (const [uid, count, seenAtMs] of items) this.entries.set(uid, { count, seenAtMs });
  }
}
