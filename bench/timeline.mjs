// npm run bench:timeline: `kube-eventline timeline` on 100,000 event lines (BENCH_TIMELINE_LINES),
// from the bundle the command loads (dist/kube-eventline-timeline.mjs), each run in a process of
// its own: wall time and peak RSS (maxRSS), for SVG and HTML, a workload (every line selected) and
// a pod (a few percent of them).
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdirSync, statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const path = (relative) => fileURLToPath(new URL(relative, import.meta.url));

if (process.argv[2] === '--child') {
  // One run: the timeline command in this process, then its figures as JSON on stdout.
  const { runTimeline } = await import(pathToFileURL(path('../dist/kube-eventline-timeline.mjs')).href);
  const start = process.hrtime.bigint();
  const code = await runTimeline(process.argv.slice(3), {});
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  process.stdout.write(JSON.stringify({ code, ms, peakRssMiB: process.resourceUsage().maxRSS / 1024 }));
  process.exit(0);
}

const LINES = Number(process.env.BENCH_TIMELINE_LINES ?? 100_000);
const dir = path('../.cache/bench');
mkdirSync(dir, { recursive: true });
const input = `${dir}/timeline-${LINES}-v2.jsonl`;
await writeLines(input, LINES);

const cases = [
  ['workload deployment/api (every line), SVG', ['--workload', 'deployment/api', '--namespace', 'shop'], 'svg'],
  ['workload deployment/api (every line), HTML', ['--workload', 'deployment/api', '--namespace', 'shop'], 'html'],
  ['pod api-7d9c5b-p00 (1 in 40 lines), SVG', ['--pod', 'api-7d9c5b-p00', '--namespace', 'shop'], 'svg'],
  ['workload, per 1h, SVG', ['--workload', 'deployment/api', '--namespace', 'shop', '--group', '1h'], 'svg'],
];
console.log(
  `kube-eventline timeline benchmark: ${LINES.toLocaleString('en')} lines (${(statSync(input).size / 1048576).toFixed(1)} MiB) over 48 h, 40 pods of one Deployment, bursts and quiet hours; node ${process.version}`,
);
console.log('\n| case | wall time (s) | peak RSS (MiB) | output (KiB) |\n|---|---:|---:|---:|');
for (const [name, args, ext] of cases) {
  const out = `${dir}/timeline-out.${ext}`;
  const result = JSON.parse(
    execFileSync(process.execPath, [path('timeline.mjs'), '--child', '--file', input, ...args, '--out', out], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  if (result.code !== 0) throw new Error(`${name}: exit code ${result.code}`);
  console.log(`| ${name} | ${(result.ms / 1000).toFixed(2)} | ${result.peakRssMiB.toFixed(1)} | ${(statSync(out).size / 1024).toFixed(0)} |`);
}

/** Deterministic lines in the shape of docs/event-line.md: 48 hours, busy and quiet spells. */
async function writeLines(file, n) {
  const out = createWriteStream(file);
  const start = Date.parse('2026-11-20T00:00:00Z');
  const reasons = [
    ['info', 'Pulled', 'Normal', 'Container image "registry.example/shop/api:1.4.2" already present on machine'],
    ['info', 'Started', 'Normal', 'Started container api'],
    ['normal', 'SuccessfulAttachVolume', 'Normal', 'AttachVolume.Attach succeeded for volume "pvc-data"'],
    ['warning', 'BackOff', 'Warning', 'Back-off restarting failed container api in pod %POD%_shop(5f0c1b2a)'],
    ['warning', 'Unhealthy', 'Warning', 'Liveness probe failed: HTTP probe failed with statuscode: 503'],
    ['error', 'FailedMount', 'Warning', 'MountVolume.SetUp failed for volume "tls" : secret "api-tls" not found'],
    ['fatal', 'SystemOOM', 'Warning', 'System OOM encountered, victim process: java, pid: %N%'],
  ];
  let a = 12345;
  const random = () => (a = (Math.imul(a, 1103515245) + 12345) >>> 0) / 4294967296;
  for (let i = 0; i < n; i++) {
    // Six busy hours in every twelve, four times; the six quiet hours between are compressed.
    const spell = Math.floor((i / n) * 4);
    const t = start + spell * 12 * 3_600_000 + Math.floor(((i / n) * 4 - spell) * 6 * 3_600_000) + Math.floor(random() * 1000);
    const [level, reason, type, message] = reasons[Math.floor(random() ** 2 * reasons.length)];
    const pod = `api-7d9c5b-p${String(i % 40).padStart(2, '0')}`;
    const line = {
      level,
      time: new Date(t).toISOString(),
      delta: 1 + Math.floor(random() * 3),
      namespace: 'shop',
      clusterName: 'bench',
      metadata: {
        name: `${pod}.${i.toString(16)}`,
        namespace: 'shop',
        uid: `uid-${i}`,
        resourceVersion: String(i),
        creationTimestamp: new Date(t).toISOString(),
      },
      reason,
      message: message.replace('%POD%', pod).replace('%N%', String(i)),
      source: { component: 'kubelet', host: `node-${i % 7}` },
      firstTimestamp: null,
      lastTimestamp: null,
      count: 1 + (i % 50),
      type,
      eventTime: null,
      involvedObject: { kind: 'Pod', namespace: 'shop', name: pod, uid: `pod-${i % 40}`, apiVersion: 'v1', workload: { kind: 'Deployment', name: 'api' } },
    };
    if (!out.write(`${JSON.stringify(line)}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}
