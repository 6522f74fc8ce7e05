import { describe, expect, it } from 'vitest';
import { OccurrenceTracker } from '../../src/track/occurrence-tracker.js';

describe('OccurrenceTracker', () => {
  const fresh = (maxEntries = 100, ttlMs = 1000) => new OccurrenceTracker({ maxEntries, ttlMs });

  it('a new Event stands for all its occurrences, a grown one for the difference', () => {
    const t = fresh();
    expect(t.observe('a', 3)).toEqual({ kind: 'new', delta: 3 });
    t.record('a', 3, 0);
    expect(t.observe('a', 3)).toEqual({ kind: 'unchanged' });
    expect(t.observe('a', 7)).toEqual({ kind: 'grew', delta: 4 });
    t.record('a', 7, 1);
    expect(t.observe('a', 5)).toEqual({ kind: 'shrank', previous: 7 });
  });

  it('forgets deleted Events and Events missing from a relist', () => {
    const t = fresh();
    for (const uid of ['a', 'b', 'c']) t.record(uid, 1, 0);
    t.forget('a');
    expect(t.observe('a', 1).kind).toBe('new');
    expect(t.retainOnly(new Set(['b']))).toBe(1);
    expect(t.observe('c', 1).kind).toBe('new');
    expect(t.observe('b', 1).kind).toBe('unchanged');
  });

  it('evicts by age, keeping Events seen recently', () => {
    const t = fresh(100, 1000);
    t.record('old', 1, 0);
    t.record('kept', 1, 0);
    t.touch('kept', 900);
    t.record('new', 1, 950);
    expect(t.evictExpired(1500)).toBe(1);
    expect(t.observe('old', 1).kind).toBe('new');
    expect(t.observe('kept', 1).kind).toBe('unchanged');
    expect(t.size).toBe(2);
  });

  it('stays within maxEntries, dropping the least recently seen', () => {
    const t = fresh(3);
    for (let i = 0; i < 10; i++) t.record(`e${i}`, 1, i);
    expect(t.size).toBe(3);
    expect(t.evictedBySize).toBe(7);
    expect(t.observe('e9', 1).kind).toBe('unchanged');
    expect(t.observe('e6', 1).kind).toBe('new');
  });

  it('snapshot and restore keep counts and order', () => {
    const t = fresh();
    t.record('a', 2, 10);
    t.record('b', 5, 20);
    t.record('a', 4, 30);
    const copy = fresh();
    copy.restore(t.snapshot());
    expect(copy.snapshot()).toEqual([
      ['b', 5, 20],
      ['a', 4, 30],
    ]);
    expect(copy.observe('a', 6)).toEqual({ kind: 'grew', delta: 2 });
  });
});
