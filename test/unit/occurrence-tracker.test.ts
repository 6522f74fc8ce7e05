import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { OccurrenceTracker } from '../../src/track/occurrence-tracker.js';
import { hashUid } from '../../src/track/uid-hash.js';

const HOUR = 3600_000;

describe('OccurrenceTracker', () => {
  const fresh = (maxEntries = 100_000, ttlMs = 8 * HOUR) => new OccurrenceTracker({ maxEntries, ttlMs });

  it('a new Event stands for all its occurrences, a grown one for the difference', () => {
    const t = fresh();
    expect(t.observe('a', 3)).toEqual({ kind: 'new', delta: 3 });
    t.record('a', 3, 0);
    expect(t.observe('a', 3)).toEqual({ kind: 'unchanged' });
    expect(t.observe('a', 7)).toEqual({ kind: 'grew', delta: 4 });
    t.record('a', 7, 1);
    expect(t.observe('a', 5)).toEqual({ kind: 'shrank' });
    expect(t.observe('b', 7)).toEqual({ kind: 'new', delta: 7 });
  });

  it('forgets deleted Events and Events missing from a relist', () => {
    const t = fresh();
    for (const uid of ['a', 'b', 'c']) t.record(uid, 1, 0);
    t.forget('a');
    expect(t.observe('a', 1).kind).toBe('new');
    t.beginList();
    t.touch('b', 1);
    t.record('zz', 1, 1);
    expect(t.endList()).toBe(1);
    expect(t.observe('c', 1).kind).toBe('new');
    expect(t.observe('b', 1).kind).toBe('unchanged');
    expect(t.observe('zz', 1).kind).toBe('unchanged');
    expect(t.size).toBe(2);
  });

  it('keeps many Events apart and survives growth, deletions and rebuilds', () => {
    const t = fresh();
    const uids = Array.from({ length: 20_000 }, () => randomUUID());
    uids.forEach((uid, i) => {
      t.record(uid, (i % 50) + 1, 0);
    });
    uids
      .filter((_, i) => i % 3 === 0)
      .forEach((uid) => {
        t.forget(uid);
      });
    uids.forEach((uid, i) => {
      expect(t.observe(uid, (i % 50) + 1).kind).toBe(i % 3 === 0 ? 'new' : 'unchanged');
    });
    expect(t.size).toBe(20_000 - Math.ceil(20_000 / 3));
  });

  it('evicts Events not seen for a whole TTL, keeping those seen since', () => {
    const t = fresh(100_000, 8 * HOUR); // one generation per hour
    t.record('old', 1, 0);
    t.record('kept', 1, 0);
    t.touch('kept', 5 * HOUR);
    t.record('new', 1, 7 * HOUR);
    expect(t.evictExpired(7.5 * HOUR)).toBe(0);
    expect(t.evictExpired(8.5 * HOUR)).toBe(0); // kept for at least the TTL, at most a generation more
    expect(t.evictExpired(9 * HOUR)).toBe(1);
    expect(t.observe('old', 1).kind).toBe('new');
    expect(t.observe('kept', 1).kind).toBe('unchanged');
    expect(t.size).toBe(2);
  });

  it('keeps an Event for the whole TTL even when it was seen late in a generation', () => {
    const t = fresh(100_000, 8 * HOUR); // one generation per hour
    t.record('clock', 1, 0);
    t.record('late', 6, 0.9 * HOUR);
    expect(t.evictExpired(8.1 * HOUR)).toBe(0); // 'late' was seen 7.2 h ago
    expect(t.observe('late', 6).kind).toBe('unchanged');
    expect(t.evictExpired(9.95 * HOUR)).toBe(2); // both past the TTL now
  });

  it('stays within maxEntries by dropping the oldest-seen first', () => {
    const t = fresh(1000);
    for (let i = 0; i < 3000; i++) t.record(`e${i}`, 1, i * 60_000); // one a minute: many generations
    expect(t.size).toBeLessThanOrEqual(1000);
    expect(t.evictedBySize).toBe(3000 - t.size);
    expect(t.observe('e2999', 1).kind).toBe('unchanged');
    expect(t.observe('e0', 1).kind).toBe('new');
  });

  it('snapshot and restore keep counts', () => {
    const t = fresh();
    t.record('a', 2, 0);
    t.record('b', 5, 2 * HOUR);
    t.record('a', 4, 3 * HOUR);
    const copy = fresh();
    copy.restore(t.snapshot());
    expect(copy.size).toBe(2);
    expect(copy.observe('a', 6)).toEqual({ kind: 'grew', delta: 2 });
    expect(copy.observe('b', 5)).toEqual({ kind: 'unchanged' });
  });

  it('hashes distinct uids apart', () => {
    const seen = new Set<string>();
    const out = { hi: 0, lo: 0 };
    for (let i = 0; i < 100_000; i++) {
      hashUid(randomUUID(), out);
      seen.add(`${out.hi}:${out.lo}`);
    }
    expect(seen.size).toBe(100_000);
  });
});

describe('OccurrenceTracker under pressure', () => {
  it('at maxEntries with every entry seen in the same generation, keeps most of them', () => {
    const t = new OccurrenceTracker({ maxEntries: 1000, ttlMs: 8 * HOUR });
    for (let i = 0; i < 1000; i++) t.record(`e${i}`, 5, 0); // a relist: all in one generation
    t.record('newcomer', 1, 0);
    // About a tenth goes, drawn as a sample of the hashes, so not exactly a hundred.
    expect(t.size).toBeGreaterThanOrEqual(850);
    expect(t.size).toBeLessThanOrEqual(1000);
    expect(t.observe('newcomer', 1).kind).toBe('unchanged');
    const kept = Array.from({ length: 1000 }, (_, i) => t.observe(`e${i}`, 5).kind).filter((k) => k === 'unchanged').length;
    expect(kept).toBe(t.size - 1);
  });

  it('after a count went down, counts growth from the lower count', () => {
    const t = new OccurrenceTracker({ maxEntries: 100, ttlMs: HOUR });
    t.record('a', 10, 0);
    expect(t.observe('a', 3).kind).toBe('shrank');
    t.reset('a', 3, 1);
    expect(t.observe('a', 4)).toEqual({ kind: 'grew', delta: 1 });
  });

  it('a list keeps every Event it saw, whatever removals shift around meanwhile', () => {
    const t = new OccurrenceTracker({ maxEntries: 100_000, ttlMs: HOUR });
    const uids = Array.from({ length: 5000 }, () => randomUUID());
    uids.forEach((u) => {
      t.record(u, 2, 0);
    });
    t.beginList();
    const listed = uids.filter((_, i) => i % 5 === 0);
    listed.forEach((u) => {
      t.touch(u, 1);
    });
    uids
      .filter((_, i) => i % 7 === 1)
      .forEach((u) => {
        t.forget(u);
      }); // DELETED mid-list
    expect(t.endList()).toBe(uids.filter((_, i) => i % 5 !== 0 && i % 7 !== 1).length);
    const survivors = uids.filter((_, i) => i % 5 === 0 && i % 7 !== 1);
    expect(t.size).toBe(survivors.length);
    for (const u of survivors) expect(t.observe(u, 2).kind).toBe('unchanged');
  });

  it('lists that never end, hundreds in a row, do not make an unlisted Event look listed', () => {
    // However many lists fail, the epoch 'gone' was stamped with must not come round as current.
    for (let failed = 240; failed <= 520; failed++) {
      const t = new OccurrenceTracker({ maxEntries: 100, ttlMs: HOUR });
      t.beginList();
      t.record('gone', 1, 0);
      t.endList();
      for (let i = 0; i < failed; i++) t.beginList(); // each fails before its end
      t.record('listed', 1, 1);
      if (t.endList() !== 1 || t.observe('gone', 1).kind !== 'new') expect.fail(`after ${failed} unfinished lists a deleted Event was kept`);
      expect(t.observe('listed', 1).kind).toBe('unchanged');
    }
  });

  it('at maxEntries, a small table still ends at or below nine tenths', () => {
    for (const max of [10, 11, 50, 97]) {
      const t = new OccurrenceTracker({ maxEntries: max, ttlMs: HOUR });
      for (let i = 0; i < 20 * max; i++) {
        t.record(`e${i}`, 1, 0);
        if (t.size > max) expect.fail(`maxEntries ${max}: holds ${t.size} after ${i + 1} records`);
      }
    }
  });

  it('a list that never ended sweeps nothing; the next list decides', () => {
    const t = new OccurrenceTracker({ maxEntries: 100, ttlMs: HOUR });
    ['a', 'b'].forEach((u) => {
      t.record(u, 1, 0);
    });
    t.beginList(); // fails before its end: no endList()
    t.beginList();
    t.touch('a', 1);
    expect(t.endList()).toBe(1);
    expect(t.endList()).toBe(0);
    expect(t.observe('a', 1).kind).toBe('unchanged');
    expect(t.observe('b', 1).kind).toBe('new');
  });

  it('agrees with a plain Map through 100,000 random operations (growth, removals, sweeps, eviction)', () => {
    // Small key space and maxEntries, so probe runs collide, wrap around the table's end and shift.
    let seed = 42;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const t = new OccurrenceTracker({ maxEntries: 3000, ttlMs: 8 * HOUR });
    const model = new Map<string, number>();
    let now = 0;
    for (let op = 0; op < 100_000; op++) {
      const uid = `uid-${Math.floor(random() * 6000)}`;
      const r = random();
      if (r < 0.55) {
        const count = 1 + Math.floor(random() * 20);
        const seen = t.observe(uid, count);
        const known = model.get(uid);
        if (known === undefined) expect(seen).toEqual({ kind: 'new', delta: count });
        else if (count > known) expect(seen).toEqual({ kind: 'grew', delta: count - known });
        else if (count === known) expect(seen.kind).toBe('unchanged');
        else expect(seen).toEqual({ kind: 'shrank' });
        if (known === undefined && model.size >= 3000) {
          const before = t.size;
          t.record(uid, count, now);
          // Eviction removed entries the model must lose too: rebuild the model from the tracker.
          expect(t.size).toBeLessThan(before + 1);
          for (const key of [...model.keys()]) if (t.observe(key, model.get(key)!).kind === 'new') model.delete(key);
          model.set(uid, count);
          expect(model.size).toBe(t.size);
          continue;
        }
        t.record(uid, count, now);
        model.set(uid, Math.max(known ?? 0, count));
      } else if (r < 0.8) {
        t.forget(uid);
        model.delete(uid);
      } else if (r < 0.99) {
        now += 1000;
        t.touch(uid, now);
      } else {
        const keep = new Set([...model.keys()].filter(() => random() < 0.7));
        t.beginList();
        for (const key of keep) t.touch(key, now);
        expect(t.endList()).toBe(model.size - keep.size);
        for (const key of model.keys()) if (!keep.has(key)) model.delete(key);
      }
      if (t.size !== model.size) expect.fail(`after operation ${op}: tracker holds ${t.size}, model ${model.size}`);
    }
    for (const [uid, count] of model) expect(t.observe(uid, count).kind).toBe('unchanged');
  }, 60_000);
});
