import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import { loadConfig } from '../config/load.js';
import { createDiagnostics } from '../diagnostics.js';
import { runExporter } from '../run.js';

const DEMO_CONFIG = `
clusterName: demo
maxEventAgeSeconds: 3600
enrichment: { enabled: true }
`;

const say = (text: string) => process.stderr.write(`[SIMULATED cluster] ${text}\n`);

/**
 * The real exporter against a built-in simulated API server: lines on stdout are exactly what
 * a real cluster would produce for the scenario; the narration on stderr says it is simulated.
 */
export async function runDemo(options: { speed: number }): Promise<number> {
  say('kube-eventline demo: no real cluster is used. A small simulated Kubernetes API server plays a scenario');
  say('(a rollout, a crash loop, an OOM kill, an unschedulable pod, a node going NotReady, a full conntrack table).');
  say('Event lines follow on stdout; this narration and the exporter\'s own log are on stderr.');
  // Loaded only here: the simulated API server is a chunk of its own, which the exporter's process never parses.
  const { startSimulatedCluster } = await import('./simulated-cluster.js');
  const cluster = await startSimulatedCluster({ speed: options.speed, log: say });
  const log = createDiagnostics('warn');
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(cluster.kubeconfigYaml);
  const { config } = loadConfig(DEMO_CONFIG, 'demo config', {});
  const running = await runExporter(config, kubeConfig, log, { watch: { timeoutSeconds: 60 } });
  await cluster.finished;
  // Give the watch a moment to deliver the last notifications before counting.
  const expected = cluster.stats().occurrences;
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && writtenOccurrences(await running.metrics.registry.getSingleMetricAsString(`${config.metricsNamePrefix}occurrences_written_total`)) < expected) {
    await new Promise((r) => setTimeout(r, 100));
  }
  const written = writtenOccurrences(await running.metrics.registry.getSingleMetricAsString(`${config.metricsNamePrefix}occurrences_written_total`));
  const lines = writtenOccurrences(await running.metrics.registry.getSingleMetricAsString(`${config.metricsNamePrefix}lines_written_total`));
  await running.stop();
  await cluster.close();
  say(`scenario finished: ${lines} lines written for ${written} occurrences; the simulated cluster recorded ${expected} occurrences.`);
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
