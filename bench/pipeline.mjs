// One benchmark run in its own process, so its peak RSS is its own. Prints one JSON object.
// bench/run.mjs bundles this file the way scripts/bundle.mjs bundles the exporter, so the
// process loads what the image's process loads.
// Usage: node pipeline.mjs exporter|ceiling EVENTS EVENTS_FILE
import { openSync, readFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import pino from 'pino';
import { loadConfig } from '../dist/config/load.js';
import { Exporter } from '../dist/exporter.js';
import { compileGrader } from '../dist/grade/grade.js';
import { compileRoute, routeLine } from '../dist/route/compile-route.js';
import { ExporterMetrics } from '../dist/serve/metrics.js';
import { createStdoutSink } from '../dist/sinks/stdout-sink.js';
import { KubeHttp } from '../dist/watch/kube-http.js';
// The rest of what the command bundles (CLI, HTTP server, leader election, diagnostics, demo),
// referenced so the bundler keeps it: the process then parses as much code as the image's does.
import { runDemo } from '../dist/demo/run-demo.js';
import { createDiagnostics } from '../dist/diagnostics.js';
import { LeaseElector } from '../dist/leader/lease-elector.js';
import { runExporter } from '../dist/run.js';
import { startHttpServer } from '../dist/serve/http-server.js';
globalThis.kubeEventlineBenchKeep = [runDemo, createDiagnostics, LeaseElector, runExporter, startHttpServer];

const [mode, eventsArg, eventsFile] = process.argv.slice(2);
const total = Number(eventsArg);

// Watch notifications built from the real Events, each with a uid of its own: a million
// distinct Events, produced on the fly so the input itself takes no memory.
const templates = readFileSync(eventsFile, 'utf8').trim().split('\n').map((text) => {
  const event = JSON.parse(text);
  const marker = '@@UID@@';
  event.metadata.uid = marker;
  const watchLine = JSON.stringify({ type: 'ADDED', object: event });
  const at = watchLine.indexOf(marker);
  return [watchLine.slice(0, at), watchLine.slice(at + marker.length)];
});
function watchLine(i) {
  const [head, tail] = templates[i % templates.length];
  const hex = i.toString(16).padStart(12, '0');
  return `${head}0b1e7c2a-5d3f-4e6a-9c8b-${hex}${tail}`;
}

const devNull = openSync('/dev/null', 'w');
const start = process.hrtime.bigint();

if (mode === 'ceiling') {
  // The floor of any exporter: decode, encode, write. Nothing tracked, graded or routed.
  const destination = pino.destination({ dest: devNull, sync: false, minLength: 0 });
  for (let i = 0; i < total; i++) {
    const message = JSON.parse(watchLine(i));
    if (!destination.write(`${JSON.stringify(message.object)}\n`)) await new Promise((r) => destination.once('drain', r));
  }
  await new Promise((r) => destination.flush(r));
} else {
  const { config } = loadConfig('enrichment: {enabled: false}\n', 'bench', {});
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromClusterAndUser({ name: 'bench', server: 'https://127.0.0.1:1' }, { name: 'bench' });
  const route = compileRoute(config.route, config.receivers.map((r) => r.name));
  const sink = createStdoutSink('stdout', {}, devNull);
  const exporter = new Exporter({
    api: new KubeHttp(kubeConfig),
    clusterName: 'bench',
    namespaces: [],
    maxEventAgeSeconds: config.maxEventAgeSeconds,
    maxMessageBytes: config.maxMessageBytes,
    grade: compileGrader(config.levels),
    route: (line) => routeLine(route, line),
    sinks: new Map([['stdout', sink]]),
    metrics: new ExporterMetrics('bench_', false),
    log: pino({ level: 'silent' }),
  });
  for (let i = 0; i < total; i++) {
    const message = JSON.parse(watchLine(i));
    const pending = exporter.ingest(message.type, message.object);
    if (pending) await pending; // as the watch loop does
  }
  await sink.flush();
}

const seconds = Number(process.hrtime.bigint() - start) / 1e9;
process.stdout.write(
  `${JSON.stringify({ mode, events: total, seconds, eventsPerSecond: total / seconds, peakRssMiB: process.resourceUsage().maxRSS / 1024 })}\n`,
);
