import { hashUid, type UidHash } from './uid-hash.js';

/** How long and how many Events a tracker remembers (see OccurrenceTracker). */
export interface TrackerOptions {
  ttlMs: number;
  maxEntries: number;
}

/**
 * Two hours: longer than the API server's default `--event-ttl` (one hour), so an Event is
 * forgotten only after the API server has deleted it. Half a million Events: about 10 MiB.
 */
export const DEFAULT_TRACKER_OPTIONS: TrackerOptions = { ttlMs: 2 * 3600_000, maxEntries: 500_000 };

export type Observation = { kind: 'new'; delta: number } | { kind: 'grew'; delta: number } | { kind: 'unchanged' } | { kind: 'shrank' };

/** `marks` value of a free slot; a taken slot holds the list epoch it was last seen in (1–MAX_EPOCH). */
const EMPTY = 0;
/**
 * Age is tracked in generations: a sighting stamps the current one; TTL spans this many. An
 * entry goes once its age passes GENERATIONS_PER_TTL (not when it reaches it), so it is kept for
 * at least the TTL and at most one generation more, wherever in its generation it was seen.
 */
const GENERATIONS_PER_TTL = 8;
const EXPIRED_AGE = GENERATIONS_PER_TTL + 1;
/** List epochs run 1..MAX_EPOCH; on wrapping, every entry is set back to 1 and lists go on from 2. */
const MAX_EPOCH = 255;
const MIN_CAPACITY = 1024;
const MAX_LOAD = 0.75;

const UNCHANGED: Observation = { kind: 'unchanged' };
const SHRANK: Observation = { kind: 'shrank' };

/**
 * Remembers, per Event uid, how many occurrences have already been written, so that every
 * ADDED, MODIFIED or relisted copy of an Event yields exactly the occurrences not yet written.
 *
 * Memory is flat and small: an open-addressing table (linear probing) in typed arrays keyed by
 * a 64-bit uid hash, 15 bytes a slot, at most three quarters full. It grows by half, not double,
 * so right after growing half its room is unused, not three quarters of it. Removal shifts the
 * rest of the probe run back instead of leaving tombstones, so the arrays are reallocated only
 * when the table grows: a table swept or evicted in place leaves no dead arrays for the garbage
 * collector to find later, which would keep the resident set high.
 *
 * Entries leave when their Event is DELETED or missing from a relist, when not seen for `ttlMs`
 * (longer than the API server's event TTL, so a live Event is never forgotten), and,
 * oldest-seen first, when `maxEntries` is reached.
 */
export class OccurrenceTracker {
  private capacity = MIN_CAPACITY;
  private hi = new Uint32Array(MIN_CAPACITY);
  private lo = new Uint32Array(MIN_CAPACITY);
  private counts = new Uint32Array(MIN_CAPACITY);
  private generations = new Uint16Array(MIN_CAPACITY);
  private marks = new Uint8Array(MIN_CAPACITY);
  private live = 0;
  private generation = 0;
  private generationStartedMs: number | undefined;
  private readonly generationMs: number;
  /** Stamped on every entry written; a list marks what it saw by starting a new epoch. */
  private epoch = 1;
  private listing = false;
  private readonly key: UidHash = { hi: 0, lo: 0 };
  /** The last uid looked up and where: observe() then record() of one Event hash and probe once. */
  private lastUid: string | undefined;
  private lastSlot = -1;
  /** Same-age evictions so far: each draws its sample with a different salt. */
  private evictionRounds = 0;
  evictedByAge = 0;
  evictedBySize = 0;

  constructor(private readonly options: TrackerOptions) {
    this.generationMs = Math.max(1, Math.floor(options.ttlMs / GENERATIONS_PER_TTL));
  }

  get size(): number {
    return this.live;
  }

  /** What a sighting of `uid` with cumulative `count` means, without recording it. */
  observe(uid: string, count: number): Observation {
    const slot = this.lookup(uid);
    if (slot < 0) return { kind: 'new', delta: count };
    const known = this.counts[slot]!;
    if (count > known) return { kind: 'grew', delta: count - known };
    if (count === known) return UNCHANGED;
    return SHRANK;
  }

  /** Records that `count` occurrences of `uid` are accounted for (written or deliberately skipped). */
  record(uid: string, count: number, nowMs: number): void {
    this.advanceClock(nowMs);
    let slot = this.lookup(uid);
    if (slot < 0) {
      if (this.live >= this.options.maxEntries) this.evictOldestGenerations();
      slot = this.add(this.key.hi, this.key.lo, 0, this.generation);
      this.lastSlot = slot;
    }
    this.counts[slot] = Math.max(this.counts[slot]!, Math.min(count, 0xffffffff));
    this.stamp(slot);
  }

  /** Overwrites the written count of `uid`: for an Event whose count went down (it was recreated or rewritten). */
  reset(uid: string, count: number, nowMs: number): void {
    this.advanceClock(nowMs);
    const slot = this.lookup(uid);
    if (slot < 0) {
      this.record(uid, count, nowMs);
      return;
    }
    this.counts[slot] = Math.min(count, 0xffffffff);
    this.stamp(slot);
  }

  /** Refreshes the sighting time of an unchanged Event so that age eviction keeps it. */
  touch(uid: string, nowMs: number): void {
    this.advanceClock(nowMs);
    const slot = this.lookup(uid);
    if (slot >= 0) this.stamp(slot);
  }

  forget(uid: string): void {
    const slot = this.lookup(uid);
    if (slot >= 0) this.remove(slot);
  }

  /**
   * A list begins: from now on every Event recorded or touched counts as listed. The list
   * itself need not be kept (a relist of a big cluster would hold every uid string).
   */
  beginList(): void {
    if (this.epoch === MAX_EPOCH) {
      // Lists that never ended (a failing receiver makes the list fail and start over) could
      // otherwise bring an old epoch round again and pass unlisted Events off as listed.
      for (let slot = 0; slot < this.capacity; slot++) if (this.marks[slot] !== EMPTY) this.marks[slot] = 1;
      this.epoch = 1;
    }
    this.epoch++;
    this.listing = true;
  }

  /** The list ended: Events it did not see were deleted while no watch was open. */
  endList(): number {
    if (!this.listing) return 0;
    this.listing = false;
    const epoch = this.epoch;
    return this.sweep((slot) => this.marks[slot] !== epoch);
  }

  /** Drops entries not seen for a whole TTL; called periodically. */
  evictExpired(nowMs: number): number {
    this.advanceClock(nowMs);
    const removed = this.sweep((slot) => this.age(slot) >= EXPIRED_AGE);
    this.evictedByAge += removed;
    return removed;
  }

  /** Snapshot for the checkpoint: [hash hi, hash lo, count, age in generations], oldest first. */
  snapshot(): Array<[number, number, number, number]> {
    const out: Array<[number, number, number, number]> = [];
    for (let slot = 0; slot < this.capacity; slot++) {
      if (this.marks[slot] !== EMPTY) out.push([this.hi[slot]!, this.lo[slot]!, this.counts[slot]!, this.age(slot)]);
    }
    return out.sort((a, b) => b[3] - a[3]);
  }

  /**
   * Loads checkpoint entries. The table is sized for all of them first: entries arrive in
   * snapshot order (by age, then by slot, i.e. by hash), and hash-ordered keys added to a table
   * that grows as it goes pile up in one probe run at its start, which made restoring 100,000
   * Events take 16 s instead of milliseconds.
   */
  restore(items: ReadonlyArray<readonly [number, number, number, number]>): void {
    this.reserve(items.length);
    for (const [hi, lo, count, age] of items) {
      if (age >= EXPIRED_AGE || this.find(hi, lo) >= 0) continue;
      this.add(hi, lo, count, (this.generation - age) & 0xffff);
    }
    this.lastUid = undefined;
  }

  /** Puts a key that is not in the table into a free slot, growing the table first if needed. */
  private add(hi: number, lo: number, count: number, generation: number): number {
    if (this.live + 1 > this.capacity * MAX_LOAD) this.grow();
    const slot = this.insertSlot(hi, lo);
    this.hi[slot] = hi;
    this.lo[slot] = lo;
    this.counts[slot] = count;
    this.generations[slot] = generation;
    this.marks[slot] = this.epoch;
    this.live++;
    return slot;
  }

  private stamp(slot: number): void {
    this.generations[slot] = this.generation;
    this.marks[slot] = this.epoch;
  }

  private age(slot: number): number {
    return (this.generation - this.generations[slot]!) & 0xffff;
  }

  private advanceClock(nowMs: number): void {
    if (this.generationStartedMs === undefined) {
      this.generationStartedMs = nowMs;
      return;
    }
    while (nowMs - this.generationStartedMs >= this.generationMs) {
      this.generation = (this.generation + 1) & 0xffff;
      this.generationStartedMs += this.generationMs;
    }
  }

  /** The slot of `uid`, or -1; leaves its hash in `this.key` for an insert that follows. */
  private lookup(uid: string): number {
    if (uid === this.lastUid) return this.lastSlot;
    hashUid(uid, this.key);
    this.lastUid = uid;
    this.lastSlot = this.find(this.key.hi, this.key.lo);
    return this.lastSlot;
  }

  /** Where the probe for a key starts: the mixed hash scaled onto the table (any size, no modulo). */
  private home(hi: number, lo: number): number {
    return Math.floor((((lo ^ Math.imul(hi, 0x9e3779b1)) >>> 0) * this.capacity) / 4294967296);
  }

  private next(slot: number): number {
    return slot + 1 === this.capacity ? 0 : slot + 1;
  }

  private find(hi: number, lo: number): number {
    for (let slot = this.home(hi, lo); this.marks[slot] !== EMPTY; slot = this.next(slot)) {
      if (this.lo[slot] === lo && this.hi[slot] === hi) return slot;
    }
    return -1; // the table is never full, so an empty slot ends every probe
  }

  private insertSlot(hi: number, lo: number): number {
    let slot = this.home(hi, lo);
    while (this.marks[slot] !== EMPTY) slot = this.next(slot);
    return slot;
  }

  /**
   * Frees `slot` and shifts later entries of its probe run back into the hole (Knuth's
   * Algorithm R), so every entry stays reachable from its home without tombstones. Entries only
   * ever move to slots at or after `slot` in probe order.
   */
  private remove(slot: number): void {
    let hole = slot;
    this.marks[hole] = EMPTY;
    this.live--;
    this.lastUid = undefined;
    for (let next = this.next(hole); this.marks[next] !== EMPTY; next = this.next(next)) {
      const home = this.home(this.hi[next]!, this.lo[next]!);
      // The entry at `next` may fill the hole unless its home lies cyclically in (hole, next].
      const staysPut = hole <= next ? hole < home && home <= next : hole < home || home <= next;
      if (staysPut) continue;
      this.hi[hole] = this.hi[next]!;
      this.lo[hole] = this.lo[next]!;
      this.counts[hole] = this.counts[next]!;
      this.generations[hole] = this.generations[next]!;
      this.marks[hole] = this.marks[next]!;
      this.marks[next] = EMPTY;
      hole = next;
    }
  }

  /**
   * Removes, in place, every entry for which `doomed(slot)` holds; each entry is judged once.
   * The scan starts after a free slot, so a probe run never wraps past the start and entries
   * shifted by a removal always land where the scan has not yet judged them.
   */
  private sweep(doomed: (slot: number) => boolean): number {
    let start = 0;
    while (this.marks[start] !== EMPTY) start++;
    let removed = 0;
    for (let step = 1; step <= this.capacity; step++) {
      const slot = (start + step) % this.capacity;
      while (this.marks[slot] !== EMPTY && doomed(slot)) {
        this.remove(slot);
        removed++;
      }
    }
    return removed;
  }

  /** Grows the table once so that `extra` more entries fit without growing again. */
  private reserve(extra: number): void {
    let capacity = this.capacity;
    while (this.live + extra > capacity * MAX_LOAD) capacity = Math.ceil(capacity * 1.5);
    if (capacity > this.capacity) this.grow(capacity);
  }

  private grow(capacity = Math.ceil(this.capacity * 1.5)): void {
    const { hi, lo, counts, generations, marks } = this;
    const old = this.capacity;
    this.capacity = capacity;
    this.hi = new Uint32Array(this.capacity);
    this.lo = new Uint32Array(this.capacity);
    this.counts = new Uint32Array(this.capacity);
    this.generations = new Uint16Array(this.capacity);
    this.marks = new Uint8Array(this.capacity);
    for (let i = 0; i < old; i++) {
      if (marks[i] === EMPTY) continue;
      const slot = this.insertSlot(hi[i]!, lo[i]!);
      this.hi[slot] = hi[i]!;
      this.lo[slot] = lo[i]!;
      this.counts[slot] = counts[i]!;
      this.generations[slot] = generations[i]!;
      this.marks[slot] = marks[i]!;
    }
    this.lastUid = undefined;
  }

  /** At maxEntries: drop the oldest-seen generations until a tenth of the room is free. */
  private evictOldestGenerations(): void {
    const target = Math.floor(this.options.maxEntries * 0.9);
    const perAge = new Array<number>(EXPIRED_AGE + 1).fill(0);
    for (let slot = 0; slot < this.capacity; slot++) {
      if (this.marks[slot] !== EMPTY) perAge[Math.min(this.age(slot), EXPIRED_AGE)]!++;
    }
    // Drop whole generations, oldest first, but never the newest one: when everything was seen
    // this generation (a relist touches every Event), ages cannot tell entries apart.
    let keepBelow = EXPIRED_AGE + 1;
    let remaining = this.live;
    while (keepBelow > 1 && remaining > target) remaining -= perAge[--keepBelow]!;
    const before = this.live;
    this.sweep((slot) => this.age(slot) >= keepBelow);
    // Still too many, all of one age: drop about the excess, a sample drawn afresh each time from
    // the hashes. Dropping in table order instead would empty one end of the table over and over
    // and pack the other into one long probe run. A sample can fall short (a small table), so
    // draw again; a few rounds in, take the rest in table order.
    for (let round = 0; this.live > target; round++) {
      let excess = this.live - target;
      if (round === 4) {
        this.sweep(() => excess-- > 0);
        break;
      }
      const salt = Math.imul(++this.evictionRounds, 0x85ebca6b);
      const below = Math.min(0xffffffff, Math.ceil((excess / this.live) * 4294967296));
      this.sweep((slot) => Math.imul(this.lo[slot]! ^ salt, 0xc2b2ae35) >>> 0 < below);
    }
    this.evictedBySize += before - this.live;
  }
}
