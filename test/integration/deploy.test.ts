/**
 * The bundle against the harness's real kube-apiserver: rendered by a real kustomize (the
 * harness kubectl), accepted by `kubectl apply --dry-run=server`, and the exporter's RBAC checked
 * with a token of the bundle's own ServiceAccount.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AuthorizationV1Api, CoordinationV1Api, CoreV1Api, KubeConfig, Watch } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { KubeHttp } from '../../src/watch/kube-http.js';
import { type Harness, harness } from '../harness/index.js';
import {
  BUNDLE_HARDENING,
  find,
  hardeningProblems,
  imageProblem,
  images,
  type K8sObject,
  pinProblem,
  podSpecs,
  REPO,
  rbacProblems,
  type SourcedObject,
} from '../unit/deploy-checks.js';

const run = promisify(execFile);
const NS = 'kube-eventline';
/** Fluent Bit and Node Problem Detector, which need host access (Pod Security `privileged`). */
const NODE_NS = 'kube-eventline-node';
const SA = 'kube-eventline';
const CHECKPOINT = 'kube-eventline-checkpoint';
const LEASE = 'kube-eventline';

let h: Harness;
let work: string;
const rendered = new Map<string, SourcedObject[]>();

async function kubectl(args: string[], kubeconfig?: string): Promise<{ stdout: string; stderr: string }> {
  const full = kubeconfig ? [...args, `--kubeconfig=${kubeconfig}`] : args;
  try {
    return await run(h.kube.kubectl, full, { cwd: REPO, maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`kubectl ${full.join(' ')} failed:\n${e.stderr || e.stdout || e.message}`);
  }
}

async function render(dir: string): Promise<SourcedObject[]> {
  const cached = rendered.get(dir);
  if (cached) return cached;
  const { stdout } = await kubectl(['kustomize', dir]);
  const objects = parseAllDocuments(stdout)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null)
    .map((obj) => ({ obj, file: `kustomize ${dir}` }));
  rendered.set(dir, objects);
  return objects;
}

function writeObjects(name: string, objects: K8sObject[]): string {
  const file = join(work, name);
  // JSON documents: YAML 1.2 (the yaml package) leaves strings like "off" unquoted, which
  // kubectl's YAML 1.1 reader would take for booleans.
  writeFileSync(file, objects.map((o) => `---\n${JSON.stringify(o)}\n`).join(''));
  return file;
}

/** HTTP status of a client-node call: 200 when it resolved, else the ApiException's code. */
async function status(call: Promise<unknown>): Promise<number> {
  try {
    await call;
    return 200;
  } catch (err) {
    const code = (err as { code?: number }).code;
    if (typeof code !== 'number') throw err;
    return code;
  }
}

beforeAll(async () => {
  h = await harness();
  work = mkdtempSync(join(tmpdir(), 'kube-eventline-deploy-'));
});

describe('kustomize renders the bundle and the quickstart (harness kubectl)', () => {
  it.each(['fluent-bit', 'deploy', 'deploy/quickstart', '.', 'deploy/with-digest', 'deploy/with-pod-failures'])('kubectl kustomize %s', async (dir) => {
    const objects = await render(dir);
    expect(objects.length).toBeGreaterThan(0);
    for (const { obj } of objects) {
      if (obj.kind === 'Namespace' || obj.kind.startsWith('Cluster')) continue;
      // The node agents in their privileged namespace, everything else in the exporter's.
      const agent = /fluent-bit|node-problem-detector/.test(obj.metadata.name);
      expect(obj.metadata.namespace, `${obj.kind}/${obj.metadata.name}`).toBe(agent ? NODE_NS : NS);
    }
  });

  it('generated ConfigMaps get hashed names and every reference to them is rewritten', async () => {
    const objects = await render('.');
    const configMaps = new Set(objects.filter(({ obj }) => obj.kind === 'ConfigMap').map(({ obj }) => obj.metadata.name as string));
    for (const base of [
      'kube-eventline-config',
      'kube-eventline-fluent-bit',
      'kube-eventline-loki',
      'kube-eventline-loki-rules',
      'kube-eventline-dashboards',
    ]) {
      expect(
        [...configMaps].some((n) => new RegExp(`^${base}-[a-z0-9]{10}$`).test(n)),
        base,
      ).toBe(true);
    }
    for (const { id, spec } of podSpecs(objects)) {
      for (const volume of spec.volumes ?? []) {
        if (volume.configMap) expect(configMaps.has(volume.configMap.name), `${id} volume ${volume.name} -> ${volume.configMap.name}`).toBe(true);
      }
    }
    const dashboards = objects.find(({ obj }) => obj.kind === 'ConfigMap' && obj.metadata.name.startsWith('kube-eventline-dashboards-'))!.obj;
    expect(Object.keys(dashboards.data).sort()).toEqual([
      'daily-failures.json',
      'events-overview.json',
      'node-problems.json',
      'object-history.json',
      'pod-lifecycle.json',
      'rollouts-images.json',
    ]);
  });

  it('the real render passes the same checks: hardening, RBAC, pinned images', async () => {
    const objects = await render('.');
    const ownPods = podSpecs(objects).filter(({ spec }) => !(spec.containers ?? []).some((c: K8sObject) => /node-problem-detector/.test(c.image)));
    expect(ownPods.map((p) => p.id).sort()).toEqual([
      'DaemonSet/kube-eventline-fluent-bit',
      'Deployment/grafana',
      'Deployment/kube-eventline',
      'Deployment/loki',
    ]);
    for (const { id, spec } of ownPods) expect(hardeningProblems(id, spec, BUNDLE_HARDENING), id).toEqual([]);
    expect(rbacProblems(objects)).toEqual([]);
    expect(images(objects).flatMap(({ where, image }) => (imageProblem(image) ? [`${where}: ${imageProblem(image)}`] : []))).toEqual([]);
    expect(images(objects).flatMap(({ where, image }) => (pinProblem(image) ? [`${where}: ${pinProblem(image)}`] : []))).toEqual([]);
  });
});

describe('the API server accepts the bundle', () => {
  it('kubectl apply --dry-run=server accepts every object of deploy/, of the quickstart, of deploy/with-digest and of deploy/with-pod-failures, with no Pod Security warning', async () => {
    await applyNamespaces();
    for (const dir of ['deploy', '.', 'deploy/with-digest', 'deploy/with-pod-failures']) {
      const objects = (await render(dir)).map(({ obj }) => obj);
      const file = writeObjects(`${dir === '.' ? 'quickstart' : dir.replaceAll('/', '-')}.yaml`, objects);
      const { stdout, stderr } = await kubectl(['apply', '--server-side', '--dry-run=server', '--force-conflicts', '-f', file], h.kube.adminKubeconfigPath);
      const applied = stdout.split('\n').filter((l) => /serverside-applied|created|configured|unchanged/.test(l));
      expect(applied.length, stdout).toBe(objects.length);
      // kube-eventline warns on workloads whose pods `restricted` would refuse: none does.
      expect(stderr).not.toMatch(/PodSecurity/);
    }
  });
});

/** The bundle's two Namespaces, with their Pod Security labels, applied for real. */
async function applyNamespaces(): Promise<void> {
  const objects = await render('deploy');
  const namespaces = [find(objects, 'Namespace', NS)!, find(objects, 'Namespace', NODE_NS)!];
  await kubectl(['apply', '--server-side', '--force-conflicts', '-f', writeObjects('namespaces.yaml', namespaces)], h.kube.adminKubeconfigPath);
}

describe("Pod Security admission (the API server's PodSecurity plugin, server-side dry-run)", () => {
  /** A namespace enforcing `baseline`, to show the node agents need more than that. */
  const baselineNs = `pss-baseline-${process.pid}`;
  let seq = 0;

  beforeAll(async () => {
    await applyNamespaces();
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: baselineNs, labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } } };
    await kubectl(['apply', '--server-side', '-f', writeObjects('baseline-namespace.yaml', [ns])], h.kube.adminKubeconfigPath);
  });

  afterAll(async () => {
    await kubectl(['delete', 'namespace', baselineNs, '--wait=false'], h.kube.adminKubeconfigPath).catch(() => undefined);
  });

  /** A Pod made of a rendered workload's pod template, as its controller would create it. */
  async function podOf(kind: string, name: string, namespace?: string): Promise<K8sObject> {
    const workload = find(await render('.'), kind, name);
    expect(workload, `${kind}/${name} in the render`).toBeDefined();
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `pss-${name}-${seq++}`, namespace: namespace ?? workload!.metadata.namespace, labels: workload!.spec.template.metadata.labels },
      spec: structuredClone(workload!.spec.template.spec),
    };
  }

  /** `kubectl create --dry-run=server`: the API server runs admission, stores nothing. */
  async function admit(pod: K8sObject): Promise<{ admitted: boolean; output: string }> {
    const file = writeObjects(`${pod.metadata.name}.yaml`, [pod]);
    try {
      const { stdout, stderr } = await kubectl(['create', '--dry-run=server', '-f', file], h.kube.adminKubeconfigPath);
      return { admitted: true, output: stdout + stderr };
    } catch (err) {
      return { admitted: false, output: (err as Error).message };
    }
  }

  it('the namespaces carry the labels the admission plugin reads', async () => {
    const core = h.kube.kubeConfig().makeApiClient(CoreV1Api);
    const labels = async (name: string) => (await core.readNamespace({ name })).metadata?.labels ?? {};
    expect(await labels(NS)).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted' });
    expect(await labels(NODE_NS)).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'privileged' });
  });

  it('admits the exporter, Loki and Grafana under `restricted`', async () => {
    for (const name of ['kube-eventline', 'loki', 'grafana']) {
      const pod = await podOf('Deployment', name);
      expect(pod.metadata.namespace).toBe(NS);
      const result = await admit(pod);
      expect(result, name).toMatchObject({ admitted: true });
      expect(result.output, name).toMatch(/created \(server dry run\)/);
      expect(result.output, name).not.toMatch(/PodSecurity/);
    }
  });

  it("admits the digest CronJob's pod under `restricted` (deploy/components/digest), refusing a ServiceAccount token", async () => {
    const cronJob = find(await render('deploy/with-digest'), 'CronJob', 'kube-eventline-digest')!;
    const template = cronJob.spec.jobTemplate.spec.template;
    // Its ServiceAccount for real: admission looks it up.
    const sa = find(await render('deploy/with-digest'), 'ServiceAccount', template.spec.serviceAccountName)!;
    await kubectl(['apply', '--server-side', '--force-conflicts', '-f', writeObjects('digest-sa.yaml', [sa])], h.kube.adminKubeconfigPath);
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `pss-digest-${seq++}`, namespace: cronJob.metadata.namespace, labels: template.metadata.labels },
      spec: structuredClone(template.spec),
    };
    expect(pod.metadata.namespace).toBe(NS);
    const result = await admit(pod);
    expect(result, result.output).toMatchObject({ admitted: true });
    expect(result.output).toMatch(/created \(server dry run\)/);
    expect(result.output).not.toMatch(/PodSecurity/);
    // The API server keeps the pod's refusal of a token. (The harness runs without the ServiceAccount
    // admission plugin, which would mount one: no controller-manager creates the default accounts.
    // So the token volume itself cannot be seen here; the field that stops it is checked.)
    const { stdout } = await kubectl(
      ['create', '--dry-run=server', '-o', 'json', '-f', writeObjects(`${pod.metadata.name}-json.yaml`, [pod])],
      h.kube.adminKubeconfigPath,
    );
    const created = JSON.parse(stdout) as K8sObject;
    expect(created.spec.automountServiceAccountToken).toBe(false);
    expect(created.spec.serviceAccountName).toBe('kube-eventline-digest');
  });

  const regressions: Array<[string, (spec: K8sObject) => void, RegExp]> = [
    [
      'runAsNonRoot removed (pod and container)',
      (spec) => {
        delete spec.securityContext.runAsNonRoot;
        for (const c of spec.containers) delete c.securityContext.runAsNonRoot;
      },
      /runAsNonRoot != true/,
    ],
    ['allowPrivilegeEscalation: true', (spec) => (spec.containers[0].securityContext.allowPrivilegeEscalation = true), /allowPrivilegeEscalation != false/],
    ['runAsUser: 0', (spec) => (spec.containers[0].securityContext.runAsUser = 0), /runAsUser=0/],
    ['a capability added', (spec) => (spec.containers[0].securityContext.capabilities.add = ['NET_ADMIN']), /unrestricted capabilities/],
    ['no seccomp profile', (spec) => delete spec.securityContext.seccompProfile, /seccompProfile/],
    ['a hostPath volume', (spec) => spec.volumes.push({ name: 'host', hostPath: { path: '/var/log' } }), /restricted volume types|hostPath/],
  ];

  it.each(regressions)('refuses the exporter with %s, naming the rule it breaks', async (_what, regress, rule) => {
    const pod = await podOf('Deployment', 'kube-eventline');
    regress(pod.spec);
    const result = await admit(pod);
    expect(result.admitted, result.output).toBe(false);
    expect(result.output).toMatch(/violates PodSecurity "restricted:latest"/);
    expect(result.output).toMatch(rule);
  });

  it('admits Fluent Bit and Node Problem Detector in kube-eventline-node', async () => {
    for (const name of ['kube-eventline-fluent-bit', 'node-problem-detector']) {
      const pod = await podOf('DaemonSet', name);
      expect(pod.metadata.namespace).toBe(NODE_NS);
      const result = await admit(pod);
      expect(result, name).toMatchObject({ admitted: true });
      expect(result.output, name).toMatch(/created \(server dry run\)/);
    }
  });

  it('would refuse Fluent Bit and Node Problem Detector under `baseline`: `privileged` is the level they need', async () => {
    const needs: Record<string, RegExp[]> = {
      'kube-eventline-fluent-bit': [/hostPath volumes/],
      'node-problem-detector': [/host namespaces/, /privileged/, /hostPath volumes/],
    };
    for (const [name, rules] of Object.entries(needs)) {
      const result = await admit(await podOf('DaemonSet', name, baselineNs));
      expect(result.admitted, result.output).toBe(false);
      expect(result.output).toMatch(/violates PodSecurity "baseline:latest"/);
      for (const rule of rules) expect(result.output, name).toMatch(rule);
    }
  });

  it("would refuse Fluent Bit and Node Problem Detector in the exporter's namespace", async () => {
    for (const name of ['kube-eventline-fluent-bit', 'node-problem-detector']) {
      const result = await admit(await podOf('DaemonSet', name, NS));
      expect(result.admitted, result.output).toBe(false);
      expect(result.output).toMatch(/violates PodSecurity "restricted:latest"/);
    }
  });
});

describe("the digest's ServiceAccount: no API server permissions at all (deploy/with-digest applied for real)", () => {
  it('may do nothing beyond what every authenticated user may (self reviews, discovery)', async () => {
    const objects = (await render('deploy/with-digest')).map(({ obj }) => obj);
    const wanted = objects.filter((o) => (o.kind === 'Namespace' && o.metadata.name === NS) || o.kind === 'ServiceAccount' || /Role/.test(o.kind));
    await kubectl(['apply', '--server-side', '--force-conflicts', '-f', writeObjects('with-digest-rbac.yaml', wanted)], h.kube.adminKubeconfigPath);
    const kubeconfig = await h.kube.serviceAccountKubeconfig(NS, 'kube-eventline-digest');
    for (const namespace of [NS, 'default']) {
      const { stdout } = await kubectl(['auth', 'can-i', '--list', '-n', namespace], kubeconfig);
      const resources = stdout
        .split('\n')
        .slice(1)
        .map((l) => l.trim().split(/\s+/)[0]!)
        .filter((r) => r !== '' && !r.startsWith('['));
      expect(resources.sort(), stdout).toEqual(
        ['selfsubjectreviews.authentication.k8s.io', 'selfsubjectaccessreviews.authorization.k8s.io', 'selfsubjectrulesreviews.authorization.k8s.io'].sort(),
      );
    }
    // The exporter's own ServiceAccount, in the same render, may list Events: the check can tell.
    const exporter = await kubectl(['auth', 'can-i', '--list', '-n', NS], await h.kube.serviceAccountKubeconfig(NS, SA));
    expect(exporter.stdout).toMatch(/^events\s/m);
  });
});

describe("the exporter's ServiceAccount (RBAC applied for real)", () => {
  let sa: KubeConfig;
  let admin: KubeConfig;
  const cleanup: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    const objects = await render('deploy');
    const wanted = objects
      .map(({ obj }) => obj)
      .filter(
        (o) =>
          (o.kind === 'Namespace' && o.metadata.name === NS) ||
          (o.kind === 'ServiceAccount' && o.metadata.name === SA) ||
          (['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'].includes(o.kind) && o.metadata.name === 'kube-eventline'),
      );
    expect(wanted.map((o) => o.kind).sort()).toEqual(['ClusterRole', 'ClusterRoleBinding', 'Namespace', 'Role', 'RoleBinding', 'ServiceAccount']);
    await kubectl(['apply', '--server-side', '--force-conflicts', '-f', writeObjects('rbac.yaml', wanted)], h.kube.adminKubeconfigPath);
    sa = new KubeConfig();
    sa.loadFromFile(await h.kube.serviceAccountKubeconfig(NS, SA));
    admin = h.kube.kubeConfig();
  });

  afterAll(async () => {
    // Leave no checkpoint or Lease behind for the exporter tests that run after this file.
    for (const undo of cleanup.reverse()) await undo().catch(() => undefined);
  });

  it('can list Events in every namespace and watch them', async () => {
    const core = sa.makeApiClient(CoreV1Api);
    const list = await core.listEventForAllNamespaces();
    const adminCore = admin.makeApiClient(CoreV1Api);
    const name = `deploy-test-${process.pid}-${Date.now()}`;
    const seen = new Promise<string>((resolveSeen, reject) => {
      const timer = setTimeout(() => reject(new Error('no ADDED event from the watch within 60 s')), 60_000);
      let controller: AbortController | undefined;
      new Watch(sa)
        .watch(
          '/api/v1/events',
          { resourceVersion: list.metadata?.resourceVersion },
          (phase, obj) => {
            if (phase === 'ADDED' && obj?.metadata?.name === name) {
              clearTimeout(timer);
              controller?.abort();
              resolveSeen(`${obj.metadata.namespace}/${obj.metadata.name}`);
            }
          },
          (err) => {
            if (err && (err as Error).name !== 'AbortError') {
              clearTimeout(timer);
              reject(err);
            }
          },
        )
        .then((c) => (controller = c), reject);
    });
    // In another namespace than the ServiceAccount's own: the grant is cluster-wide.
    await adminCore.createNamespacedEvent({
      namespace: 'default',
      body: {
        metadata: { name, namespace: 'default' },
        involvedObject: { kind: 'Pod', namespace: 'default', name: 'nobody', apiVersion: 'v1' },
        reason: 'DeployTest',
        message: 'watch check',
        type: 'Normal',
        source: { component: 'deploy-test' },
        firstTimestamp: new Date(),
        lastTimestamp: new Date(),
        count: 1,
      },
    });
    cleanup.push(() => adminCore.deleteNamespacedEvent({ name, namespace: 'default' }));
    expect(await seen).toBe(`default/${name}`);
  });

  it('is forbidden (403) to read Secrets, anywhere', async () => {
    const core = sa.makeApiClient(CoreV1Api);
    expect(await status(core.listSecretForAllNamespaces())).toBe(403);
    expect(await status(core.listNamespacedSecret({ namespace: NS }))).toBe(403);
    expect(await status(core.readNamespacedSecret({ name: 'anything', namespace: NS }))).toBe(403);
    expect(await status(core.readNamespacedSecret({ name: 'anything', namespace: 'kube-system' }))).toBe(403);
  });

  it('may create, read and update the checkpoint ConfigMap, and is forbidden to read or change any other', async () => {
    const core = sa.makeApiClient(CoreV1Api);
    const adminCore = admin.makeApiClient(CoreV1Api);
    const other = `not-the-checkpoint-${process.pid}`;
    await adminCore.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: other }, data: { a: '1' } } });
    cleanup.push(() => adminCore.deleteNamespacedConfigMap({ name: other, namespace: NS }));

    // Positive control: the token works, and the checkpoint is writable.
    await adminCore.deleteNamespacedConfigMap({ name: CHECKPOINT, namespace: NS }).catch(() => undefined);
    expect(await status(core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: CHECKPOINT }, data: { rv: '1' } } }))).toBe(200);
    cleanup.push(() => adminCore.deleteNamespacedConfigMap({ name: CHECKPOINT, namespace: NS }));
    const checkpoint = await core.readNamespacedConfigMap({ name: CHECKPOINT, namespace: NS });
    expect(await status(core.replaceNamespacedConfigMap({ name: CHECKPOINT, namespace: NS, body: { ...checkpoint, data: { rv: '2' } } }))).toBe(200);

    // Another ConfigMap in the same namespace: no get, no update, no patch, no delete.
    const current = await adminCore.readNamespacedConfigMap({ name: other, namespace: NS });
    expect(await status(core.readNamespacedConfigMap({ name: other, namespace: NS }))).toBe(403);
    expect(await status(core.replaceNamespacedConfigMap({ name: other, namespace: NS, body: { ...current, data: { a: '2' } } }))).toBe(403);
    expect(await status(core.deleteNamespacedConfigMap({ name: other, namespace: NS }))).toBe(403);
    await expect(
      kubectl(['patch', 'configmap', other, '-n', NS, '--type=merge', '-p', '{"data":{"a":"3"}}'], await h.kube.serviceAccountKubeconfig(NS, SA)),
    ).rejects.toThrow(/forbidden/i);
    expect((await adminCore.readNamespacedConfigMap({ name: other, namespace: NS })).data).toEqual({ a: '1' });
    // And no ConfigMaps elsewhere.
    expect(await status(core.readNamespacedConfigMap({ name: 'kube-root-ca.crt', namespace: 'default' }))).toBe(403);
  });

  it('may get (not list) the objects enrichment reads, and take only its own Lease', async () => {
    const core = sa.makeApiClient(CoreV1Api);
    expect(await status(core.readNamespacedPod({ name: 'no-such-pod', namespace: 'default' }))).toBe(404);
    expect(await status(core.readNode({ name: 'no-such-node' }))).toBe(404);
    expect(await status(core.listPodForAllNamespaces())).toBe(403);

    const coordination = sa.makeApiClient(CoordinationV1Api);
    const adminCoordination = admin.makeApiClient(CoordinationV1Api);
    await adminCoordination.deleteNamespacedLease({ name: LEASE, namespace: NS }).catch(() => undefined);
    const body = { metadata: { name: LEASE, namespace: NS }, spec: { holderIdentity: 'deploy-test', leaseDurationSeconds: 15 } };
    expect(await status(coordination.createNamespacedLease({ namespace: NS, body }))).toBe(200);
    cleanup.push(() => adminCoordination.deleteNamespacedLease({ name: LEASE, namespace: NS }));
    const lease = await coordination.readNamespacedLease({ name: LEASE, namespace: NS });
    expect(
      await status(coordination.replaceNamespacedLease({ name: LEASE, namespace: NS, body: { ...lease, spec: { ...lease.spec, holderIdentity: 'other' } } })),
    ).toBe(200);
    expect(await status(coordination.readNamespacedLease({ name: 'some-other-lease', namespace: NS }))).toBe(403);
    expect(await status(coordination.listNamespacedLease({ namespace: NS }))).toBe(403);
  });
});

describe('the optional component deploy/components/pod-logs (real kustomize, real RBAC)', () => {
  const overlayDir = `.cache/kustomize-overlays/pod-logs-${process.pid}`;
  const componentNames = ['ClusterRole/kube-eventline-pod-logs', 'ClusterRoleBinding/kube-eventline-pod-logs'];

  /** What a user writes beside the bundle: the bundle plus the component (inside the clone: kustomize takes relative paths only). */
  beforeAll(() => {
    mkdirSync(join(REPO, overlayDir), { recursive: true });
    writeFileSync(
      join(REPO, overlayDir, 'kustomization.yaml'),
      [
        'apiVersion: kustomize.config.k8s.io/v1beta1',
        'kind: Kustomization',
        'resources:',
        '  - ../../../deploy',
        'components:',
        '  - ../../../deploy/components/pod-logs',
        '',
      ].join('\n'),
    );
  });

  afterAll(async () => {
    rmSync(join(REPO, overlayDir), { recursive: true, force: true });
    // The grant is optional: no test file after this one may find it applied.
    await kubectl(['delete', '--ignore-not-found', '-f', 'deploy/components/pod-logs/rbac.yaml'], h.kube.adminKubeconfigPath);
  });

  it('renders with the bundle: the bundle unchanged plus exactly the ClusterRole and its binding, and the API server accepts it all', async () => {
    const bundle = await render('deploy');
    const withLogs = await render(overlayDir);
    const ids = (objects: SourcedObject[]) => objects.map(({ obj }) => `${obj.kind}/${obj.metadata.name}`);
    expect(
      ids(withLogs)
        .filter((id) => !ids(bundle).includes(id))
        .sort(),
    ).toEqual(componentNames);
    // The component changes nothing of the bundle (no transformer reaches its objects).
    for (const { obj } of bundle)
      expect(withLogs.find((o) => o.obj.kind === obj.kind && o.obj.metadata.name === obj.metadata.name)?.obj, obj.kind).toEqual(obj);
    expect(rbacProblems(withLogs)).toEqual([]);
    const binding = find(withLogs, 'ClusterRoleBinding', 'kube-eventline-pod-logs')!;
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: SA, namespace: NS }]);
    expect(find(withLogs, 'ServiceAccount', SA)?.metadata.namespace).toBe(NS);

    await applyNamespaces();
    const file = writeObjects(
      'with-pod-logs.yaml',
      withLogs.map(({ obj }) => obj),
    );
    const { stdout } = await kubectl(['apply', '--server-side', '--dry-run=server', '--force-conflicts', '-f', file], h.kube.adminKubeconfigPath);
    expect(stdout.split('\n').filter((l) => /serverside-applied|created|configured|unchanged/.test(l)).length, stdout).toBe(withLogs.length);
  });

  it("gives the bundle's ServiceAccount get on pods/log and nothing more; without it, not even that", async () => {
    const objects = (await render(overlayDir)).map(({ obj }) => obj);
    const saObjects = objects.filter((o) => (o.kind === 'Namespace' && o.metadata.name === NS) || (o.kind === 'ServiceAccount' && o.metadata.name === SA));
    await kubectl(['apply', '--server-side', '--force-conflicts', '-f', writeObjects('pod-logs-sa.yaml', saObjects)], h.kube.adminKubeconfigPath);
    await kubectl(['delete', '--ignore-not-found', '-f', 'deploy/components/pod-logs/rbac.yaml'], h.kube.adminKubeconfigPath);
    const sa = new KubeConfig();
    sa.loadFromFile(await h.kube.serviceAccountKubeconfig(NS, SA));
    const authorization = sa.makeApiClient(AuthorizationV1Api);
    const allowed = async (verb: string, subresource?: string) => {
      const review = await authorization.createSelfSubjectAccessReview({
        body: { spec: { resourceAttributes: { namespace: 'default', verb, resource: 'pods', ...(subresource ? { subresource } : {}) } } },
      });
      return review.status?.allowed === true;
    };
    expect(await allowed('get', 'log')).toBe(false);

    const component = objects.filter((o) => componentNames.includes(`${o.kind}/${o.metadata.name}`));
    await kubectl(['apply', '--server-side', '--force-conflicts', '-f', writeObjects('pod-logs-rbac.yaml', component)], h.kube.adminKubeconfigPath);
    // RBAC is read from the API server's informer cache: give it a moment.
    const deadline = Date.now() + 10_000;
    while (!(await allowed('get', 'log')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(await allowed('get', 'log')).toBe(true);
    expect(await allowed('list', 'log')).toBe(false);
    expect(await allowed('create', 'exec')).toBe(false);
    expect(await allowed('get', 'exec')).toBe(false);
    expect(await allowed('create', 'attach')).toBe(false);
    expect(await allowed('get', 'proxy')).toBe(false);
    expect(await allowed('list')).toBe(false);
  });
});

describe('the pod-failures component (deploy/components/pod-failures, RBAC applied for real)', () => {
  let sa: KubeConfig;
  let applied: string;

  beforeAll(async () => {
    // The bundle's ServiceAccount and base RBAC, then the component's objects.
    const objects = (await render('deploy/with-pod-failures')).map(({ obj }) => obj);
    const wanted = objects.filter(
      (o) =>
        (o.kind === 'Namespace' && o.metadata.name === NS) ||
        (o.kind === 'ServiceAccount' && o.metadata.name === SA) ||
        (['ClusterRole', 'ClusterRoleBinding'].includes(o.kind) && ['kube-eventline', 'kube-eventline-pod-failures'].includes(o.metadata.name)),
    );
    expect(
      wanted
        .filter((o) => o.metadata.name === 'kube-eventline-pod-failures')
        .map((o) => o.kind)
        .sort(),
    ).toEqual(['ClusterRole', 'ClusterRoleBinding']);
    applied = writeObjects('pod-failures-rbac.yaml', wanted);
    await kubectl(['apply', '--server-side', '--force-conflicts', '-f', applied], h.kube.adminKubeconfigPath);
    sa = new KubeConfig();
    sa.loadFromFile(await h.kube.serviceAccountKubeconfig(NS, SA));
  });

  afterAll(async () => {
    // The other tests see the bundle without the component (no Pod list).
    for (const kind of ['clusterrolebinding', 'clusterrole'])
      await kubectl(['delete', kind, 'kube-eventline-pod-failures', '--ignore-not-found'], h.kube.adminKubeconfigPath).catch(() => undefined);
  });

  it("lets the exporter's ServiceAccount list and watch Pods in every namespace, and nothing more", async () => {
    const core = sa.makeApiClient(CoreV1Api);
    const list = await core.listPodForAllNamespaces({ limit: 1 });
    expect(await status(core.listNamespacedPod({ namespace: 'default', limit: 1 }))).toBe(200);
    // A watch is accepted: the answer is a 200 stream, not a 403 (KubeHttp.open rejects any other status).
    const watch = await new KubeHttp(sa).open('/api/v1/pods', { watch: 1, resourceVersion: list.metadata?.resourceVersion, timeoutSeconds: 1 });
    expect(watch.statusCode).toBe(200);
    watch.destroy();
    // No pods/log, no writes to Pods.
    expect(await status(core.readNamespacedPodLog({ name: 'no-such-pod', namespace: 'default' }))).toBe(403);
    expect(await status(core.deleteNamespacedPod({ name: 'no-such-pod', namespace: 'default' }))).toBe(403);
  });
});
