// One arm of the webhook benchmark, in its own process (so its peak RSS and its heap are its own):
// the real Exporter, built as run.ts builds it, with a stdout receiver writing into OUT_FILE and,
// with a webhook URL, a webhook receiver posting there as well. It runs chunks of distinct Events
// when told, so that bench/webhook.mjs can alternate two arms chunk by chunk.
// Usage: node webhook-pipeline.mjs EVENTS_FILE OUT_FILE [WEBHOOK_URL]
// Reads one command a line on stdin: a number N runs the next N Events and answers
// {seconds, cpuSeconds} (stdout flushed to the file within the time); `end` closes the receivers
// and answers the totals. Every answer is one JSON line on stdout.
import { closeSync, openSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import pino from 'pino';
import { loadConfig } from '../dist/config/load.js';
import { buildExporter } from '../dist/run.js';
import { ExporterMetrics } from '../dist/serve/metrics.js';
import { watchLines } from './workload.mjs';

const [eventsFile, outFile, webhookUrl] = process.argv.slice(2);
// Both arms route to every receiver they have; the webhook arm has one more.
const receivers = webhookUrl
  ? `route: { match: [{ receiver: stdout }, { receiver: hook }] }
receivers:
  - { name: stdout, stdout: {} }
  - name: hook
    webhook: { endpoint: "${webhookUrl}", preset: slack, queueSize: ${process.env.QUEUE_SIZE ?? 1000}, timeoutSeconds: 60, stopTimeoutSeconds: 1, collapseSeconds: 0 }
`
  : 'route: { match: [{ receiver: stdout }] }\nreceivers:\n  - { name: stdout, stdout: {} }\n';
const { config } = loadConfig(`enrichment: {enabled: false}\nmaxEventAgeSeconds: 2592000\n${receivers}`, 'bench', {});
const kubeConfig = new KubeConfig();
kubeConfig.loadFromClusterAndUser({ name: 'bench', server: 'https://127.0.0.1:1' }, { name: 'bench' });
const outFd = openSync(outFile, 'w');
// not started: the benchmark feeds it notifications as the watch loop would
const { exporter, sinks, metrics } = buildExporter(config, kubeConfig, pino({ level: 'silent' }), {
  metrics: new ExporterMetrics('bench_', false),
  stdoutFd: outFd,
});
const stdout = sinks.get('stdout');
const hook = sinks.get('hook');
const line = watchLines(eventsFile);
const answer = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);
const dropped = async () => {
  const metric = await metrics.registry.getSingleMetric('bench_webhook_dropped_total').get();
  return Object.fromEntries(metric.values.map((v) => [v.labels.why, v.value]));
};

let next = 0;
let peakQueue = 0;
const commands = createInterface({ input: process.stdin });
answer({ ready: true });
for await (const command of commands) {
  if (command === 'end') break;
  const end = next + Number(command);
  const start = process.hrtime.bigint();
  const cpuAtStart = process.cpuUsage();
  for (let i = next; i < end; i++) {
    const message = JSON.parse(line(i));
    const pending = exporter.ingest(message.type, message.object);
    if (pending) await pending;
    if (hook && (i & 1023) === 0) peakQueue = Math.max(peakQueue, hook.queued);
  }
  await stdout.flush();
  const cpu = process.cpuUsage(cpuAtStart);
  answer({ seconds: Number(process.hrtime.bigint() - start) / 1e9, cpuSeconds: (cpu.user + cpu.system) / 1e6 });
  next = end;
}
commands.close();
const peakRssMiB = process.resourceUsage().maxRSS / 1024;
const beforeClose = await dropped();
for (const sink of sinks.values()) await sink.close();
closeSync(outFd);
answer({ end: true, webhook: Boolean(webhookUrl), events: next, peakRssMiB, peakQueue, droppedWhileRunning: beforeClose, droppedInTotal: await dropped() });
