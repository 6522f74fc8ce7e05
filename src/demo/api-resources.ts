/**
 * The API resources the simulated cluster serves: enough for the exporter (events), enrichment
 * (the involved objects and their owners) and the checkpoint (configmaps). The same table drives
 * routing and the discovery documents the enricher reads to find a kind's resource name.
 */
export interface ApiResource {
  /** '' for the core group. */
  group: string;
  version: string;
  /** URL segment, e.g. 'pods'. */
  plural: string;
  kind: string;
  namespaced: boolean;
  /** Whether clients may create (POST) and replace (PUT) it: only what the checkpoint needs. */
  writable: boolean;
}

export const API_RESOURCES: readonly ApiResource[] = [
  { group: '', version: 'v1', plural: 'events', kind: 'Event', namespaced: true, writable: false },
  { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true, writable: false },
  { group: '', version: 'v1', plural: 'nodes', kind: 'Node', namespaced: false, writable: false },
  { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false, writable: false },
  { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true, writable: true },
  { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment', namespaced: true, writable: false },
  { group: 'apps', version: 'v1', plural: 'replicasets', kind: 'ReplicaSet', namespaced: true, writable: false },
];

export function groupVersionOf(resource: ApiResource): string {
  return resource.group === '' ? resource.version : `${resource.group}/${resource.version}`;
}

/** Key of the resource's collection in the object store, e.g. 'apps/replicasets' or '/pods'. */
export function storageKeyOf(resource: ApiResource): string {
  return `${resource.group}/${resource.plural}`;
}

export function findResource(group: string, version: string, plural: string): ApiResource | undefined {
  return API_RESOURCES.find((r) => r.group === group && r.version === version && r.plural === plural);
}

/** The served resource for a kind; throws for one the simulated cluster does not serve (a programming error). */
export function resourceForKind(apiVersion: string, kind: string): ApiResource {
  const found = API_RESOURCES.find((r) => groupVersionOf(r) === apiVersion && r.kind === kind);
  if (!found) throw new Error(`the simulated cluster does not serve ${apiVersion} ${kind}`);
  return found;
}

/** `GET /api/v1` or `GET /apis/{group}/{version}`; undefined for a group version not served. */
export function apiResourceList(group: string, version: string): object | undefined {
  const resources = API_RESOURCES.filter((r) => r.group === group && r.version === version);
  if (resources.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group === '' ? version : `${group}/${version}`,
    resources: resources.map((r) => ({
      name: r.plural,
      singularName: r.kind.toLowerCase(),
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.writable ? ['create', 'get', 'list', 'update', 'watch'] : ['get', 'list', 'watch'],
    })),
  };
}
