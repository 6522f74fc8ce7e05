import type { KubeHttp } from '../watch/kube-http.js';

interface Resource {
  plural: string;
  namespaced: boolean;
}

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

/**
 * Maps apiVersion + kind to a REST path. Unknown kinds cost one discovery request per
 * apiVersion, remembered (also when it fails), never one per lookup: kubernetes-event-exporter's
 * discovery-per-miss is what throttled its client and lost events.
 */
export class ResourcePaths {
  private readonly discovered = new Map<string, Promise<Map<string, Resource>>>();

  constructor(private readonly api: KubeHttp) {}

  async path(apiVersion: string, kind: string, namespace: string | undefined, name: string): Promise<string | undefined> {
    const resource = WELL_KNOWN[`${apiVersion}/${kind}`] ?? (await this.discover(apiVersion)).get(kind);
    if (!resource) return undefined;
    const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const scope = resource.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
    return `${base}${scope}/${resource.plural}/${encodeURIComponent(name)}`;
  }

  private discover(apiVersion: string): Promise<Map<string, Resource>> {
    let found = this.discovered.get(apiVersion);
    if (!found) {
      const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      found = this.api
        .getJson<{ resources?: Array<{ name: string; kind: string; namespaced: boolean }> }>(base)
        .then(
          (list) => new Map((list.resources ?? []).filter((r) => !r.name.includes('/')).map((r) => [r.kind, { plural: r.name, namespaced: r.namespaced }])),
          () => new Map<string, Resource>(),
        );
      this.discovered.set(apiVersion, found);
    }
    return found;
  }
}
