// node bench/restore.mjs   (npm run build first: it measures dist/; `npm run bench` runs it last)
//
// Restoring a checkpoint at start: what the exporter does between "became leader" and "watching
// Events". For each size, a tracker is filled with that many distinct Events (counts 1–7, as a
// cluster's mostly are), saved through the real FileCheckpointStore (format 2: packed, gzip),
// and then, in a fresh process with the Deployment's NODE_OPTIONS, loaded and restored into a new
// tracker, as Checkpointer.restore does. Also: the format-1 (JSON) checkpoint that earlier
// versions wrote, which must still restore. Figures: median of 3 runs, milliseconds.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const NODE_FLAGS = ['--max-semi-space-size=2', '--max-old-space-size=192'];
const dist = (relative) => new URL(`../dist/${relative}`, import.meta.url).href;

async function write(events, format, file) {
  const { OccurrenceTracker } = await import(dist('track/occurrence-tracker.js'));
  const { FileCheckpointStore } = await import(dist('checkpoint/file-store.js'));
  const tracker = new OccurrenceTracker({ ttlMs: 2 * 3600_000, maxEntries: Math.max(500_000, events) });
  const now = Date.now();
  for (let i = 0; i < events; i++) tracker.record(randomUUID(), 1 + (i % 7 === 0 ? i % 6 : 0), now);
  const checkpoint = { version: 1, savedAt: new Date(now).toISOString(), scopes: { '*': tracker.snapshot() } };
  if (format === 'json') writeFileSync(file, gzipSync(JSON.stringify(checkpoint)).toString('base64'));
  else await new FileCheckpointStore(file).save(checkpoint);
}

async function restore(file) {
  const { OccurrenceTracker } = await import(dist('track/occurrence-tracker.js'));
  const { FileCheckpointStore } = await import(dist('checkpoint/file-store.js'));
  const { statSync } = await import('node:fs');
  const start = performance.now();
  const checkpoint = await new FileCheckpointStore(file).load();
  const loaded = performance.now();
  const tracker = new OccurrenceTracker({ ttlMs: 2 * 3600_000, maxEntries: 500_000 });
  tracker.restore(checkpoint.scopes['*']);
  const end = performance.now();
  return {
    loadMs: loaded - start,
    restoreMs: end - loaded,
    totalMs: end - start,
    events: tracker.size,
    bytes: statSync(file).size,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
}

if (process.argv[2] === '--write') {
  await write(Number(process.argv[3]), process.argv[4], process.argv[5]);
} else if (process.argv[2] === '--restore') {
  process.stdout.write(JSON.stringify(await restore(process.argv[3])));
} else {
  const self = fileURLToPath(import.meta.url);
  const oneCore = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
  const node = (args) => {
    const [cmd, argv] = oneCore ? ['taskset', ['-c', '0', process.execPath, ...NODE_FLAGS, self, ...args]] : [process.execPath, [...NODE_FLAGS, self, ...args]];
    return execFileSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  };
  const dir = mkdtempSync(join(tmpdir(), 'eventline-restore-'));
  const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
  const n = (x, digits = 0) => x.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  console.log(
    `\ncheckpoint restore (file store; load = read + gunzip + decode, restore = into the tracker), median of 3 runs, ${oneCore ? 'one core (taskset -c 0)' : 'NOT pinned'}, ${NODE_FLAGS.join(' ')}\n`,
  );
  console.log(
    '| Events | format | file size (bytes) | bytes per Event | load (ms) | restore into tracker (ms) | total (ms) | peak RSS (MiB) |\n|---:|---|---:|---:|---:|---:|---:|---:|',
  );
  for (const [events, format] of [
    [100_000, 'packed'],
    [200_000, 'packed'],
    [500_000, 'packed'],
    [100_000, 'json'],
  ]) {
    const file = join(dir, `checkpoint-${events}-${format}`);
    node(['--write', String(events), format, file]);
    const runs = [0, 1, 2].map(() => JSON.parse(node(['--restore', file])));
    if (runs.some((r) => r.events !== events)) throw new Error(`restored ${runs.map((r) => r.events)} of ${events}`);
    const m = (key) => median(runs.map((r) => r[key]));
    console.log(
      `| ${n(events)} | ${format === 'json' ? 'format 1 (JSON, earlier versions)' : 'format 2 (packed)'} | ${n(runs[0].bytes)} | ${n(runs[0].bytes / events, 1)} | ${n(m('loadMs'))} | ${n(m('restoreMs'))} | ${n(m('totalMs'))} | ${n(m('peakRssMiB'), 1)} |`,
    );
  }
}
