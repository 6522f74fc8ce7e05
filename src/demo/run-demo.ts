import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import { loadConfig } from '../config/load.js';
import { createDiagnostics } from '../diagnostics.js';
import { runExporter } from '../run.js';

const DEMO_CONFIG = `
clusterName: demo
maxEventAgeSeconds: 3600
enrichment: { enabled: true }
# Container failures from Pod status; no grace period, so the short scenario shows the image pull failure at once.
podFailures: { enabled: true, gracePeriodSeconds: 0 }
`;

const say = (text: string) => process.stderr.write(`[SIMULATED cluster] ${text}\n`);

/** The demo's file is not beside the command (the image ships the exporter only). */
export class DemoMissingError extends Error {}

/** The simulated cluster, loaded only now: bundled apart (kube-eventline-demo.mjs), the exporter's process never parses it. */
async function loadSimulatedCluster(): Promise<typeof import('./simulated-cluster.js')> {
  try {
    return await import('./simulated-cluster.js');
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    throw new DemoMissingError(
      `the demo is not installed with this command (${(err as Error).message.split('\n')[0]}); the image holds the exporter only: run the demo from the npm package or a clone (npm run demo)`,
    );
  }
}

/**
 * The real exporter against a built-in simulated API server: lines on stdout are exactly what
 * a real cluster would produce for the scenario; the narration on stderr says it is simulated.
 */
export async function runDemo(options: { speed: number }): Promise<number> {
  const { startSimulatedCluster } = await loadSimulatedCluster();
  say('kube-eventline demo: no real cluster is used. A small simulated Kubernetes API server plays a scenario');
  say('(a rollout, a crash loop, an OOM kill, an image that does not pull, an unschedulable pod, a node going NotReady, a full conntrack table).');
  say('podFailures is on: container failures read from Pod status (OOMKilled exit 137, ErrImagePull) are lines too, source.component "kube-eventline".');
  say("Event lines follow on stdout; this narration and the exporter's own log are on stderr.");
  const cluster = await startSimulatedCluster({ speed: options.speed, log: say });
  const log = createDiagnostics('warn');
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(cluster.kubeconfigYaml);
  const { config } = loadConfig(DEMO_CONFIG, 'demo config', {});
  const running = await runExporter(config, kubeConfig, log, { watch: { timeoutSeconds: 60 } });
  await cluster.finished;
  // Give the watch a moment to deliver the last notifications before counting.
  const stats = cluster.stats();
  const expected = stats.occurrences + stats.containerFailures;
  const deadline = Date.now() + 5000;
  while (
    Date.now() < deadline &&
    writtenOccurrences(await running.metrics.registry.getSingleMetricAsString(`${config.metricsNamePrefix}occurrences_written_total`)) < expected
  ) {
    await new Promise((r) => setTimeout(r, 100));
  }
  const written = writtenOccurrences(await running.metrics.registry.getSingleMetricAsString(`${config.metricsNamePrefix}occurrences_written_total`));
  const lines = writtenOccurrences(await running.metrics.registry.getSingleMetricAsString(`${config.metricsNamePrefix}lines_written_total`));
  await running.stop();
  await cluster.close();
  say(
    `scenario finished: ${lines} lines written for ${written} occurrences; the simulated cluster recorded ${expected} occurrences (${stats.occurrences} of Events, ${stats.containerFailures} container failures).`,
  );
  if (written !== expected) {
    say('MISMATCH: the exporter did not write every occurrence exactly once.');
    return 1;
  }
  say('Every occurrence was written exactly once. Try: npm run --silent demo | jq -c "{level, reason, delta, count, object: .involvedObject.name}"');
  return 0;
}

/** Sums every sample of a counter in Prometheus text format. */
function writtenOccurrences(text: string): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) total += value;
  }
  return total;
}
