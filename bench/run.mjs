// npm run bench: the exporter pipeline against a bare parse/stringify/write loop, one core each.
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { bundle } from '../scripts/bundle.mjs';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const oneCore = spawnSync('taskset', ['-c', '0', 'true']).status === 0;

// The exporter Deployment's NODE_OPTIONS (deploy/exporter/deployment.yaml), so RSS is what a Pod sees.
const NODE_FLAGS = ['--max-semi-space-size=2', '--max-old-space-size=192'];

const path = (relative) => fileURLToPath(new URL(relative, import.meta.url));
const driver = path('../.cache/bench/pipeline.mjs');
await bundle({ entry: path('pipeline.mjs'), outfile: driver, sourcemap: false });
const eventsFile = path('../../shared/events/real-events.jsonl');

function run(mode) {
  const args = [...NODE_FLAGS, driver, mode, String(EVENTS), eventsFile];
  const [cmd, argv] = oneCore ? ['taskset', ['-c', '0', process.execPath, ...args]] : [process.execPath, args];
  return JSON.parse(execFileSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
}

console.log(`kube-eventline benchmark: ${EVENTS.toLocaleString('en')} distinct Events (built from the 302 real ones), ${oneCore ? 'pinned to one core (taskset -c 0)' : 'NOT pinned: taskset missing'}, written to /dev/null; both bundled as the image's exporter is (scripts/bundle.mjs)`);
const ceiling = run('ceiling');
const pipeline = run('exporter');
const ratio = pipeline.eventsPerSecond / ceiling.eventsPerSecond;
const rows = [
  ['decode → track → grade → route → serialize (pino) → write', pipeline],
  ['ceiling: JSON.parse + JSON.stringify + write', ceiling],
];
console.log('\n| run | events/s | seconds | peak RSS (MiB) |\n|---|---:|---:|---:|');
for (const [name, r] of rows) console.log(`| ${name} | ${Math.round(r.eventsPerSecond).toLocaleString('en')} | ${r.seconds.toFixed(2)} | ${r.peakRssMiB.toFixed(1)} |`);
console.log(`\npipeline / ceiling: ${(ratio * 100).toFixed(1)} %`);
console.log(`targets: ≥ 50,000 events/s ${pipeline.eventsPerSecond >= 50_000 ? 'met' : 'MISSED'}; ≥ 50 % of ceiling ${ratio >= 0.5 ? 'met' : 'MISSED'}; peak RSS < 100 MiB ${pipeline.peakRssMiB < 100 ? 'met' : 'MISSED'}`);
console.log(`node ${process.version} ${NODE_FLAGS.join(' ')}, ${execFileSync('uname', ['-srm'], { encoding: 'utf8' }).trim()}`);
