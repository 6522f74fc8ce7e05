// One run of the webhook benchmark in its own process (so its peak RSS is its own): EVENTS
// distinct Events through the real Exporter to a stdout receiver writing into OUT_FILE, and,
// with a webhook URL, to a webhook receiver posting there as well. Prints one JSON object.
// Usage: node webhook-pipeline.mjs EVENTS EVENTS_FILE OUT_FILE [WEBHOOK_URL]
import { closeSync, openSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import pino from 'pino';
import { loadConfig } from '../dist/config/load.js';
import { Exporter } from '../dist/exporter.js';
import { compileGrader } from '../dist/grade/grade.js';
import { compileRoute, routeLine } from '../dist/route/compile-route.js';
import { ExporterMetrics } from '../dist/serve/metrics.js';
import { createSinks } from '../dist/sinks/create-sinks.js';
import { KubeHttp } from '../dist/watch/kube-http.js';
import { watchLines } from './workload.mjs';

const [eventsArg, eventsFile, outFile, webhookUrl] = process.argv.slice(2);
const total = Number(eventsArg);
const receivers = webhookUrl
  ? `route: { match: [{ receiver: stdout }, { receiver: hook }] }
receivers:
  - { name: stdout, stdout: {} }
  - name: hook
    webhook: { endpoint: "${webhookUrl}", preset: slack, queueSize: ${process.env.QUEUE_SIZE ?? 1000}, timeoutSeconds: 10, stopTimeoutSeconds: 1, collapseSeconds: 0 }
`
  : 'receivers:\n  - { name: stdout, stdout: {} }\n';
const { config } = loadConfig(`enrichment: {enabled: false}\nmaxEventAgeSeconds: 2592000\n${receivers}`, 'bench', {});
const kubeConfig = new KubeConfig();
kubeConfig.loadFromClusterAndUser({ name: 'bench', server: 'https://127.0.0.1:1' }, { name: 'bench' });
const route = compileRoute(
  config.route,
  config.receivers.map((r) => r.name),
);
const metrics = new ExporterMetrics('bench_', false);
const log = pino({ level: 'silent' });
const outFd = openSync(outFile, 'w');
const sinks = createSinks(config.receivers, { metrics, log }, outFd);
const exporter = new Exporter({
  api: new KubeHttp(kubeConfig),
  clusterName: 'bench',
  namespaces: [],
  maxEventAgeSeconds: config.maxEventAgeSeconds,
  maxMessageBytes: config.maxMessageBytes,
  grade: compileGrader(config.levels),
  route: (line) => routeLine(route, line),
  sinks,
  metrics,
  log,
});

const line = watchLines(eventsFile);
let peakQueue = 0;
const start = process.hrtime.bigint();
const cpuAtStart = process.cpuUsage();
for (let i = 0; i < total; i++) {
  const message = JSON.parse(line(i));
  const pending = exporter.ingest(message.type, message.object);
  if (pending) await pending;
  const hook = sinks.get('hook');
  if (hook && (i & 1023) === 0) peakQueue = Math.max(peakQueue, hook.queued);
}
await sinks.get('stdout').flush();
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
const cpu = process.cpuUsage(cpuAtStart);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const peakRssMiB = process.resourceUsage().maxRSS / 1024;
const dropped = async () => {
  const metric = await metrics.registry.getSingleMetric('bench_webhook_dropped_total').get();
  return Object.fromEntries(metric.values.map((v) => [v.labels.why, v.value]));
};
const beforeClose = await dropped();
for (const sink of sinks.values()) await sink.close();
closeSync(outFd);
process.stdout.write(
  `${JSON.stringify({ webhook: Boolean(webhookUrl), events: total, seconds, eventsPerSecond: total / seconds, cpuSeconds, eventsPerCpuSecond: total / cpuSeconds, peakRssMiB, peakQueue, droppedWhileRunning: beforeClose, droppedInTotal: await dropped() })}\n`,
);
