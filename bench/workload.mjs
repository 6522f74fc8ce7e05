// What both benchmark tools feed and measure: watch notifications built from the real Events, the
// exporter pipeline that takes them, and the bare loop that is the ceiling. Imports the compiled
// exporter from ../dist; bench/compare.mjs bundles this file against two different builds.
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

/**
 * Watch notification lines built from the real Events, each with a uid of its own: any number of
 * distinct Events, produced on the fly so the input itself takes no memory. `line(i)` is the i-th.
 */
export function watchLines(eventsFile) {
  const templates = readFileSync(eventsFile, 'utf8')
    .trim()
    .split('\n')
    .map((text) => {
      const event = JSON.parse(text);
      const marker = '@@UID@@';
      event.metadata.uid = marker;
      const watchLine = JSON.stringify({ type: 'ADDED', object: event });
      const at = watchLine.indexOf(marker);
      return [watchLine.slice(0, at), watchLine.slice(at + marker.length)];
    });
  return (i) => {
    const [head, tail] = templates[i % templates.length];
    return `${head}0b1e7c2a-5d3f-4e6a-9c8b-${i.toString(16).padStart(12, '0')}${tail}`;
  };
}

/**
 * Builds the Exporter by hand rather than with run.ts's `buildExporter` (which the webhook
 * benchmark and its test use): `bench:compare` bundles this file against older builds too, and
 * builds before 2026-12-03 have no `buildExporter`.
 *
 * The real Exporter with the default config, or the file `$COMPARE_CONFIG` (enrichment off: it needs an API server), writing
 * through the stdout receiver to /dev/null. `take(line)` decodes one watch line and feeds it in;
 * it returns a Promise only when the pipeline asks to wait, as in the watch loop.
 */
export function exporterPipeline(configFile = process.env.COMPARE_CONFIG) {
  const text = configFile ? readFileSync(configFile, 'utf8') : 'enrichment: {enabled: false}\n';
  const { config } = loadConfig(text, configFile ?? 'bench', {});
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromClusterAndUser({ name: 'bench', server: 'https://127.0.0.1:1' }, { name: 'bench' });
  const route = compileRoute(
    config.route,
    config.receivers.map((r) => r.name),
  );
  const sink = createStdoutSink('stdout', {}, openSync('/dev/null', 'w'));
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
  return {
    take(line) {
      const message = JSON.parse(line);
      return exporter.ingest(message.type, message.object);
    },
    flush: () => sink.flush(),
  };
}

/** The floor of any exporter: decode, encode, write. Nothing tracked, graded or routed. */
export function ceilingLoop() {
  const destination = pino.destination({ dest: openSync('/dev/null', 'w'), sync: false, minLength: 0 });
  return {
    take(line) {
      const message = JSON.parse(line);
      if (!destination.write(`${JSON.stringify(message.object)}\n`)) return new Promise((resolve) => destination.once('drain', resolve));
    },
    flush: () => new Promise((resolve) => destination.flush(resolve)),
  };
}
