import type { KubeHttp } from '../watch/kube-http.js';
import { LruCache } from './lru-cache.js';

interface Resource {
  plural: string;
  namespaced: boolean;
}

type KindsOfApiVersion = Map<string, Resource>;

/** The kinds Events are usually about, so the common case needs no discovery request at all. */
const WELL_KNOWN: Record<string, Resource> = {
  'v1/Pod': { plural: 'pods', namespaced: true },
  'v1/Node': { plural: 'nodes', namespaced: false },
  'v1/Service': { plural: 'services', namespaced: true },
  'v1/PersistentVolumeClaim': { plural: 'persistentvolumeclaims', namespaced: true },
  'v1/PersistentVolume': { plural: 'persistentvolumes', namespaced: false },
  'v1/Namespace': { plural: 'namespaces', namespaced: false },
  'v1/ReplicationController': { plural: 'replicationcontrollers', namespaced: true },
  'v1/Endpoints': { plural: 'endpoints', namespaced: true },
  'apps/v1/ReplicaSet': { plural: 'replicasets', namespaced: true },
  'apps/v1/Deployment': { plural: 'deployments', namespaced: true },
  'apps/v1/StatefulSet': { plural: 'statefulsets', namespaced: true },
  'apps/v1/DaemonSet': { plural: 'daemonsets', namespaced: true },
  'batch/v1/Job': { plural: 'jobs', namespaced: true },
  'batch/v1/CronJob': { plural: 'cronjobs', namespaced: true },
  'autoscaling/v2/HorizontalPodAutoscaler': { plural: 'horizontalpodautoscalers', namespaced: true },
  'policy/v1/PodDisruptionBudget': { plural: 'poddisruptionbudgets', namespaced: true },
  'networking.k8s.io/v1/Ingress': { plural: 'ingresses', namespaced: true },
};

/** `version` or `group/version` (a DNS subdomain, then e.g. v1, v2beta1): anything else is not asked about. */
const API_VERSION_SHAPE = /^(?:[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?v[0-9][a-z0-9]{0,19}$/;

export interface ResourcePathsOptions {
  /** apiVersion comes from Events, so it is free text: keep at most this many discovery answers. */
  maxApiVersions?: number;
  /** A failed discovery (a transient error, a CRD not installed yet) is tried again after this long. */
  failureRetryMs?: number;
  /** A discovery answer is asked again after this long, so a kind added to a group version later is found. */
  refreshMs?: number;
  now?: () => number;
}

const DEFAULT_MAX_API_VERSIONS = 256;
const DEFAULT_FAILURE_RETRY_MS = 60_000;
const DEFAULT_REFRESH_MS = 10 * 60_000;

/**
 * Maps apiVersion + kind to a REST path. Unknown kinds cost one discovery request per
 * apiVersion, remembered for a while (a failure for less), never one per lookup:
 * kubernetes-event-exporter's discovery-per-miss is what throttled its client and lost events.
 */
export class ResourcePaths {
  private readonly discovered: LruCache<KindsOfApiVersion>;
  /** Discoveries under way, so concurrent lookups of one apiVersion share one request. */
  private readonly discovering = new Map<string, Promise<KindsOfApiVersion>>();
  /** The last answer that came, kept past its refresh: a refresh that fails goes on with it. */
  private readonly lastAnswers: LruCache<KindsOfApiVersion>;
  private readonly failureRetryMs: number;

  constructor(
    private readonly api: KubeHttp,
    options: ResourcePathsOptions = {},
  ) {
    this.discovered = new LruCache(options.maxApiVersions ?? DEFAULT_MAX_API_VERSIONS, options.refreshMs ?? DEFAULT_REFRESH_MS, options.now);
    this.lastAnswers = new LruCache(options.maxApiVersions ?? DEFAULT_MAX_API_VERSIONS, Number.POSITIVE_INFINITY, options.now);
    this.failureRetryMs = options.failureRetryMs ?? DEFAULT_FAILURE_RETRY_MS;
  }

  async path(apiVersion: string, kind: string, namespace: string | undefined, name: string): Promise<string | undefined> {
    const resource = WELL_KNOWN[`${apiVersion}/${kind}`] ?? (await this.kindsOf(apiVersion))?.get(kind);
    if (!resource) return undefined;
    const scope = resource.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
    return `${groupVersionPath(apiVersion)}${scope}/${resource.plural}/${encodeURIComponent(name)}`;
  }

  private async kindsOf(apiVersion: string): Promise<KindsOfApiVersion | undefined> {
    // It becomes part of the URL: a malformed one could point the request elsewhere.
    if (!API_VERSION_SHAPE.test(apiVersion)) return undefined;
    return this.discovered.get(apiVersion) ?? this.discover(apiVersion);
  }

  private discover(apiVersion: string): Promise<KindsOfApiVersion> {
    let pending = this.discovering.get(apiVersion);
    if (!pending) {
      pending = this.api
        .getJson<{ resources?: Array<{ name: string; kind: string; namespaced: boolean }> }>(groupVersionPath(apiVersion))
        .then(
          (list) => {
            // Subresources (pods/log, deployments/scale) share their parent's kind: skip them.
            const kinds: KindsOfApiVersion = new Map(
              (list.resources ?? []).filter((r) => !r.name.includes('/')).map((r) => [r.kind, { plural: r.name, namespaced: r.namespaced }]),
            );
            this.discovered.set(apiVersion, kinds);
            this.lastAnswers.set(apiVersion, kinds);
            return kinds;
          },
          () => {
            // Until the next try: the last answer if there was one (a failed refresh), else nothing.
            const kinds: KindsOfApiVersion = this.lastAnswers.get(apiVersion) ?? new Map();
            this.discovered.set(apiVersion, kinds, this.failureRetryMs);
            return kinds;
          },
        )
        .finally(() => this.discovering.delete(apiVersion));
      this.discovering.set(apiVersion, pending);
    }
    return pending;
  }
}

function groupVersionPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}
