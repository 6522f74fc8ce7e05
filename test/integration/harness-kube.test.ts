import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, type CoreV1Event, KubeConfig, RbacAuthorizationV1Api, Watch } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harness } from '../harness/index.js';

const run = promisify(execFile);
const NAMESPACE = `harness-kube-${process.pid}`;

let h: Harness;
let core: CoreV1Api;

function eventBody(name: string, reason: string): CoreV1Event {
  const now = new Date();
  return {
    metadata: { name, namespace: NAMESPACE },
    involvedObject: { kind: 'Pod', name: 'web-0', namespace: NAMESPACE, apiVersion: 'v1' },
    reason,
    message: `harness test ${reason}`,
    type: 'Warning',
    source: { component: 'harness-test' },
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
  };
}

interface WatchOutcome {
  events: Array<{ type: string; object: any }>;
  done: Promise<unknown>;
  abort(): void;
}

/** Starts a watch on the namespace's Events and records what arrives. */
async function watchEvents(kc: KubeConfig, query: Record<string, string>): Promise<WatchOutcome> {
  const events: WatchOutcome['events'] = [];
  let resolveDone!: (err: unknown) => void;
  const done = new Promise<unknown>((r) => (resolveDone = r));
  const controller = await new Watch(kc).watch(
    `/api/v1/namespaces/${NAMESPACE}/events`,
    query,
    (type, object) => events.push({ type, object }),
    (err) => resolveDone(err ?? 'closed'),
  );
  return { events, done, abort: () => controller.abort() };
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

function statusCode(err: unknown): number | undefined {
  const e = err as { code?: number; statusCode?: number };
  return e.code ?? e.statusCode;
}

describe('Kubernetes harness (real kube-apiserver + etcd)', () => {
  beforeAll(async () => {
    h = await harness();
    core = h.kube.kubeConfig().makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
  });

  it('delivers a core/v1 Event created through the API to a watch', async () => {
    const watch = await watchEvents(h.kube.kubeConfig(), {});
    try {
      await core.createNamespacedEvent({ namespace: NAMESPACE, body: eventBody('created-1', 'BackOff') });
      const seen = await until('ADDED created-1', () => watch.events.find((e) => e.type === 'ADDED' && e.object.metadata.name === 'created-1'));
      expect(seen.object.reason).toBe('BackOff');
      expect(seen.object.involvedObject.name).toBe('web-0');
      expect(Number(seen.object.metadata.resourceVersion)).toBeGreaterThan(0);
    } finally {
      watch.abort();
    }
  });

  it('answers 410 Gone to a watch from a resourceVersion older than an etcd compaction', async () => {
    const before = await core.listNamespacedEvent({ namespace: NAMESPACE });
    const oldVersion = before.metadata?.resourceVersion;
    expect(oldVersion).toBeTruthy();
    // Newer writes, so that the old version lies strictly below the compaction point.
    await core.createNamespacedEvent({ namespace: NAMESPACE, body: eventBody('after-list-1', 'Pulled') });
    await core.createNamespacedEvent({ namespace: NAMESPACE, body: eventBody('after-list-2', 'Pulled') });
    await h.kube.compact();

    const watch = await watchEvents(h.kube.kubeConfig(), { resourceVersion: oldVersion! });
    try {
      const gone = await until('an ERROR event', () => watch.events.find((e) => e.type === 'ERROR'));
      expect(gone.object.kind).toBe('Status');
      expect(gone.object.code).toBe(410);
      expect(gone.object.reason).toBe('Expired');
      expect(watch.events.some((e) => e.object?.metadata?.name === 'after-list-1')).toBe(false);
    } finally {
      watch.abort();
    }
  });

  it('lets the proxy cut a live watch, and the client notices', async () => {
    const viaProxy = new KubeConfig();
    viaProxy.loadFromFile(h.kube.proxy.kubeconfigPath);
    expect(viaProxy.getCurrentCluster()?.server).toBe(h.kube.proxy.server);
    const watch = await watchEvents(viaProxy, {});
    try {
      // A watch without resourceVersion starts with ADDED for what exists: the stream is live.
      await until('the initial ADDED events', () => (watch.events.some((e) => e.type === 'ADDED') ? true : undefined));
      const cut = await h.kube.proxy.cut();
      expect(cut).toBeGreaterThanOrEqual(1);
      const ended = await Promise.race([watch.done.then((err) => ({ err })), new Promise<'still open'>((r) => setTimeout(() => r('still open'), 20_000))]);
      expect(ended).not.toBe('still open');
      // Events created after the cut never reach the dead watch.
      const countBefore = watch.events.length;
      await core.createNamespacedEvent({ namespace: NAMESPACE, body: eventBody('after-cut', 'Killing') });
      const list = await core.listNamespacedEvent({ namespace: NAMESPACE });
      expect(list.items.some((e) => e.metadata?.name === 'after-cut')).toBe(true);
      expect(watch.events.length).toBe(countBefore);
    } finally {
      watch.abort();
    }
  });

  it('gives a ServiceAccount exactly what its Role grants (403 on Secrets)', async () => {
    const rbac = h.kube.kubeConfig().makeApiClient(RbacAuthorizationV1Api);
    await core.createNamespacedServiceAccount({ namespace: NAMESPACE, body: { metadata: { name: 'event-reader' } } });
    await rbac.createNamespacedRole({
      namespace: NAMESPACE,
      body: {
        metadata: { name: 'event-reader' },
        rules: [{ apiGroups: [''], resources: ['events'], verbs: ['get', 'list', 'watch'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: NAMESPACE,
      body: {
        metadata: { name: 'event-reader' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'event-reader' },
        subjects: [{ kind: 'ServiceAccount', name: 'event-reader', namespace: NAMESPACE }],
      },
    });

    const path = await h.kube.serviceAccountKubeconfig(NAMESPACE, 'event-reader');
    const sa = new KubeConfig();
    sa.loadFromFile(path);
    expect(sa.getCurrentUser()?.token).toBeTruthy();
    const saCore = sa.makeApiClient(CoreV1Api);

    // The RBAC authorizer reads bindings from an informer: allow a moment to see the new one.
    const events = await until('the Role to take effect', () => saCore.listNamespacedEvent({ namespace: NAMESPACE }));
    expect(events.items.map((e) => e.metadata?.name)).toContain('created-1');

    const secrets = await saCore.listNamespacedSecret({ namespace: NAMESPACE }).then(
      () => 'allowed',
      (err: unknown) => statusCode(err),
    );
    expect(secrets).toBe(403);
    const otherNamespace = await saCore.listNamespacedEvent({ namespace: 'default' }).then(
      () => 'allowed',
      (err: unknown) => statusCode(err),
    );
    expect(otherNamespace).toBe(403);
  });

  it('runs a kubectl built from Go modules: kustomize and server-side dry run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'harness-kubectl-'));
    writeFileSync(join(dir, 'configmap.yaml'), `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-kubectl\ndata:\n  level: warning\n`);
    writeFileSync(join(dir, 'kustomization.yaml'), `namespace: ${NAMESPACE}\nresources:\n  - configmap.yaml\n`);
    const kustomized = await run(h.kube.kubectl, ['kustomize', dir]);
    expect(kustomized.stdout).toContain(`namespace: ${NAMESPACE}`);

    const applied = await run(h.kube.kubectl, ['--kubeconfig', h.kube.adminKubeconfigPath, 'apply', '--dry-run=server', '-k', dir]);
    expect(applied.stdout).toContain('configmap/from-kubectl created (server dry run)');
    // A dry run leaves nothing behind.
    const gone = await core.readNamespacedConfigMap({ namespace: NAMESPACE, name: 'from-kubectl' }).then(
      () => 'exists',
      (err: unknown) => statusCode(err),
    );
    expect(gone).toBe(404);
  });

  it('restarts the API server on the same address with the same etcd data', async () => {
    await h.kube.restartApiServer();
    const namespace = await core.readNamespace({ name: NAMESPACE });
    expect(namespace.metadata?.name).toBe(NAMESPACE);
    const events = await core.listNamespacedEvent({ namespace: NAMESPACE });
    expect(events.items.map((e) => e.metadata?.name)).toEqual(expect.arrayContaining(['created-1', 'after-cut']));
    // The proxy forwards to the same address, so its clients work again too.
    const viaProxy = new KubeConfig();
    viaProxy.loadFromFile(h.kube.proxy.kubeconfigPath);
    const proxied = await viaProxy.makeApiClient(CoreV1Api).readNamespace({ name: NAMESPACE });
    expect(proxied.metadata?.uid).toBe(namespace.metadata?.uid);
  });
});
