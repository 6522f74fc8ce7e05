import { type Level, levelRank } from '../grade/levels.js';
import type { TimelineLine } from './occurrence.js';

/** Lines of one kind within a group: same level, reason, object and message. */
export interface GroupEntry {
  level: Level;
  reason: string;
  kind: string;
  name: string;
  message: string;
  delta: number;
  lines: number;
  firstMs: number;
  lastMs: number;
}

export interface Group {
  /** The bucket's start; the bucket is [startMs, startMs + step). */
  startMs: number;
  level: Level;
  delta: number;
  /** Oldest first. */
  entries: GroupEntry[];
}

export interface Grouping {
  stepMs: number;
  requestedStepMs: number;
  groups: Group[];
}

/** The steps aggregation coarsens through, in ms. */
const STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400, 172_800, 604_800].map((s) => s * 1000);

/** More groups than this do not read as a picture: aggregation coarsens instead. */
export const MAX_GROUPS = 120;

/**
 * Groups lines by time buckets of `requestedStepMs`, or of the smallest coarser step that leaves
 * at most `maxGroups` groups. Every line lands in exactly one group, so Σdelta is kept.
 */
export function groupLines(lines: TimelineLine[], requestedStepMs: number, maxGroups = MAX_GROUPS): Grouping {
  const sorted = [...lines].sort(byTimeThenContent);
  const candidates = [requestedStepMs, ...STEPS.filter((s) => s > requestedStepMs)];
  let stepMs = candidates[candidates.length - 1]!;
  for (const step of candidates) {
    if (countBuckets(sorted, step) <= maxGroups) {
      stepMs = step;
      break;
    }
  }
  const groups: Group[] = [];
  let current: { group: Group; byKey: Map<string, GroupEntry> } | undefined;
  for (const line of sorted) {
    const startMs = bucketStart(line.timeMs, stepMs);
    if (current?.group.startMs !== startMs) {
      current = { group: { startMs, level: line.level, delta: 0, entries: [] }, byKey: new Map() };
      groups.push(current.group);
    }
    const { group, byKey } = current;
    group.delta += line.delta;
    if (levelRank(line.level) > levelRank(group.level)) group.level = line.level;
    const key = `${line.level}\u0000${line.reason}\u0000${line.kind}\u0000${line.name}\u0000${line.message}`;
    const entry = byKey.get(key);
    if (entry) {
      entry.delta += line.delta;
      entry.lines++;
      entry.lastMs = line.timeMs;
    } else {
      const fresh: GroupEntry = {
        level: line.level,
        reason: line.reason,
        kind: line.kind,
        name: line.name,
        message: line.message,
        delta: line.delta,
        lines: 1,
        firstMs: line.timeMs,
        lastMs: line.timeMs,
      };
      byKey.set(key, fresh);
      group.entries.push(fresh);
    }
  }
  return { stepMs, requestedStepMs, groups };
}

/**
 * A total order: lines of one millisecond come out the same whatever order the input had them in
 * (a file's order and Loki's differ), so a file and Loki give the same picture byte for byte.
 */
function byTimeThenContent(a: TimelineLine, b: TimelineLine): number {
  return (
    a.timeMs - b.timeMs ||
    levelRank(a.level) - levelRank(b.level) ||
    compare(a.reason, b.reason) ||
    compare(a.kind, b.kind) ||
    compare(a.name, b.name) ||
    compare(a.message, b.message) ||
    a.delta - b.delta
  );
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const bucketStart = (t: number, step: number) => t - (((t % step) + step) % step);

function countBuckets(sorted: TimelineLine[], step: number): number {
  let n = 0;
  let last = NaN;
  for (const line of sorted) {
    const b = bucketStart(line.timeMs, step);
    if (b !== last) {
      n++;
      last = b;
    }
  }
  return n;
}

/** Occurrences per reason within a group, most first (ties by name), for the group's summary. */
export function reasonCounts(group: Group): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const e of group.entries) counts.set(e.reason, (counts.get(e.reason) ?? 0) + e.delta);
  return [...counts].sort((a, b) => b[1] - a[1] || compare(a[0], b[0]));
}

/** "1s", "5m", "2h", "1d": a step as written on the command line and in the picture. */
export function formatStep(ms: number): string {
  const units: Array<[number, string]> = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'm'],
    [1000, 's'],
  ];
  for (const [size, unit] of units) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}
