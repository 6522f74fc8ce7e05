import { hashUid, type UidHash } from './uid-hash.js';

/**
 * Remembers, per Event uid, how many occurrences have already been written, so that every
 * ADDED, MODIFIED or relisted copy of an Event yields exactly the occurrences not yet written.
 *
 * Memory is flat and small: an open-addressing table in typed arrays keyed by a 64-bit uid
 * hash (about 24 bytes a slot). Entries leave when their Event is DELETED or missing from a
 * relist, when not seen for `ttlMs` (longer than the API server's event TTL, so a live Event is
 * never forgotten), and, oldest-seen first, when `maxEntries` is reached.
 */
export interface TrackerOptions {
  ttlMs: number;
  maxEntries: number;
}

export type Observation =
  | { kind: 'new'; delta: number }
  | { kind: 'grew'; delta: number }
  | { kind: 'unchanged' }
  | { kind: 'shrank'; previous: number };

const EMPTY = 0;
const LIVE = 1;
const TOMBSTONE = 2;
/** Age is tracked in generations: a sighting stamps the current one; TTL spans this many. */
const GENERATIONS_PER_TTL = 8;
const MIN_CAPACITY = 1024;

const UNCHANGED: Observation = { kind: 'unchanged' };

export class OccurrenceTracker {
  private capacity = MIN_CAPACITY;
  private hi = new Uint32Array(MIN_CAPACITY);
  private lo = new Uint32Array(MIN_CAPACITY);
  private counts = new Uint32Array(MIN_CAPACITY);
  private generations = new Uint16Array(MIN_CAPACITY);
  private states = new Uint8Array(MIN_CAPACITY);
  private live = 0;
  private tombstones = 0;
  private generation = 0;
  private generationStartedMs: number | undefined;
  private readonly generationMs: number;
  private readonly scratch: UidHash = { hi: 0, lo: 0 };
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
    const slot = this.find(hashUid(uid, this.scratch));
    if (slot < 0) return { kind: 'new', delta: count };
    const known = this.counts[slot]!;
    if (count > known) return { kind: 'grew', delta: count - known };
    if (count === known) return UNCHANGED;
    return { kind: 'shrank', previous: known };
  }

  /** Records that `count` occurrences of `uid` are accounted for (written or deliberately skipped). */
  record(uid: string, count: number, nowMs: number): void {
    this.advanceClock(nowMs);
    const key = hashUid(uid, this.scratch);
    let slot = this.find(key);
    if (slot < 0) {
      if (this.live >= this.options.maxEntries) this.evictOldestGenerations();
      if ((this.live + this.tombstones + 1) * 2 > this.capacity) this.rebuild(this.capacity * 2);
      slot = this.insertSlot(key);
      this.hi[slot] = key.hi;
      this.lo[slot] = key.lo;
      this.counts[slot] = 0;
      if (this.states[slot] === TOMBSTONE) this.tombstones--;
      this.states[slot] = LIVE;
      this.live++;
    }
    this.counts[slot] = Math.max(this.counts[slot]!, Math.min(count, 0xffffffff));
    this.generations[slot] = this.generation;
  }

  /** Overwrites the written count of `uid`: for an Event whose count went down (it was recreated or rewritten). */
  reset(uid: string, count: number, nowMs: number): void {
    this.advanceClock(nowMs);
    const slot = this.find(hashUid(uid, this.scratch));
    if (slot < 0) {
      this.record(uid, count, nowMs);
      return;
    }
    this.counts[slot] = Math.min(count, 0xffffffff);
    this.generations[slot] = this.generation;
  }

  /** Refreshes the sighting time of an unchanged Event so that age eviction keeps it. */
  touch(uid: string, nowMs: number): void {
    this.advanceClock(nowMs);
    const slot = this.find(hashUid(uid, this.scratch));
    if (slot >= 0) this.generations[slot] = this.generation;
  }

  forget(uid: string): void {
    const slot = this.find(hashUid(uid, this.scratch));
    if (slot >= 0) this.remove(slot);
  }

  /** After a relist: Events that are no longer listed were deleted while no watch was open. */
  retainOnly(listed: Iterable<string>): number {
    const keep = new Uint8Array(this.capacity);
    for (const uid of listed) {
      const slot = this.find(hashUid(uid, this.scratch));
      if (slot >= 0) keep[slot] = 1;
    }
    let removed = 0;
    for (let slot = 0; slot < this.capacity; slot++) {
      if (this.states[slot] === LIVE && keep[slot] === 0) {
        // Tombstone without remove(): a rebuild in the middle would move slots under `keep`.
        this.states[slot] = TOMBSTONE;
        this.live--;
        this.tombstones++;
        removed++;
      }
    }
    if (this.tombstones * 4 > this.capacity) this.rebuild(this.capacity);
    return removed;
  }

  /** Drops entries not seen for a whole TTL; called periodically. */
  evictExpired(nowMs: number): number {
    this.advanceClock(nowMs);
    const before = this.live;
    this.rebuild(this.capacity, GENERATIONS_PER_TTL);
    const removed = before - this.live;
    this.evictedByAge += removed;
    return removed;
  }

  /** Snapshot for the checkpoint: [hash hi, hash lo, count, age in generations], oldest first. */
  snapshot(): Array<[number, number, number, number]> {
    const out: Array<[number, number, number, number]> = [];
    for (let slot = 0; slot < this.capacity; slot++) {
      if (this.states[slot] === LIVE) out.push([this.hi[slot]!, this.lo[slot]!, this.counts[slot]!, this.age(slot)]);
    }
    return out.sort((a, b) => b[3] - a[3]);
  }

  restore(items: Iterable<readonly [number, number, number, number]>): void {
    for (const [hi, lo, count, age] of items) {
      if (age >= GENERATIONS_PER_TTL) continue;
      const key = { hi, lo };
      if (this.find(key) >= 0) continue;
      if ((this.live + this.tombstones + 1) * 2 > this.capacity) this.rebuild(this.capacity * 2);
      const slot = this.insertSlot(key);
      if (this.states[slot] === TOMBSTONE) this.tombstones--;
      this.hi[slot] = hi;
      this.lo[slot] = lo;
      this.counts[slot] = count;
      this.states[slot] = LIVE;
      this.generations[slot] = (this.generation - age) & 0xffff;
      this.live++;
    }
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

  private home(key: UidHash): number {
    return (key.lo ^ Math.imul(key.hi, 0x9e3779b1)) & (this.capacity - 1);
  }

  private find(key: UidHash): number {
    const mask = this.capacity - 1;
    for (let slot = this.home(key), probes = 0; probes < this.capacity; slot = (slot + 1) & mask, probes++) {
      const state = this.states[slot];
      if (state === EMPTY) return -1;
      if (state === LIVE && this.lo[slot] === key.lo && this.hi[slot] === key.hi) return slot;
    }
    return -1;
  }

  private insertSlot(key: UidHash): number {
    const mask = this.capacity - 1;
    let slot = this.home(key);
    while (this.states[slot] === LIVE) slot = (slot + 1) & mask;
    return slot;
  }

  private remove(slot: number): void {
    this.states[slot] = TOMBSTONE;
    this.live--;
    this.tombstones++;
    if (this.tombstones * 4 > this.capacity) this.rebuild(this.capacity);
  }

  /** Re-inserts live entries younger than `maxAge` generations into fresh arrays of `capacity` slots. */
  private rebuild(capacity: number, maxAge = 0xffff): void {
    const { hi, lo, counts, generations, states } = this;
    const old = this.capacity;
    this.capacity = Math.max(MIN_CAPACITY, capacity);
    this.hi = new Uint32Array(this.capacity);
    this.lo = new Uint32Array(this.capacity);
    this.counts = new Uint32Array(this.capacity);
    this.generations = new Uint16Array(this.capacity);
    this.states = new Uint8Array(this.capacity);
    this.live = 0;
    this.tombstones = 0;
    const key: UidHash = { hi: 0, lo: 0 };
    for (let i = 0; i < old; i++) {
      if (states[i] !== LIVE || ((this.generation - generations[i]!) & 0xffff) >= maxAge) continue;
      key.hi = hi[i]!;
      key.lo = lo[i]!;
      const slot = this.insertSlot(key);
      this.hi[slot] = key.hi;
      this.lo[slot] = key.lo;
      this.counts[slot] = counts[i]!;
      this.generations[slot] = generations[i]!;
      this.states[slot] = LIVE;
      this.live++;
    }
  }

  /** At maxEntries: drop the oldest-seen generations until a tenth of the room is free. */
  private evictOldestGenerations(): void {
    const target = Math.floor(this.options.maxEntries * 0.9);
    const perAge = new Array<number>(GENERATIONS_PER_TTL + 1).fill(0);
    for (let slot = 0; slot < this.capacity; slot++) {
      if (this.states[slot] === LIVE) perAge[Math.min(this.age(slot), GENERATIONS_PER_TTL)]!++;
    }
    // Drop whole generations, oldest first, but never the newest one: when everything was seen
    // this generation (a relist touches every Event), ages cannot tell entries apart.
    let keepBelow = GENERATIONS_PER_TTL + 1;
    let remaining = this.live;
    while (keepBelow > 1 && remaining > target) remaining -= perAge[--keepBelow]!;
    const before = this.live;
    this.rebuild(this.capacity, keepBelow);
    if (this.live > target) {
      // Still too many, all of one age: drop just enough, in table order (arbitrary but bounded).
      let excess = this.live - target;
      for (let slot = 0; slot < this.capacity && excess > 0; slot++) {
        if (this.states[slot] !== LIVE) continue;
        this.states[slot] = TOMBSTONE;
        this.live--;
        this.tombstones++;
        excess--;
      }
      this.rebuild(this.capacity);
    }
    this.evictedBySize += before - this.live;
  }
}
