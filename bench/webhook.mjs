// npm run bench:webhook: does a hanging webhook slow stdout down or grow memory? Each round starts
// two processes of the exporter pipeline (bench/webhook-pipeline.mjs), both pinned to the same core:
// stdout alone, and stdout plus a webhook receiver whose endpoint (a FAKE server on 127.0.0.1, in
// this process) takes every request and never answers. They run the same Events in alternating
// chunks (which arm goes first alternates too), so every comparison is between two chunks run
// a fraction of a second apart: this machine's speed drifts by up to 2× within minutes as other
// work comes and goes, which whole runs a few seconds apart cannot tell from the code.
// Every line must still reach stdout (counted in the output files).
// BENCH_AA=1 runs the same with no webhook in either arm: the spread that is noise alone.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { bundle } from '../scripts/bundle.mjs';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const CHUNK = Math.min(EVENTS, Number(process.env.BENCH_CHUNK ?? 5_000));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const AA = process.env.BENCH_AA === '1';
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
const endpoint = { requests: 0, bodyBytes: 0, answered: 0 };
const server = createServer((req, res) => {
  endpoint.requests++;
  held.push(res);
  req.on('data', (chunk) => (endpoint.bodyBytes += chunk.length)); // read the body, never answer
  res.on('finish', () => endpoint.answered++);
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${server.address().port}/hang`;

/** One arm's process: `ask(command)` sends a command line and resolves with its JSON answer. */
async function startArm(withWebhook, name) {
  const out = join(dir, `${name}.jsonl`);
  const args = [...NODE_FLAGS, driver, eventsFile, out, ...(withWebhook ? [url] : [])];
  const [cmd, argv] = oneCore ? ['taskset', ['-c', '0', process.execPath, ...args]] : [process.execPath, args];
  const child = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'inherit'] });
  const answers = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const next = async () => {
    const { value, done } = await answers.next();
    if (done) throw new Error(`${name}: the process ended (exit ${await exited})`);
    return JSON.parse(value);
  };
  await next(); // ready
  return {
    out,
    ask(command) {
      child.stdin.write(`${command}\n`);
      return next();
    },
    async end() {
      child.stdin.write('end\n');
      const totals = await next();
      child.stdin.end();
      await exited;
      const text = readFileSync(out, 'utf8');
      totals.stdoutLines = text.length === 0 ? 0 : text.split('\n').length - 1;
      rmSync(out);
      return totals;
    },
  };
}

console.log(
  `kube-eventline webhook benchmark${AA ? ' (A/A: NO webhook in either arm, the noise alone)' : ''}: ${ROUNDS} rounds; each runs ${EVENTS.toLocaleString('en')} distinct Events (built from the 302 real ones) through two processes, stdout alone and stdout + a webhook (preset slack, collapsing off so every line is queued: the worst case) whose endpoint never answers (queueSize 1000), alternating chunks of ${CHUNK.toLocaleString('en')} (which goes first alternates), ${oneCore ? 'both pinned to one core (taskset -c 0)' : 'NOT pinned: taskset missing'}; stdout goes to files whose lines are counted`,
);
const rounds = [];
for (let round = 1; round <= ROUNDS; round++) {
  const plain = await startArm(false, `plain-${round}`);
  const hooked = await startArm(!AA, `hook-${round}`);
  const chunks = [];
  for (let done = 0, k = 0; done < EVENTS; done += CHUNK, k++) {
    const size = Math.min(CHUNK, EVENTS - done);
    const hookFirst = (k + round) % 2 === 1;
    const first = await (hookFirst ? hooked : plain).ask(size);
    const second = await (hookFirst ? plain : hooked).ask(size);
    chunks.push(hookFirst ? { plain: second, hooked: first } : { plain: first, hooked: second });
  }
  const sum = (arm, field) => chunks.reduce((total, c) => total + c[arm][field], 0);
  rounds.push({
    round,
    chunks,
    plain: { ...(await plain.end()), seconds: sum('plain', 'seconds'), cpuSeconds: sum('plain', 'cpuSeconds') },
    hooked: { ...(await hooked.end()), seconds: sum('hooked', 'seconds'), cpuSeconds: sum('hooked', 'cpuSeconds') },
  });
}
for (const res of held) res.destroy();
server.closeAllConnections();
server.close();
rmSync(dir, { recursive: true, force: true });

/** The q-quantile, interpolating between order statistics. */
const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  return sorted[low] + (sorted[Math.min(low + 1, sorted.length - 1)] - sorted[low]) * (at - low);
};
const median = (values) => quantile(values, 0.5);
const pct = (x) => `${(x * 100).toFixed(1)} %`;
const spread = (values) =>
  `median **${pct(median(values))}**, quartiles ${pct(quantile(values, 0.25))}–${pct(quantile(values, 0.75))}, range ${pct(Math.min(...values))}–${pct(Math.max(...values))}`;
const n = (x) => Math.round(x).toLocaleString('en');
// a throughput ratio: the webhook arm's events/s over stdout alone's, i.e. the inverse ratio of their times
const ratio = (plain, hooked, field) => plain[field] / hooked[field];

console.log(
  '\n| round | stdout alone, events/s | stdout + hanging webhook, events/s | ratio (wall clock) | ratio (CPU) | first chunk ratio (queue filling) | lines on stdout (alone / with webhook) | peak RSS MiB (alone / with webhook) | webhook queue peak | dropped while running (queue_full) | dropped at stop |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
);
for (const r of rounds) {
  const stopDropped = (r.hooked.droppedInTotal.stopped ?? 0) + (r.hooked.droppedInTotal.failed ?? 0);
  console.log(
    `| ${r.round} | ${n(EVENTS / r.plain.seconds)} | ${n(EVENTS / r.hooked.seconds)} | ${pct(ratio(r.plain, r.hooked, 'seconds'))} | ${pct(ratio(r.plain, r.hooked, 'cpuSeconds'))} | ${pct(ratio(r.chunks[0].plain, r.chunks[0].hooked, 'seconds'))} | ${n(r.plain.stdoutLines)} / ${n(r.hooked.stdoutLines)} | ${r.plain.peakRssMiB.toFixed(1)} / ${r.hooked.peakRssMiB.toFixed(1)} | ${r.hooked.peakQueue} | ${n(r.hooked.droppedWhileRunning.queue_full ?? 0)} | ${n(stopDropped)} |`,
  );
}
const chunkPairs = rounds.flatMap((r) => r.chunks);
const wholeRatio = median(rounds.map((r) => ratio(r.plain, r.hooked, 'seconds')));
console.log(
  `\nwhole runs (${EVENTS.toLocaleString('en')} Events, the queue filling included), ratio with / without the webhook over the ${ROUNDS} rounds: wall clock ${spread(rounds.map((r) => ratio(r.plain, r.hooked, 'seconds')))}; CPU ${spread(rounds.map((r) => ratio(r.plain, r.hooked, 'cpuSeconds')))}`,
);
console.log(
  `chunk by chunk (${chunkPairs.length} pairs of ${CHUNK.toLocaleString('en')} Events run back to back): wall clock ${spread(chunkPairs.map((c) => ratio(c.plain, c.hooked, 'seconds')))}; CPU ${spread(chunkPairs.map((c) => ratio(c.plain, c.hooked, 'cpuSeconds')))}`,
);
console.log(
  `the endpoint: ${endpoint.requests} requests taken (${n(endpoint.bodyBytes)} body bytes), ${endpoint.answered} answered, ${held.length} held open until the end`,
);
const peak = Math.max(...rounds.map((r) => r.hooked.peakRssMiB));
const allLines = rounds.every((r) => r.plain.stdoutLines === EVENTS && r.hooked.stdoutLines === EVENTS);
console.log(
  `\ntargets: stdout throughput with a hanging webhook ≥ 90 % of without ${wholeRatio >= 0.9 ? 'met' : 'MISSED'} (median of whole runs ${pct(wholeRatio)}); peak RSS < ${RSS_BOUND_MIB} MiB with the webhook ${peak < RSS_BOUND_MIB ? 'met' : 'MISSED'} (highest ${peak.toFixed(1)} MiB); every line on stdout ${allLines ? 'yes' : 'NO'} (${EVENTS.toLocaleString('en')} each run)`,
);
console.log(`node ${process.version} ${NODE_FLAGS.join(' ')}, ${execFileSync('uname', ['-srm'], { encoding: 'utf8' }).trim()}, ${new Date().toISOString()}`);
