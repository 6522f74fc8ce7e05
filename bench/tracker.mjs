// node --expose-gc bench/tracker.mjs [EVENTS]   (npm run build first: it measures dist/)
//
// The occurrence tracker (src/track/occurrence-tracker.ts, typed arrays keyed by a 64-bit uid
// hash) against the plain baseline it replaces in thought: a Map from the uid string to
// { count, seenMs, epoch }, the least anyone would write. Both are fed the same EVENTS distinct
// uids (default 500,000, the default tracking.maxEvents), each as fresh a string as a parsed
// watch notification's, and then the same uids again:
// - memory: heap + ArrayBuffers held once all are recorded (after a full GC), per Event;
// - new: observe() + record() of an Event not seen before, per second;
// - unchanged: observe() + touch() of an Event seen before with the same count, per second.
// Each measurement runs in a process of its own (pinned to one core when taskset exists), in
// rounds that alternate the two, and the table gives the median of the rounds.
// Environment: TRACKER_ROUNDS (default 3).
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const uid = (i) => `0b1e7c2a-5d3f-4e6a-9c8b-${i.toString(16).padStart(12, '0')}`;

/** The plain baseline: what the typed-array tracker keeps, in a Map keyed by the uid string. */
class MapTracker {
  entries = new Map();
  epoch = 1;
  observe(key, count) {
    const entry = this.entries.get(key);
    if (entry === undefined) return { kind: 'new', delta: count };
    if (count > entry.count) return { kind: 'grew', delta: count - entry.count };
    return count === entry.count ? { kind: 'unchanged' } : { kind: 'shrank' };
  }
  record(key, count, nowMs) {
    const entry = this.entries.get(key);
    if (entry === undefined) this.entries.set(key, { count, seenMs: nowMs, epoch: this.epoch });
    else {
      entry.count = Math.max(entry.count, count);
      entry.seenMs = nowMs;
      entry.epoch = this.epoch;
    }
  }
  touch(key, nowMs) {
    const entry = this.entries.get(key);
    if (entry !== undefined) {
      entry.seenMs = nowMs;
      entry.epoch = this.epoch;
    }
  }
}

function held() {
  globalThis.gc();
  globalThis.gc();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

async function measure(kind, events) {
  const { OccurrenceTracker } = await import('../dist/track/occurrence-tracker.js');
  const before = held();
  const tracker = kind === 'typed' ? new OccurrenceTracker({ ttlMs: 2 * 3600_000, maxEntries: events }) : new MapTracker();
  const now = Date.now();
  let start = process.hrtime.bigint();
  for (let i = 0; i < events; i++) {
    const key = uid(i);
    const seen = tracker.observe(key, 1);
    if (seen.kind === 'new') tracker.record(key, 1, now);
  }
  const newSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  const bytes = held() - before;
  start = process.hrtime.bigint();
  let unchanged = 0;
  for (let i = 0; i < events; i++) {
    const key = uid(i);
    if (tracker.observe(key, 1).kind === 'unchanged') {
      tracker.touch(key, now);
      unchanged++;
    }
  }
  const unchangedSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (unchanged !== events) throw new Error(`${kind}: ${unchanged} of ${events} seen as unchanged`);
  return {
    kind,
    events,
    bytesPerEvent: bytes / events,
    heldMiB: bytes / 2 ** 20,
    newPerSecond: events / newSeconds,
    unchangedPerSecond: events / unchangedSeconds,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
}

if (process.argv[2] === '--run') {
  process.stdout.write(JSON.stringify(await measure(process.argv[3], Number(process.argv[4]))));
} else {
  const events = Number(process.argv[2] ?? 500_000);
  const rounds = Number(process.env.TRACKER_ROUNDS ?? 3);
  const oneCore = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
  const self = fileURLToPath(import.meta.url);
  const run = (kind) => {
    const args = ['--expose-gc', self, '--run', kind, String(events)];
    const [cmd, argv] = oneCore ? ['taskset', ['-c', '0', process.execPath, ...args]] : [process.execPath, args];
    return JSON.parse(execFileSync(cmd, argv, { encoding: 'utf8' }));
  };
  const results = { typed: [], map: [] };
  for (let round = 0; round < rounds; round++) for (const kind of ['map', 'typed']) results[kind].push(run(kind));
  const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
  const n = (x, digits = 0) => x.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  console.log(
    `occurrence tracker, ${n(events)} distinct Events, median of ${rounds} rounds, ${oneCore ? 'one core (taskset -c 0)' : 'NOT pinned'}, node ${process.version}\n`,
  );
  console.log(
    '| tracker | bytes per Event held | held at the end (MiB) | new: observe + record / s | unchanged: observe + touch / s | peak RSS (MiB) |\n|---|---:|---:|---:|---:|---:|',
  );
  for (const [kind, label] of [
    ['map', 'plain Map (uid string → { count, seenMs, epoch })'],
    ['typed', 'OccurrenceTracker (typed arrays, 64-bit uid hash)'],
  ]) {
    const r = results[kind];
    const m = (key) => median(r.map((x) => x[key]));
    console.log(
      `| ${label} | ${n(m('bytesPerEvent'))} | ${n(m('heldMiB'), 1)} | ${n(m('newPerSecond'))} | ${n(m('unchangedPerSecond'))} | ${n(m('peakRssMiB'), 1)} |`,
    );
  }
}
