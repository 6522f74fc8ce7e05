import type { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import type { Logger } from 'pino';
import type { CheckpointStore } from './checkpoint/checkpoint.js';
import { ConfigMapCheckpointStore } from './checkpoint/configmap-store.js';
import { FileCheckpointStore } from './checkpoint/file-store.js';
import type { Config } from './config/schema.js';
import { Enricher } from './enrich/enricher.js';
import { Exporter } from './exporter.js';
import { compileGrader } from './grade/grade.js';
import { createLogTailFetcher, type LogTailFetcher } from './pods/log-tail.js';
import { compileRoute, routeLine } from './route/compile-route.js';
import { ExporterMetrics } from './serve/metrics.js';
import { createSinks } from './sinks/create-sinks.js';
import type { Sink } from './sinks/sink.js';
import { KubeHttp } from './watch/kube-http.js';

export interface RunningExporter {
  exporter: Exporter;
  metrics: ExporterMetrics;
  /** Graceful stop: watches end, sinks flush, the checkpoint is saved (unless told not to). */
  stop(options?: { saveCheckpoint?: boolean }): Promise<void>;
}

/** /metrics, /healthz and /readyz are served by the command (cli.ts), also while a replica waits for the Lease. */
export interface RunOptions {
  /** Replace the configured sinks (tests capture lines). */
  sinks?: Map<string, Sink>;
  /** Where stdout receivers write, if not to stdout (the webhook benchmark counts their lines in a file). */
  stdoutFd?: number;
  watch?: ConstructorParameters<typeof Exporter>[0]['watch'];
  /** Metrics created by the caller, e.g. to serve probes before this exporter exists. */
  metrics?: ExporterMetrics;
  /** Replaces the `pods/log` fetcher (tests); called only when `podFailures.logLines` > 0. */
  logTail?: LogTailFetcher;
}

/** Builds the exporter from a loaded config and starts it. */
export async function runExporter(config: Config, kubeConfig: KubeConfig, log: Logger, options: RunOptions = {}): Promise<RunningExporter> {
  const { exporter, metrics } = buildExporter(config, kubeConfig, log, options);
  await exporter.start();
  return {
    exporter,
    metrics,
    stop: (stopOptions) => exporter.stop(stopOptions),
  };
}

/**
 * The exporter a config describes, not started: what `runExporter` starts, and what the webhook
 * benchmark and tests feed notifications to directly (`Exporter.ingest`).
 */
export function buildExporter(
  config: Config,
  kubeConfig: KubeConfig,
  log: Logger,
  options: RunOptions = {},
): { exporter: Exporter; metrics: ExporterMetrics; sinks: Map<string, Sink> } {
  const api = new KubeHttp(kubeConfig);
  const metrics = options.metrics ?? new ExporterMetrics(config.metricsNamePrefix);
  const route = compileRoute(
    config.route,
    config.receivers.map((r) => r.name),
  );
  metrics.watchRouteRules(route.rules, route.ruleHits);
  const sinks = options.sinks ?? createSinks(config.receivers, { metrics, log }, options.stdoutFd);
  const enricher = config.enrichment.enabled
    ? new Enricher(
        api,
        {
          cacheSize: config.enrichment.cacheSize,
          cacheTtlMs: config.enrichment.cacheTTLSeconds * 1000,
          annotations: config.enrichment.annotations,
          qps: config.kubeQPS,
          burst: config.kubeBurst,
        },
        (result) => metrics.enrichmentLookups.inc({ result }),
      )
    : undefined;
  const exporter = new Exporter({
    api,
    clusterName: config.clusterName,
    namespaces: config.namespaces,
    maxEventAgeSeconds: config.maxEventAgeSeconds,
    maxMessageBytes: config.maxMessageBytes,
    tracker: { maxEntries: config.tracking.maxEvents, ttlMs: config.tracking.ttlSeconds * 1000 },
    grade: compileGrader(config.levels),
    route: (line) => routeLine(route, line),
    sinks,
    ...(enricher ? { enricher } : {}),
    ...(config.checkpoint ? { checkpoint: { store: checkpointStore(config.checkpoint, api), intervalMs: config.checkpoint.intervalSeconds * 1000 } } : {}),
    metrics,
    log,
    ...(config.podFailures.enabled
      ? {
          podFailures: {
            namespaces: config.podFailures.namespaces,
            gracePeriodMs: config.podFailures.gracePeriodSeconds * 1000,
            ...(config.podFailures.logLines > 0
              ? {
                  logTail:
                    options.logTail ??
                    createLogTailFetcher(api, {
                      lines: config.podFailures.logLines,
                      bytes: config.podFailures.logBytes,
                      perSecond: config.podFailures.logRequestsPerSecond,
                      metrics,
                      log,
                    }),
                }
              : {}),
          },
        }
      : {}),
    ...(options.watch ? { watch: options.watch } : {}),
  });
  return { exporter, metrics, sinks };
}

function checkpointStore(checkpoint: NonNullable<Config['checkpoint']>, api: KubeHttp): CheckpointStore {
  if (checkpoint.configMap) return new ConfigMapCheckpointStore(api, checkpoint.configMap.namespace, checkpoint.configMap.name);
  return new FileCheckpointStore(checkpoint.file!);
}
