#!/usr/bin/env node
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { CheckpointStoreError } from './checkpoint/checkpoint.js';
import { ConfigError } from './config/config-error.js';
import { loadConfig, loadConfigFile } from './config/load.js';
import { DemoMissingError, runDemo } from './demo/run-demo.js';
import { createDiagnostics } from './diagnostics.js';
import { KubeconfigError, loadKubeConfig } from './kubeconfig.js';
import { LeaseElector } from './leader/lease-elector.js';
import { describeRoute } from './route/describe-route.js';
import { type RunningExporter, runExporter } from './run.js';
import { ListenError, startHttpServer } from './serve/http-server.js';
import { ExporterMetrics } from './serve/metrics.js';
import { ReceiverFileError } from './sinks/file-sink.js';
import { WebhookSecretError } from './sinks/webhook/secrets.js';
import { KubeHttp } from './watch/kube-http.js';

const USAGE = `kube-eventline: keep Kubernetes Event history, one JSON line per occurrence on stdout.

Usage:
  kube-eventline [--config FILE] [--kubeconfig FILE]   watch Events and write lines (default command)
  kube-eventline check-config FILE                      validate a config file and print its route tree
  kube-eventline demo [--speed N]                       run against a built-in SIMULATED cluster
  kube-eventline timeline --help                        one object's history as an SVG or HTML timeline
  kube-eventline digest --help                          what failed in the last day, from Loki, to stdout or a webhook
  kube-eventline --help | --version

Without --config, the defaults apply (all namespaces, built-in levels, everything to stdout).
Without --kubeconfig, the in-cluster ServiceAccount is used, else $KUBECONFIG or ~/.kube/config.
Diagnostics go to stderr; stdout carries event lines only.`;

async function main(argv: string[]): Promise<number> {
  // Its own options and its own file in the bundle (scripts/bundle.mjs): loaded only when asked for.
  if (argv[0] === 'timeline') return (await import('./timeline/command.js')).runTimeline(argv.slice(1));
  if (argv[0] === 'digest') return (await import('./digest/command.js')).runDigest(argv.slice(1));
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      kubeconfig: { type: 'string' },
      speed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stderr.write(`${USAGE}\n`);
    return 0;
  }
  if (values.version) {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  const [command, ...rest] = positionals;
  switch (command) {
    case 'check-config': {
      const file = rest[0] ?? values.config;
      if (!file) throw new UsageError('check-config needs a FILE');
      const { config, warnings } = loadConfigFile(file, process.env);
      for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
      process.stdout.write(`${file}: valid\n\n${describeRoute(config)}\n`);
      return 0;
    }
    case 'demo': {
      const speed = values.speed === undefined ? 1 : Number(values.speed);
      if (!Number.isFinite(speed) || speed <= 0) throw new UsageError(`--speed must be a positive number, got "${values.speed}"`);
      return runDemo({ speed });
    }
    case undefined:
    case 'run':
      return run(values.config, values.kubeconfig);
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

async function run(configFile: string | undefined, kubeconfigFile: string | undefined): Promise<number> {
  const { config, warnings } = configFile ? loadConfigFile(configFile, process.env) : loadConfig('', '(defaults)', process.env);
  const log = createDiagnostics(config.logLevel, config.logFormat);
  for (const w of warnings) log.warn(w);
  const kubeConfig = loadKubeConfig(kubeconfigFile);
  const stopping = new AbortController();
  let exitCode = 0;
  const stopped = new Promise<void>((resolve) => {
    const stop = (why: string) => {
      log.info({ why }, 'stopping: flushing lines and saving the checkpoint');
      stopping.abort();
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    stopping.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  // Probes and metrics are served from the start, also while a replica waits for the lease:
  // alive all along, ready once it leads (when elected) and has listed every Event.
  const metrics = new ExporterMetrics(config.metricsNamePrefix);
  let running: RunningExporter | undefined;
  const http = await startHttpServer(config.metrics.address, config.metrics.port, metrics.registry, {
    // Alive until a receiver can never write again (stdout's reader gone): a restart is the way out.
    live: () => !running?.exporter.brokenReceivers().length,
    ready: () => running?.exporter.ready ?? false,
  });
  log.info({ address: config.metrics.address, port: http.port }, 'serving /metrics, /healthz, /readyz');
  let elector: LeaseElector | undefined;
  try {
    if (config.leaderElection.enabled) {
      elector = new LeaseElector(
        new KubeHttp(kubeConfig),
        {
          namespace: config.leaderElection.namespace ?? process.env.POD_NAMESPACE ?? 'kube-eventline',
          name: config.leaderElection.leaderElectionID,
          identity: `${process.env.POD_NAME ?? hostname()}_${randomUUID().slice(0, 8)}`,
          leaseDurationSeconds: config.leaderElection.leaseDurationSeconds,
          renewDeadlineMs: config.leaderElection.renewDeadlineSeconds * 1000,
          retryPeriodMs: config.leaderElection.retryPeriodSeconds * 1000,
        },
        log,
      );
      log.info('waiting to become leader');
      try {
        await elector.acquire(stopping.signal);
      } catch {
        return 0; // asked to stop while waiting
      }
      // Renewing starts the moment the lease is ours, on a timer of its own: start-up work
      // (restore, first list, catch-up) runs beside it and cannot outlive the renew deadline
      // unrenewed, as long as it yields the event loop (docs/design.md, Restarts).
      elector.keepRenewing(() => {
        // Another replica may take over soon; stop writing and let the Pod restart as a candidate.
        log.error('lost the leader lease');
        exitCode = 1;
        stopping.abort();
      });
    }
    running = await runExporter(config, kubeConfig, log, { metrics });
    log.info({ server: kubeConfig.getCurrentCluster()?.server, namespaces: config.namespaces.length ? config.namespaces : 'all' }, 'watching Events');
    await stopped;
    // The lease is still renewed while stopping, so no one takes over before the checkpoint is saved.
    // After losing the lease the checkpoint belongs to the new leader: do not overwrite it.
    const leader = exitCode === 0;
    try {
      await running.stop({ saveCheckpoint: leader });
    } catch (err) {
      // A receiver that could not write out its last lines (the checkpoint was then left as it was),
      // or could not close, or the checkpoint could not be saved: said in one line, exit code 1.
      log.error({ err: (err as Error).message }, 'stopped with an error');
      exitCode = 1;
    }
    log.info('stopped');
    return exitCode;
  } finally {
    // Hand the lease over at once, after the checkpoint is saved, so the next leader starts from
    // it; also after an error at start or a lost lease, if the lease is still ours (release()
    // checks), so the next start need not wait for it to expire.
    if (elector) {
      elector.stop();
      await elector.release();
    }
    // Also when starting failed: a process that cannot export must not look alive.
    await http.close();
  }
}

class UsageError extends Error {}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // A user mistake gets its message and nothing else; a bug gets its stack.
    if (err instanceof ConfigError) {
      // One line per problem, each naming its file and place: a single problem is a single line.
      process.stderr.write(`${err.message}\n`);
      process.exitCode = 2;
    } else if (err instanceof KubeconfigError || err instanceof ListenError) {
      // What the user gave (a kubeconfig, the metrics address) cannot be used: said in one line.
      process.stderr.write(`kube-eventline: ${err.message}\n`);
      process.exitCode = 2;
      process.exit(2);
    } else if (
      err instanceof ReceiverFileError ||
      err instanceof WebhookSecretError ||
      err instanceof CheckpointStoreError ||
      err instanceof DemoMissingError
    ) {
      process.stderr.write(`kube-eventline: ${err.message}\n`);
      process.exitCode = 1;
      process.exit(1);
    } else if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`kube-eventline: ${(err as Error).message}\n\n${USAGE}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`kube-eventline: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
      // Exit now: a half-started exporter may still hold timers or sockets open.
      process.exit(1);
    }
  },
);
