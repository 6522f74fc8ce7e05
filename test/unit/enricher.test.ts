import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { resourceForKind } from '../../src/demo/api-resources.js';
import { SimulatedApiServer } from '../../src/demo/api-server.js';
import { addDeployment, addNode, addPod, addReplicaSet, deleteObject, readObject } from '../../src/demo/cluster-objects.js';
import { ObjectStore } from '../../src/demo/object-store.js';
import { Enricher, type EnricherOptions, type LookupOutcome } from '../../src/enrich/enricher.js';
import { LruCache } from '../../src/enrich/lru-cache.js';
import { ResourcePaths } from '../../src/enrich/resource-paths.js';
import { buildLine } from '../../src/line/build-line.js';
import type { ObjectReference, RawEvent } from '../../src/line/event-line.js';
import { TokenBucket } from '../../src/token-bucket.js';
import type { KubeHttp } from '../../src/watch/kube-http.js';
import { kubeHttpAt, startFaultServer } from '../support/fake-api.js';

const closers: Array<() => Promise<void>> = [];

afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** A clock the test moves by hand, so expiry and refill need no waiting. */
function manualClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

/** A KubeHttp whose GETs are recorded by path (they still go to the server). */
function recordingClient(url: string, token: string) {
  const api = kubeHttpAt(url, token);
  const getJson = vi.spyOn(api, 'getJson');
  return { api, requests: () => getJson.mock.calls.map((call) => call[0]) };
}

/** The simulated API server of `kube-eventline demo`, with objects the test puts in its store. */
async function startCluster() {
  const store = new ObjectStore({ historyLimit: 100, initialResourceVersion: 1000 });
  const token = randomUUID();
  const server = new SimulatedApiServer({ store, token, bookmarkIntervalMs: 60_000 });
  const url = await server.listen();
  closers.push(() => server.close());
  return { store, ...recordingClient(url, token) };
}

/**
 * A server answering each path as `respond` says. It injects what the simulated API server cannot
 * be made to produce: 403 Forbidden, 500 errors, and a group version that appears later (a CRD installed).
 */
async function answeringAs(respond: (path: string) => { status: number; body: object }) {
  const server = await startFaultServer((req, res) => {
    const { status, body } = respond(new URL(req.url ?? '/', 'http://fault').pathname);
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  });
  closers.push(server.close);
  return recordingClient(server.url, 'fault-token');
}

function status(code: number, reason: string): { status: number; body: object } {
  return { status: code, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason, message: reason, code } };
}

function eventAbout(involvedObject: ObjectReference): RawEvent {
  return {
    metadata: { name: `${involvedObject.name}.${randomUUID().slice(0, 8)}`, namespace: involvedObject.namespace ?? 'default', uid: randomUUID() },
    involvedObject,
    reason: 'Test',
    type: 'Normal',
  };
}

function enricherFor(api: KubeHttp, options: Partial<EnricherOptions> = {}) {
  const outcomes: LookupOutcome[] = [];
  const enricher = new Enricher(api, { cacheSize: 100, cacheTtlMs: 300_000, annotations: false, qps: 100, burst: 100, ...options }, (o) => outcomes.push(o));
  return { enricher, outcomes };
}

function uidOf(store: ObjectStore, apiVersion: string, kind: string, namespace: string | undefined, name: string): string {
  return readObject(store, { apiVersion, kind, ...(namespace ? { namespace } : {}), name })!.metadata.uid!;
}

/** Pod shop/web-0 of a `generation` (a label), as a StatefulSet makes it again under one name; returns its uid. */
function createWeb0(store: ObjectStore, generation: string): string {
  store.create(resourceForKind('v1', 'Pod'), { metadata: { name: 'web-0', namespace: 'shop', labels: { generation } } });
  return uidOf(store, 'v1', 'Pod', 'shop', 'web-0');
}

function deleteWeb0(store: ObjectStore): void {
  deleteObject(store, { apiVersion: 'v1', kind: 'Pod', namespace: 'shop', name: 'web-0' });
}

const aboutWeb0 = (uid: string) => eventAbout({ kind: 'Pod', namespace: 'shop', name: 'web-0', uid, apiVersion: 'v1' });

const container = { name: 'app', image: 'registry.example/app:1', cpuRequest: '100m', memoryLimit: '128Mi' };

describe('Enricher against the simulated API server', () => {
  it('Node Events whose uid is the node name (kubelet, NPD) cost one GET, then hit the cache', async () => {
    const { store, api, requests } = await startCluster();
    addNode(store, 'worker-1', 'zone-a');
    const { enricher, outcomes } = enricherFor(api);
    const nodeEvent = () => eventAbout({ kind: 'Node', name: 'worker-1', uid: 'worker-1' });

    const first = await enricher.enrich(nodeEvent());
    for (let i = 0; i < 4; i++) expect(await enricher.enrich(nodeEvent())).toEqual(first);

    expect(requests()).toEqual(['/api/v1/nodes/worker-1']);
    expect(outcomes).toEqual(['miss', 'hit', 'hit', 'hit', 'hit']);
    expect(first).toMatchObject({ labels: { 'kubernetes.io/hostname': 'worker-1' }, deleted: false });
  });

  it('looks again for an object recreated under the same name instead of reporting it deleted', async () => {
    const { store, api, requests } = await startCluster();
    const oldUid = createWeb0(store, 'old');
    deleteWeb0(store);
    const clock = manualClock();
    // One token a second, none spare: shows the second look still goes through the rate limit.
    const { enricher, outcomes } = enricherFor(api, { qps: 1, burst: 1, now: clock.now });

    expect(await enricher.enrich(aboutWeb0(oldUid))).toEqual({ deleted: true });
    // The object with that uid is gone for good: more Events about it need no request.
    expect(await enricher.enrich(aboutWeb0(oldUid))).toEqual({ deleted: true });
    expect(requests()).toHaveLength(1);

    const newUid = createWeb0(store, 'new');
    // No token left: no enrichment rather than the cached "deleted" of the old pod.
    expect(await enricher.enrich(aboutWeb0(newUid))).toBeUndefined();
    clock.advance(1000);
    expect(await enricher.enrich(aboutWeb0(newUid))).toEqual({ labels: { generation: 'new' }, deleted: false });
    expect(requests()).toEqual(['/api/v1/namespaces/shop/pods/web-0', '/api/v1/namespaces/shop/pods/web-0']);
    expect(outcomes).toEqual(['not_found', 'hit', 'throttled', 'miss']);
  });

  it('Events about an object replaced by a newer one of the same name are about a deleted object, and cost one GET in all', async () => {
    const { store, api, requests } = await startCluster();
    const oldUid = createWeb0(store, 'old');
    deleteWeb0(store);
    const newUid = createWeb0(store, 'new');
    const { enricher, outcomes } = enricherFor(api);

    // Two Events at once, one about each pod: one GET, each read for its own uid.
    const [aboutOld, aboutNew] = await Promise.all([enricher.enrich(aboutWeb0(oldUid)), enricher.enrich(aboutWeb0(newUid))]);
    expect(aboutOld).toEqual({ deleted: true });
    expect(aboutNew).toEqual({ labels: { generation: 'new' }, deleted: false });
    // More Events about either: from the cache, the old pod still gone, not given the new one's labels.
    expect(await enricher.enrich(aboutWeb0(oldUid))).toEqual({ deleted: true });
    expect(await enricher.enrich(aboutWeb0(newUid))).toEqual({ labels: { generation: 'new' }, deleted: false });
    expect(requests()).toEqual(['/api/v1/namespaces/shop/pods/web-0']);
    expect(outcomes.filter((o) => o !== 'hit')).toEqual(['miss']);
  });

  it('resolves the workload Pod → ReplicaSet → Deployment, with no discovery request for well-known kinds', async () => {
    const { store, api, requests } = await startCluster();
    const deployment = addDeployment(store, 'shop', 'checkout', 1, container);
    const replicaSet = addReplicaSet(store, deployment, 1);
    const pod = addPod(store, replicaSet, 'worker-1');
    const { enricher } = enricherFor(api);

    const enrichment = await enricher.enrich(eventAbout({ ...pod, uid: uidOf(store, 'v1', 'Pod', 'shop', pod.name) }));

    expect(enrichment).toEqual({
      labels: { 'app.kubernetes.io/name': 'checkout', 'app.kubernetes.io/part-of': 'shop', 'pod-template-hash': replicaSet.name.slice('checkout-'.length) },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: replicaSet.name,
          uid: uidOf(store, 'apps/v1', 'ReplicaSet', 'shop', replicaSet.name),
          controller: true,
        },
      ],
      workload: { kind: 'Deployment', name: 'checkout' },
      deleted: false,
    });
    // The ReplicaSet's owner names the Deployment: the Deployment itself need not be read.
    expect(requests()).toEqual([`/api/v1/namespaces/shop/pods/${pod.name}`, `/apis/apps/v1/namespaces/shop/replicasets/${replicaSet.name}`]);
  });

  it('makes one GET for concurrent lookups of one object (single flight)', async () => {
    const { store, api, requests } = await startCluster();
    addNode(store, 'worker-2', 'zone-b');
    const uid = uidOf(store, 'v1', 'Node', undefined, 'worker-2');
    const { enricher } = enricherFor(api);

    const results = await Promise.all(Array.from({ length: 8 }, () => enricher.enrich(eventAbout({ kind: 'Node', name: 'worker-2', uid, apiVersion: 'v1' }))));

    expect(requests()).toEqual(['/api/v1/nodes/worker-2']);
    for (const result of results) expect(result).toMatchObject({ labels: { 'topology.kubernetes.io/zone': 'zone-b' }, deleted: false });
  });

  it('when throttled makes no request and the line is still built, without enrichment', async () => {
    const { store, api, requests } = await startCluster();
    addNode(store, 'worker-1', 'zone-a');
    addNode(store, 'worker-2', 'zone-b');
    const clock = manualClock();
    const { enricher, outcomes } = enricherFor(api, { qps: 1, burst: 1, now: clock.now });

    expect(await enricher.enrich(eventAbout({ kind: 'Node', name: 'worker-1', uid: 'worker-1' }))).toMatchObject({ deleted: false });
    const throttledEvent = eventAbout({ kind: 'Node', name: 'worker-2', uid: 'worker-2' });
    const enrichment = await enricher.enrich(throttledEvent);

    expect(enrichment).toBeUndefined();
    expect(outcomes).toEqual(['miss', 'throttled']);
    expect(requests()).toEqual(['/api/v1/nodes/worker-1']);
    const line = buildLine(throttledEvent, 'info', 1, { clusterName: 'test', maxMessageBytes: 4096 }, enrichment);
    expect(line.involvedObject).toEqual({ kind: 'Node', name: 'worker-2', uid: 'worker-2' });
  });
});

describe('Enricher remembers errors briefly', () => {
  it.each([
    [403, 'Forbidden'],
    [500, 'InternalError'],
  ])('a %i answer is not asked again for 30 s; each lookup meanwhile counts as an error', async (code, reason) => {
    const { api, requests } = await answeringAs(() => status(code, reason));
    const clock = manualClock();
    const { enricher, outcomes } = enricherFor(api, { now: clock.now });
    const podEvent = () => eventAbout({ kind: 'Pod', namespace: 'shop', name: 'api-0', uid: randomUUID(), apiVersion: 'v1' });

    for (let i = 0; i < 3; i++) expect(await enricher.enrich(podEvent())).toBeUndefined();
    expect(requests()).toHaveLength(1);
    expect(outcomes).toEqual(['error', 'error', 'error']);

    clock.advance(29_999);
    await enricher.enrich(podEvent());
    expect(requests()).toHaveLength(1);
    clock.advance(1);
    await enricher.enrich(podEvent());
    expect(requests()).toEqual(['/api/v1/namespaces/shop/pods/api-0', '/api/v1/namespaces/shop/pods/api-0']);
  });
});

describe('Enricher keeps good answers through bad ones', () => {
  it('a failed look for a newer object keeps the answer about the object already found', async () => {
    const uidA = randomUUID();
    let answers = 0;
    const { api, requests } = await answeringAs(() =>
      answers++ === 0
        ? { status: 200, body: { kind: 'Pod', apiVersion: 'v1', metadata: { name: 'api-0', namespace: 'shop', uid: uidA, labels: { app: 'api' } } } }
        : status(500, 'InternalError'),
    );
    const { enricher } = enricherFor(api);
    const about = (uid: string) => eventAbout({ kind: 'Pod', namespace: 'shop', name: 'api-0', uid, apiVersion: 'v1' });

    expect(await enricher.enrich(about(uidA))).toEqual({ labels: { app: 'api' }, deleted: false });
    expect(await enricher.enrich(about(randomUUID()))).toBeUndefined(); // another pod of that name: the look fails
    expect(await enricher.enrich(about(uidA))).toEqual({ labels: { app: 'api' }, deleted: false }); // still from the cache
    expect(requests()).toHaveLength(2);
  });

  it('a 404 for a Node (its Events carry the name as uid) is trusted 30 s, not the whole cache TTL', async () => {
    const { api, requests } = await answeringAs(() => status(404, 'NotFound'));
    const clock = manualClock();
    const { enricher } = enricherFor(api, { now: clock.now, cacheTtlMs: 300_000 });
    const nodeEvent = () => eventAbout({ kind: 'Node', name: 'worker-9', uid: 'worker-9' });

    expect(await enricher.enrich(nodeEvent())).toEqual({ deleted: true });
    clock.advance(29_999);
    expect(await enricher.enrich(nodeEvent())).toEqual({ deleted: true });
    expect(requests()).toHaveLength(1);
    clock.advance(1);
    await enricher.enrich(nodeEvent());
    expect(requests()).toHaveLength(2);
  });
});

describe('ResourcePaths', () => {
  it('needs no discovery request for well-known kinds', async () => {
    const { api, requests } = await startCluster();
    const paths = new ResourcePaths(api);

    expect(await paths.path('v1', 'Pod', 'shop', 'api-0')).toBe('/api/v1/namespaces/shop/pods/api-0');
    expect(await paths.path('v1', 'Node', undefined, 'worker-1')).toBe('/api/v1/nodes/worker-1');
    expect(await paths.path('apps/v1', 'ReplicaSet', 'shop', 'api-7d9c')).toBe('/apis/apps/v1/namespaces/shop/replicasets/api-7d9c');
    expect(await paths.path('batch/v1', 'CronJob', 'ops', 'backup')).toBe('/apis/batch/v1/namespaces/ops/cronjobs/backup');
    expect(requests()).toEqual([]);
  });

  it('shares one discovery request among concurrent lookups of an apiVersion, and remembers the answer', async () => {
    const { api, requests } = await startCluster();
    const paths = new ResourcePaths(api);

    const found = await Promise.all(Array.from({ length: 5 }, (_, i) => paths.path('v1', 'ConfigMap', 'kube-system', `cm-${i}`)));
    const unknown = await Promise.all(Array.from({ length: 5 }, () => paths.path('example.com/v1', 'Widget', 'shop', 'w')));
    await paths.path('v1', 'ConfigMap', 'kube-system', 'again');

    expect(found).toEqual(Array.from({ length: 5 }, (_, i) => `/api/v1/namespaces/kube-system/configmaps/cm-${i}`));
    expect(unknown).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(requests()).toEqual(['/api/v1', '/apis/example.com/v1']);
  });

  it('asks again 60 s after a failed discovery, so a CRD installed later is found', async () => {
    let installed = false;
    const { api, requests } = await answeringAs((path) =>
      installed && path === '/apis/example.com/v1'
        ? {
            status: 200,
            body: {
              kind: 'APIResourceList',
              groupVersion: 'example.com/v1',
              resources: [
                { name: 'widgets', kind: 'Widget', namespaced: true },
                { name: 'widgets/status', kind: 'Widget', namespaced: true },
              ],
            },
          }
        : status(404, 'NotFound'),
    );
    const clock = manualClock();
    const paths = new ResourcePaths(api, { now: clock.now });

    expect(await paths.path('example.com/v1', 'Widget', 'shop', 'w')).toBeUndefined();
    installed = true;
    clock.advance(59_999);
    expect(await paths.path('example.com/v1', 'Widget', 'shop', 'w')).toBeUndefined();
    expect(requests()).toHaveLength(1);
    clock.advance(1);
    expect(await paths.path('example.com/v1', 'Widget', 'shop', 'w')).toBe('/apis/example.com/v1/namespaces/shop/widgets/w');
    expect(requests()).toEqual(['/apis/example.com/v1', '/apis/example.com/v1']);
  });

  it('refreshes a successful discovery after a while, never per lookup', async () => {
    const { api, requests } = await startCluster();
    const clock = manualClock();
    const paths = new ResourcePaths(api, { now: clock.now, refreshMs: 600_000 });

    await paths.path('v1', 'ConfigMap', 'a', 'x');
    clock.advance(599_999);
    await paths.path('v1', 'ConfigMap', 'a', 'y');
    expect(requests()).toEqual(['/api/v1']);
    clock.advance(1);
    await paths.path('v1', 'ConfigMap', 'a', 'z');
    expect(requests()).toEqual(['/api/v1', '/api/v1']);
  });

  it('a refresh that fails goes on with the last answer, and tries again later', async () => {
    let failing = false;
    const { api, requests } = await answeringAs((path) =>
      failing
        ? status(500, 'InternalError')
        : path === '/apis/example.com/v1'
          ? { status: 200, body: { resources: [{ name: 'widgets', kind: 'Widget', namespaced: true }] } }
          : status(404, 'NotFound'),
    );
    const clock = manualClock();
    const paths = new ResourcePaths(api, { now: clock.now, refreshMs: 600_000, failureRetryMs: 60_000 });
    const widget = '/apis/example.com/v1/namespaces/shop/widgets/w';

    expect(await paths.path('example.com/v1', 'Widget', 'shop', 'w')).toBe(widget);
    failing = true;
    clock.advance(600_000);
    expect(await paths.path('example.com/v1', 'Widget', 'shop', 'w')).toBe(widget); // the refresh failed
    clock.advance(59_999);
    expect(await paths.path('example.com/v1', 'Widget', 'shop', 'w')).toBe(widget);
    expect(requests()).toHaveLength(2);
    clock.advance(1);
    await paths.path('example.com/v1', 'Widget', 'shop', 'w');
    expect(requests()).toHaveLength(3);
  });

  it('keeps a bounded number of apiVersions, the least recently used leaving first', async () => {
    const { api, requests } = await startCluster();
    const paths = new ResourcePaths(api, { maxApiVersions: 2 });

    for (const group of ['a.example', 'b.example', 'c.example']) await paths.path(`${group}/v1`, 'Thing', 'ns', 't');
    await paths.path('c.example/v1', 'Thing', 'ns', 't');
    await paths.path('a.example/v1', 'Thing', 'ns', 't');

    expect(requests()).toEqual(['/apis/a.example/v1', '/apis/b.example/v1', '/apis/c.example/v1', '/apis/a.example/v1']);
  });

  it('asks nothing about an apiVersion that is not one (it would become part of the URL)', async () => {
    const { api, requests } = await startCluster();
    const paths = new ResourcePaths(api);

    for (const apiVersion of ['../api/v1', 'v1/namespaces/kube-system/secrets', 'Example.com/v1', 'example.com/v1?x=1', '']) {
      expect(await paths.path(apiVersion, 'Secret', 'kube-system', 's')).toBeUndefined();
    }
    expect(requests()).toEqual([]);
  });
});

describe('LruCache', () => {
  it('keeps at most maxEntries, dropping the least recently used', () => {
    const cache = new LruCache<number>(2, 60_000);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1);
    cache.set('c', 3);

    expect(cache.size).toBe(2);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
  });

  it('expires entries after the TTL, or after the TTL given for one entry', () => {
    const clock = manualClock();
    const cache = new LruCache<string>(10, 1000, clock.now);
    cache.set('answer', 'kept');
    cache.set('failure', 'brief', 100);

    clock.advance(99);
    expect(cache.get('failure')).toBe('brief');
    clock.advance(1);
    expect(cache.get('failure')).toBeUndefined();
    clock.advance(899);
    expect(cache.get('answer')).toBe('kept');
    clock.advance(1);
    expect(cache.get('answer')).toBeUndefined();
    expect(cache.size).toBe(0);
  });
});

describe('TokenBucket', () => {
  it('allows a burst, then refills at the rate', () => {
    const clock = manualClock();
    const bucket = new TokenBucket(2, 3, clock.now);

    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([true, true, true, false]);
    clock.advance(250);
    expect(bucket.tryTake()).toBe(false);
    clock.advance(250);
    expect([bucket.tryTake(), bucket.tryTake()]).toEqual([true, false]);
    clock.advance(60_000);
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([true, true, true, false]);
  });
});

describe('the line keeps what enrichment says about deletion', () => {
  it('writes deleted: false as well as deleted: true, as kubernetes-event-exporter does', () => {
    const event = eventAbout({ kind: 'Pod', namespace: 'shop', name: 'api-0', uid: randomUUID() });
    const context = { clusterName: 'test', maxMessageBytes: 4096 };
    expect(JSON.parse(JSON.stringify(buildLine(event, 'info', 1, context, { deleted: false }))).involvedObject.deleted).toBe(false);
    expect(JSON.parse(JSON.stringify(buildLine(event, 'info', 1, context, { deleted: true }))).involvedObject.deleted).toBe(true);
  });
});
