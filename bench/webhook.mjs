// npm run bench:webhook: does a hanging webhook slow stdout down or grow memory? Each round runs
// the exporter pipeline twice, back to back: stdout alone, then stdout plus a webhook receiver
// whose endpoint (a FAKE server on 127.0.0.1, in this process) accepts connections and never
// answers. Every line must still reach stdout (counted in the output file).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundle } from '../scripts/bundle.mjs';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
/** docs/config.md: the exporter's documented peak RSS, a webhook receiver included. */
const RSS_BOUND_MIB = 100;
const NODE_FLAGS = ['--max-semi-space-size=2', '--max-old-space-size=192'];
const oneCore = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
const path = (relative) => fileURLToPath(new URL(relative, import.meta.url));
const eventsFile = path('../test/fixtures/events/real-events.jsonl');
// Bundled as the image's exporter is (scripts/bundle.mjs), so RSS is what a Pod sees.
const driver = path('../.cache/bench/webhook-pipeline.mjs');
await bundle({ entry: path('webhook-pipeline.mjs'), outfile: driver, sourcemap: false });
const dir = mkdtempSync(join(tmpdir(), 'kube-eventline-bench-webhook-'));

const held = [];
const server = createServer((req, res) => {
  held.push(res);
  req.resume(); // read the body, never answer
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${server.address().port}/hang`;

function run(withWebhook, round) {
  const out = join(dir, `out-${round}-${withWebhook ? 'hook' : 'plain'}.jsonl`);
  const args = [...NODE_FLAGS, driver, String(EVENTS), eventsFile, out, ...(withWebhook ? [url] : [])];
  const [cmd, argv] = oneCore ? ['taskset', ['-c', '0', process.execPath, ...args]] : [process.execPath, args];
  return new Promise((resolve, reject) => {
    // async, so this process keeps serving (and holding) the webhook's connections meanwhile
    import('node:child_process').then(({ execFile }) =>
      execFile(cmd, argv, { encoding: 'utf8', maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
        if (error) return reject(new Error(`${error.message}\n${stderr}`));
        const result = JSON.parse(stdout);
        const text = readFileSync(out, 'utf8');
        result.stdoutLines = text.length === 0 ? 0 : text.split('\n').length - 1;
        rmSync(out);
        resolve(result);
      }),
    );
  });
}

console.log(
  `kube-eventline webhook benchmark: ${EVENTS.toLocaleString('en')} distinct Events (built from the 302 real ones) per run, ${ROUNDS} rounds of stdout alone then stdout + a webhook (preset slack, collapsing off so every line is queued: the worst case) whose endpoint never answers (queueSize 1000, timeout 10 s), ${oneCore ? 'pinned to one core (taskset -c 0)' : 'NOT pinned: taskset missing'}; stdout goes to a file whose lines are counted`,
);
const rounds = [];
for (let round = 1; round <= ROUNDS; round++) {
  const plain = await run(false, round);
  const hooked = await run(true, round);
  rounds.push({ round, plain, hooked, ratio: hooked.eventsPerSecond / plain.eventsPerSecond, cpuRatio: hooked.eventsPerCpuSecond / plain.eventsPerCpuSecond });
}
for (const res of held) res.destroy();
server.closeAllConnections();
server.close();
rmSync(dir, { recursive: true, force: true });

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const n = (x) => Math.round(x).toLocaleString('en');
console.log(
  '\n| round | stdout alone, events/s | stdout + hanging webhook, events/s | ratio | ratio of events per CPU second | lines on stdout (alone / with webhook) | peak RSS MiB (alone / with webhook) | webhook queue peak | webhook dropped while running (queue_full) | dropped at stop |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
);
for (const r of rounds) {
  const stopDropped = (r.hooked.droppedInTotal.stopped ?? 0) + (r.hooked.droppedInTotal.failed ?? 0);
  console.log(
    `| ${r.round} | ${n(r.plain.eventsPerSecond)} | ${n(r.hooked.eventsPerSecond)} | ${(r.ratio * 100).toFixed(1)} % | ${(r.cpuRatio * 100).toFixed(1)} % | ${n(r.plain.stdoutLines)} / ${n(r.hooked.stdoutLines)} | ${r.plain.peakRssMiB.toFixed(1)} / ${r.hooked.peakRssMiB.toFixed(1)} | ${r.hooked.peakQueue} | ${n(r.hooked.droppedWhileRunning.queue_full ?? 0)} | ${n(stopDropped)} |`,
  );
}
const ratio = median(rounds.map((r) => r.ratio));
const cpuRatio = median(rounds.map((r) => r.cpuRatio));
const peak = Math.max(...rounds.map((r) => r.hooked.peakRssMiB));
const allLines = rounds.every((r) => r.plain.stdoutLines === EVENTS && r.hooked.stdoutLines === EVENTS);
console.log(
  `\ntargets: stdout throughput with a hanging webhook ≥ 90 % of without ${ratio >= 0.9 ? 'met' : 'MISSED'} (median ${(ratio * 100).toFixed(1)} %; events per CPU second, less sensitive to other load on the machine: ${(cpuRatio * 100).toFixed(1)} %); peak RSS < ${RSS_BOUND_MIB} MiB with the webhook ${peak < RSS_BOUND_MIB ? 'met' : 'MISSED'} (highest ${peak.toFixed(1)} MiB); every line on stdout ${allLines ? 'yes' : 'NO'} (${EVENTS.toLocaleString('en')} each run)`,
);
console.log(`node ${process.version} ${NODE_FLAGS.join(' ')}, ${execFileSync('uname', ['-srm'], { encoding: 'utf8' }).trim()}, ${new Date().toISOString()}`);
