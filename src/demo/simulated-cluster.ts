import { randomBytes } from 'node:crypto';
import { SimulatedApiServer } from './api-server.js';
import { buildDemoScenario } from './demo-scenario.js';
import { EventRecorder, type OccurrenceTotals } from './event-recorder.js';
import { simulatedKubeconfigYaml } from './kubeconfig.js';
import { ObjectStore } from './object-store.js';
import { playTimeline } from './timeline.js';

export interface SimulatedCluster {
  /** http://127.0.0.1:<port> */
  url: string;
  /** A kubeconfig for @kubernetes/client-node (or kubectl) pointing at `url` with a bearer token. */
  kubeconfigYaml: string;
  /** Resolves when the scenario has played out (every Event written); stays pending if closed first. */
  finished: Promise<void>;
  /**
   * The scenario's true totals. Every MODIFIED grows a count, so an exporter that writes a line per
   * ADDED and per grown count writes `eventsCreated + eventsModified` lines holding `occurrences`.
   */
  stats(): OccurrenceTotals;
  close(): Promise<void>;
}

export interface SimulatedClusterOptions {
  /** 1 plays the scenario in about 19 s; higher is faster. */
  speed?: number;
  /** Narrates the scenario's steps (the cluster is simulated: say so where this is printed). */
  log?: (message: string) => void;
  /**
   * 'first-watch' (default): the scenario starts when a client first watches Events, so an
   * exporter started after the cluster sees every Event arrive live. 'immediately': at once.
   */
  start?: 'first-watch' | 'immediately';
  /** Changes per resource a watch can resume from; older resourceVersions get 410 Gone. Default 1000. */
  historyLimit?: number;
  /** How often watches that allow bookmarks get one. Default 5000 ms. */
  bookmarkIntervalMs?: number;
}

/** Resource versions start here, so "1" is too old for a watch, as on a long-running cluster. */
const INITIAL_RESOURCE_VERSION = 184_000;

/**
 * Starts a small Kubernetes API server on 127.0.0.1 that plays the demo scenario, so
 * `kube-eventline demo` runs the real exporter with no cluster at hand.
 */
export async function startSimulatedCluster(options: SimulatedClusterOptions = {}): Promise<SimulatedCluster> {
  const speed = options.speed ?? 1;
  if (!(speed > 0) || !Number.isFinite(speed)) throw new Error(`speed must be a positive number, got ${speed}`);
  const log = options.log ?? (() => {});
  const store = new ObjectStore({ historyLimit: options.historyLimit ?? 1000, initialResourceVersion: INITIAL_RESOURCE_VERSION });
  const recorder = new EventRecorder(store);
  const steps = buildDemoScenario(store, recorder);
  const token = randomBytes(16).toString('hex');

  let startScenario: () => void = () => {};
  const startRequested = new Promise<void>((resolve) => {
    startScenario = resolve;
  });
  const server = new SimulatedApiServer({
    store,
    token,
    bookmarkIntervalMs: options.bookmarkIntervalMs ?? 5000,
    onWatch: (resource) => {
      if (resource.plural === 'events') startScenario();
    },
  });
  const url = await server.listen();

  const stop = new AbortController();
  const finished = new Promise<void>((resolve) => {
    void (async () => {
      if (options.start === 'immediately') startScenario();
      else log('waiting for a client to watch Events before the scenario starts');
      await startRequested;
      if (stop.signal.aborted) return;
      log(`scenario starts (speed ${speed}: about ${Math.ceil(19 / speed)} s)`);
      const completed = await playTimeline(steps, { speed, log, signal: stop.signal });
      if (!completed) return;
      // Tell bookmark-enabled watchers they are up to date, so they need not wait for the next tick.
      server.sendBookmarks();
      resolve();
    })();
  });

  return {
    url,
    kubeconfigYaml: simulatedKubeconfigYaml(url, token),
    finished,
    stats: () => recorder.stats(),
    close: async () => {
      stop.abort();
      startScenario();
      await server.close();
    },
  };
}
