import { type ApiException, AppsV1Api, CoreV1Api, KubeConfig, KubernetesObjectApi, Watch } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { type SimulatedCluster, type SimulatedClusterOptions, startSimulatedCluster } from '../../src/demo/simulated-cluster.js';

interface RawEvent {
  metadata: { name: string; namespace: string; uid: string; resourceVersion: string };
  involvedObject: { kind: string; namespace?: string; name: string; uid: string; fieldPath?: string };
  reason: string;
  message: string;
  type: string;
  source: { component?: string; host?: string };
  count?: number;
  series?: { count: number; lastObservedTime: string };
  eventTime: string | null;
  firstTimestamp: string | null;
  lastTimestamp: string | null;
  action?: string;
  reportingComponent: string;
}

interface WatchNotice {
  type: string;
  object: { metadata?: { resourceVersion?: string; uid?: string }; code?: number; reason?: string; kind?: string } & Partial<RawEvent>;
}

const started: SimulatedCluster[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((c) => c.close()));
});

async function start(options: SimulatedClusterOptions): Promise<{ cluster: SimulatedCluster; kc: KubeConfig }> {
  const cluster = await startSimulatedCluster(options);
  started.push(cluster);
  const kc = new KubeConfig();
  kc.loadFromString(cluster.kubeconfigYaml);
  return { cluster, kc };
}

/** The server's JSON untouched (the generated clients turn timestamps into Dates). */
async function rawGet<T>(cluster: SimulatedCluster, kc: KubeConfig, path: string): Promise<{ status: number; body: T }> {
  const token = kc.getCurrentUser()?.token;
  const res = await fetch(`${cluster.url}${path}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  return { status: res.status, body: (await res.json()) as T };
}

function occurrencesOf(event: Partial<RawEvent>): number {
  return event.series?.count ?? event.count ?? 1;
}

/** Starts a watch and collects every notice until `done`. */
function collectWatch(kc: KubeConfig, path: string, query: Record<string, string | boolean>) {
  const notices: WatchNotice[] = [];
  let ended: (err: unknown) => void = () => {};
  const closed = new Promise<unknown>((resolve) => {
    ended = resolve;
  });
  const controller = new Watch(kc).watch(
    path,
    query,
    (type, object) => notices.push({ type, object } as WatchNotice),
    (err) => ended(err),
  );
  return { notices, closed, controller };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 10));
}

describe('simulated cluster: events API', () => {
  it('lists Events with a resourceVersion once the scenario has played', async () => {
    const { cluster, kc } = await start({ speed: 1000, start: 'immediately' });
    await cluster.finished;
    const list = await kc.makeApiClient(CoreV1Api).listEventForAllNamespaces();
    expect(Number(list.metadata?.resourceVersion)).toBeGreaterThan(184_000);
    const reasons = new Set(list.items.map((e) => e.reason));
    for (const reason of [
      'ScalingReplicaSet',
      'SuccessfulCreate',
      'Scheduled',
      'Pulled',
      'Created',
      'Started',
      'BackOff',
      'Unhealthy',
      'OOMKilling',
      'FailedScheduling',
      'NodeNotReady',
      'NodeReady',
      'ConntrackFull',
      'Killing',
      'SuccessfulDelete',
    ]) {
      expect(reasons, reason).toContain(reason);
    }
    // The only Pulling Event is the one the scenario expires (event-ttl) at the end.
    expect(reasons).not.toContain('Pulling');
  });

  it('streams ADDED and MODIFIED with growing counts from the listed resourceVersion, and totals match stats()', async () => {
    const { cluster, kc } = await start({ speed: 50 });
    const core = kc.makeApiClient(CoreV1Api);
    const initial = await core.listEventForAllNamespaces();
    expect(initial.items).toHaveLength(0); // the scenario waits for the first watch
    const watch = collectWatch(kc, '/api/v1/events', { resourceVersion: initial.metadata!.resourceVersion!, allowWatchBookmarks: true });
    await cluster.finished;
    const final = await core.listEventForAllNamespaces();
    const finalVersion = Number(final.metadata!.resourceVersion);
    // The bookmark sent when the scenario ends comes after every change on the same stream.
    await until(() => watch.notices.some((n) => n.type === 'BOOKMARK' && Number(n.object.metadata?.resourceVersion) >= finalVersion));
    (await watch.controller).abort();

    const changes = watch.notices.filter((n) => n.type !== 'BOOKMARK');
    const versions = changes.map((n) => Number(n.object.metadata!.resourceVersion));
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(versions).size).toBe(versions.length);

    const lastCount = new Map<string, number>();
    for (const { type, object } of changes) {
      const uid = object.metadata!.uid!;
      if (type === 'ADDED') {
        expect(lastCount.has(uid)).toBe(false);
        lastCount.set(uid, occurrencesOf(object));
      } else if (type === 'MODIFIED') {
        expect(occurrencesOf(object)).toBeGreaterThan(lastCount.get(uid)!);
        lastCount.set(uid, occurrencesOf(object));
      }
    }
    const backOffCounts = changes.filter((n) => n.object.reason === 'BackOff').map((n) => [n.type, n.object.count]);
    expect(backOffCounts).toEqual([
      ['ADDED', 1],
      ['MODIFIED', 2],
      ['MODIFIED', 5],
      ['MODIFIED', 9],
    ]);
    const schedulingSeries = changes.filter((n) => n.object.reason === 'FailedScheduling').map((n) => n.object.series?.count);
    expect(schedulingSeries).toEqual([undefined, 2, 3, 5]);

    const deleted = changes.filter((n) => n.type === 'DELETED').map((n) => n.object as RawEvent);
    expect(deleted).toHaveLength(1);
    const finalEvents = [...(await rawGet<{ items: RawEvent[] }>(cluster, kc, '/api/v1/events')).body.items, ...deleted];
    const stats = cluster.stats();
    expect(stats.occurrences).toBe(finalEvents.reduce((sum, e) => sum + occurrencesOf(e), 0));
    expect(stats.eventsCreated).toBe(changes.filter((n) => n.type === 'ADDED').length);
    expect(stats.eventsModified).toBe(changes.filter((n) => n.type === 'MODIFIED').length);
    expect(stats.eventsCreated).toBe(finalEvents.length);
  });

  it('answers a watch from a resourceVersion older than its window with a 410 Expired ERROR', async () => {
    const { kc } = await start({ speed: 1000 });
    const watch = collectWatch(kc, '/api/v1/events', { resourceVersion: '1' });
    await watch.closed;
    expect(watch.notices).toHaveLength(1);
    expect(watch.notices[0]!.type).toBe('ERROR');
    expect(watch.notices[0]!.object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
  });

  it('expires resourceVersions that have left a small history window', async () => {
    const { cluster, kc } = await start({ speed: 1000, start: 'immediately', historyLimit: 5 });
    const core = kc.makeApiClient(CoreV1Api);
    const before = (await core.listEventForAllNamespaces()).metadata!.resourceVersion!;
    await cluster.finished;
    const stale = collectWatch(kc, '/api/v1/events', { resourceVersion: before });
    await stale.closed;
    expect(stale.notices.map((n) => [n.type, n.object.code])).toEqual([['ERROR', 410]]);

    // A fresh list's version is inside the window: the watch stays open.
    const fresh = collectWatch(kc, '/api/v1/events', {
      resourceVersion: (await core.listEventForAllNamespaces()).metadata!.resourceVersion!,
      allowWatchBookmarks: true,
    });
    (await fresh.controller).abort();
    await fresh.closed;
    expect(fresh.notices.filter((n) => n.type === 'ERROR')).toHaveLength(0);
  });

  it('pages a list with limit and continue without losing or repeating Events', async () => {
    const { cluster, kc } = await start({ speed: 1000, start: 'immediately' });
    await cluster.finished;
    const core = kc.makeApiClient(CoreV1Api);
    const all = await core.listEventForAllNamespaces();
    const paged: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await core.listEventForAllNamespaces({ limit: 7, ...(token ? { _continue: token } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(7);
      paged.push(...page.items.map((e) => e.metadata!.uid!));
      token = page.metadata?._continue;
      pages += 1;
    } while (token);
    expect(pages).toBeGreaterThan(2);
    expect(paged).toEqual(all.items.map((e) => e.metadata!.uid));
  });

  it('scopes lists and watches to a namespace', async () => {
    const { cluster, kc } = await start({ speed: 1000, start: 'immediately' });
    await cluster.finished;
    const ml = await kc.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: 'ml' });
    expect(ml.items.length).toBeGreaterThan(0);
    expect(new Set(ml.items.map((e) => e.metadata!.namespace))).toEqual(new Set(['ml']));

    const watch = collectWatch(kc, '/api/v1/namespaces/ml/events', { resourceVersion: '0' });
    await until(() => watch.notices.length >= ml.items.length);
    (await watch.controller).abort();
    expect(watch.notices.every((n) => n.type === 'ADDED' && n.object.metadata && (n.object as RawEvent).metadata.namespace === 'ml')).toBe(true);
  });

  it('stops the scenario at close(), leaving finished pending', async () => {
    const { cluster, kc } = await start({ speed: 10, start: 'immediately' });
    const core = kc.makeApiClient(CoreV1Api);
    await until(() => cluster.stats().eventsCreated > 0);
    await cluster.close();
    const createdAtClose = cluster.stats().eventsCreated;
    let finished = false;
    void cluster.finished.then(() => (finished = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(cluster.stats().eventsCreated).toBe(createdAtClose);
    expect(finished).toBe(false);
    await expect(core.listEventForAllNamespaces()).rejects.toThrow();
  });

  it('shapes Events like the real reporters do', async () => {
    const { cluster, kc } = await start({ speed: 1000, start: 'immediately' });
    await cluster.finished;
    const { body } = await rawGet<{ kind: string; items: Array<RawEvent & { kind?: string }> }>(cluster, kc, '/api/v1/events');
    expect(body.kind).toBe('EventList');
    expect(body.items.every((e) => e.kind === undefined)).toBe(true); // list items carry no kind
    const byReason = (reason: string) => body.items.filter((e) => e.reason === reason);

    const [failedScheduling] = byReason('FailedScheduling');
    expect(failedScheduling).toMatchObject({
      type: 'Warning',
      source: {},
      firstTimestamp: null,
      lastTimestamp: null,
      action: 'Scheduling',
      reportingComponent: 'default-scheduler',
      message: '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.',
      series: { count: 5 },
    });
    expect(failedScheduling!.count).toBeUndefined();
    expect(failedScheduling!.eventTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);

    const scheduled = byReason('Scheduled');
    expect(scheduled.length).toBe(2);
    for (const e of scheduled) expect(e).toMatchObject({ firstTimestamp: null, lastTimestamp: null, source: {}, action: 'Binding' });

    const ooms = byReason('OOMKilling');
    expect(ooms).toHaveLength(2);
    for (const oom of ooms) {
      expect(oom).toMatchObject({
        type: 'Warning',
        source: { component: 'kernel-monitor', host: 'sim-worker-3' },
        involvedObject: { kind: 'Node', name: 'sim-worker-3', uid: 'sim-worker-3' },
      });
      expect(oom.metadata.namespace).toBe('default');
      expect(oom.message).toMatch(/^Memory cgroup out of memory: Killed process \d+ \(indexer\)/);
    }
    expect(
      byReason('Started')
        .filter((e) => e.involvedObject.name.startsWith('indexer-'))
        .map((e) => e.count),
    ).toEqual([2]);

    const [conntrack] = byReason('ConntrackFull');
    expect(conntrack).toMatchObject({
      type: 'Warning',
      source: { component: 'network-problem-monitor', host: 'sim-worker-2' },
      message: 'Conntrack table usage over 90 percent: 117964 out of 131072',
    });

    const [backOff] = byReason('BackOff');
    expect(backOff).toMatchObject({
      type: 'Warning',
      count: 9,
      source: { component: 'kubelet', host: 'sim-worker-2' },
      involvedObject: { kind: 'Pod', fieldPath: 'spec.containers{payments}' },
    });
    expect(backOff!.firstTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(backOff!.message).toMatch(/^Back-off restarting failed container payments in pod payments-[a-z0-9]+-[a-z0-9]{5}_shop\([0-9a-f-]{36}\)$/);

    const nodeNotReady = byReason('NodeNotReady');
    expect(nodeNotReady.map((e) => [e.involvedObject.kind, e.type, e.source.component])).toContainEqual(['Node', 'Normal', 'node-controller']);
    expect(nodeNotReady.map((e) => [e.involvedObject.kind, e.type])).toContainEqual(['Pod', 'Warning']);
    expect(byReason('NodeReady')[0]).toMatchObject({
      message: 'Node sim-worker-1 status is now: NodeReady',
      source: { component: 'kubelet', host: 'sim-worker-1' },
    });
    // Event names follow client-go: <object>.<hex nanoseconds>.
    for (const e of body.items) expect(e.metadata.name).toMatch(new RegExp(`^${e.involvedObject.name}\\.[0-9a-f]{16,}$`));
  });
});

describe('simulated cluster: objects for enrichment and checkpoint', () => {
  it('resolves a Pod through its ReplicaSet to its Deployment', async () => {
    const { cluster, kc } = await start({ speed: 1000, start: 'immediately' });
    await cluster.finished;
    const core = kc.makeApiClient(CoreV1Api);
    const apps = kc.makeApiClient(AppsV1Api);
    const backOff = (await core.listNamespacedEvent({ namespace: 'shop' })).items.find((e) => e.reason === 'BackOff')!;
    const pod = await core.readNamespacedPod({ namespace: 'shop', name: backOff.involvedObject.name! });
    expect(pod.metadata?.uid).toBe(backOff.involvedObject.uid);
    expect(pod.metadata?.labels?.['app.kubernetes.io/name']).toBe('payments');
    const rsRef = pod.metadata!.ownerReferences!.find((o) => o.controller)!;
    expect(rsRef.kind).toBe('ReplicaSet');
    const rs = await apps.readNamespacedReplicaSet({ namespace: 'shop', name: rsRef.name });
    expect(rs.metadata?.uid).toBe(rsRef.uid);
    const deploymentRef = rs.metadata!.ownerReferences!.find((o) => o.controller)!;
    expect(deploymentRef.kind).toBe('Deployment');
    const deployment = await apps.readNamespacedDeployment({ namespace: 'shop', name: deploymentRef.name });
    expect(deployment.metadata).toMatchObject({ name: 'payments', uid: deploymentRef.uid });

    // The generic client finds kinds through discovery, as an enricher that reads any kind would.
    const node = await KubernetesObjectApi.makeApiClient(kc).read({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'sim-worker-1' } });
    expect(node.metadata?.labels?.['kubernetes.io/hostname']).toBe('sim-worker-1');
  });

  it('answers 404 Status for objects that are gone and for unknown paths', async () => {
    const { cluster, kc } = await start({ speed: 1000, start: 'immediately' });
    await cluster.finished;
    // The rollout deleted the old checkout pods; their Killing Events still point at them.
    const killing = (await kc.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: 'shop' })).items.filter(
      (e) => e.reason === 'Killing' && e.involvedObject.name!.startsWith('checkout-'),
    );
    expect(killing).toHaveLength(2);
    const err = await kc
      .makeApiClient(CoreV1Api)
      .readNamespacedPod({ namespace: 'shop', name: killing[0]!.involvedObject.name! })
      .catch((e: unknown) => e);
    expect((err as ApiException<string>).code).toBe(404);
    expect(JSON.parse((err as ApiException<string>).body)).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404, details: { kind: 'pods' } });

    const unknown = await rawGet<{ kind: string; code: number }>(cluster, kc, '/apis/example.com/v1/widgets');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ kind: 'Status', code: 404 });
  });

  it('refuses requests without the kubeconfig token', async () => {
    const { cluster } = await start({ speed: 1000 });
    const res = await fetch(`${cluster.url}/api/v1/events`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
  });

  it('keeps ConfigMaps with create and optimistic-concurrency replace, as the checkpoint does', async () => {
    const { kc } = await start({ speed: 1000 });
    const core = kc.makeApiClient(CoreV1Api);
    const created = await core.createNamespacedConfigMap({
      namespace: 'kube-system',
      body: { metadata: { name: 'kube-eventline-checkpoint' }, data: { resourceVersion: '1' } },
    });
    expect(created.metadata?.uid).toBeTruthy();
    const duplicate = await core
      .createNamespacedConfigMap({ namespace: 'kube-system', body: { metadata: { name: 'kube-eventline-checkpoint' } } })
      .catch((e: unknown) => e);
    expect((duplicate as ApiException<string>).code).toBe(409);

    const replaced = await core.replaceNamespacedConfigMap({
      namespace: 'kube-system',
      name: 'kube-eventline-checkpoint',
      body: { ...created, data: { resourceVersion: '2' } },
    });
    expect(Number(replaced.metadata!.resourceVersion)).toBeGreaterThan(Number(created.metadata!.resourceVersion));
    const stale = await core
      .replaceNamespacedConfigMap({ namespace: 'kube-system', name: 'kube-eventline-checkpoint', body: { ...created, data: { resourceVersion: '3' } } })
      .catch((e: unknown) => e);
    expect((stale as ApiException<string>).code).toBe(409);

    const read = await core.readNamespacedConfigMap({ namespace: 'kube-system', name: 'kube-eventline-checkpoint' });
    expect(read.data).toEqual({ resourceVersion: '2' });
    expect(read.metadata?.uid).toBe(created.metadata?.uid);

    const missing = await core.readNamespacedConfigMap({ namespace: 'other', name: 'kube-eventline-checkpoint' }).catch((e: unknown) => e);
    expect((missing as ApiException<string>).code).toBe(404);
  });
});
