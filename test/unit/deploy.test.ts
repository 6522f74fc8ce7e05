/**
 * deploy/, fluent-bit/, the repository-root quickstart kustomization and the Dockerfile, read
 * straight from the files (test/integration/deploy.test.ts renders them with a real kubectl and
 * checks them against a real API server).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { checkpointShardName, MAX_CHECKPOINT_SHARDS } from '../../src/checkpoint/configmap-store.js';
import { loadConfig } from '../../src/config/load.js';
import {
  BUNDLE_HARDENING,
  find,
  hardeningProblems,
  imageProblem,
  images,
  type K8sObject,
  pinProblem,
  podSpecs,
  rbacProblems,
  readYaml,
  renderKustomization,
  repoPath,
  type SourcedObject,
  UNPINNED_IMAGES,
} from './deploy-checks.js';

const NS = 'kube-eventline';
/** Fluent Bit and Node Problem Detector: the node agents that need host access. */
const NODE_NS = 'kube-eventline-node';
const DASHBOARDS = ['events-overview.json', 'object-history.json', 'pod-lifecycle.json', 'node-problems.json', 'daily-failures.json', 'rollouts-images.json'];
const RULES = ['kube-eventline-alerts.yaml'];

const base = renderKustomization('deploy');
const quickstart = renderKustomization('deploy/quickstart');
const root = renderKustomization('.');
/** Objects from files this bundle owns (npd/ has its own reviewer and its own needs, e.g. /dev/kmsg). */
const own = (r: { objects: SourcedObject[] }) => r.objects.filter((o) => !o.file.startsWith('npd/'));

const container = (workload: K8sObject | undefined, name: string) =>
  (workload?.spec?.template?.spec?.containers ?? []).find((c: K8sObject) => c.name === name) as K8sObject | undefined;

describe('deploy/ (the bundle)', () => {
  it('renders: every resource and generator file exists, including ../fluent-bit and ../npd', () => {
    const k = readYaml(repoPath('deploy', 'kustomization.yaml'));
    // A namespace here would move every part into one namespace (see the Pod Security test).
    expect(k.namespace).toBeUndefined();
    expect(k.resources).toEqual(['bundle']);
    const bundle = readYaml(repoPath('deploy', 'bundle', 'kustomization.yaml'));
    expect(bundle.resources).toEqual(['namespace.yaml', '../exporter', '../../fluent-bit', '../../npd']);
    expect(base.problems, base.problems.join('\n')).toEqual([]);
  });

  it('Pod Security: the exporter runs where `restricted` is enforced, the node agents in their own `privileged` namespace', () => {
    const label = (ns: string, key: string) => find(root.objects, 'Namespace', ns)?.metadata.labels?.[`pod-security.kubernetes.io/${key}`];
    for (const mode of ['enforce', 'warn', 'audit']) expect(label(NS, mode), mode).toBe('restricted');
    expect(label(NODE_NS, 'enforce')).toBe('privileged');
    for (const r of [base, quickstart, root]) {
      const where = Object.fromEntries(
        podSpecs(r.objects).map(({ id }) => [id, r.objects.find(({ obj }) => `${obj.kind}/${obj.metadata.name}` === id)!.obj.metadata.namespace]),
      );
      expect(where['Deployment/kube-eventline']).toBe(NS);
      // Only the two node agents run in the privileged namespace.
      expect(
        Object.keys(where)
          .filter((id) => where[id] === NODE_NS)
          .sort(),
      ).toEqual(['DaemonSet/kube-eventline-fluent-bit', 'DaemonSet/node-problem-detector']);
      expect(Object.values(where).every((ns) => ns === NS || ns === NODE_NS)).toBe(true);
      // Every namespaced object lands in one of the two, and ServiceAccounts next to their pods.
      for (const { obj } of r.objects) {
        if (obj.kind !== 'Namespace' && !obj.kind.startsWith('Cluster'))
          expect([NS, NODE_NS], `${obj.kind}/${obj.metadata.name}`).toContain(obj.metadata.namespace);
      }
      for (const { id, spec } of podSpecs(r.objects)) {
        if (spec.serviceAccountName) expect(find(r.objects, 'ServiceAccount', spec.serviceAccountName)?.metadata.namespace, id).toBe(where[id]);
      }
    }
    // The bindings name the ServiceAccounts where they now are.
    expect(find(root.objects, 'ClusterRoleBinding', 'kube-eventline-node-problem-detector')?.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'node-problem-detector', namespace: NODE_NS },
    ]);
    // Each namespace's reason is written next to its label.
    const text = readFileSync(repoPath('deploy', 'bundle', 'namespace.yaml'), 'utf8');
    expect(text).toMatch(/hostPath/);
    expect(text).toMatch(/hostNetwork/);
  });

  it('the renderer knows kustomize refuses an overlay that includes its own parent directory', () => {
    // deploy/quickstart including ../ (deploy/) is what kustomize rejects; hence deploy/bundle.
    const problems = renderKustomization('deploy', [repoPath('deploy', 'quickstart')]).problems;
    expect(problems).toContainEqual(expect.stringContaining('cycle'));
  });

  it('contains the namespace, the exporter Deployment/ServiceAccount/RBAC/config/Service and Fluent Bit', () => {
    const o = base.objects;
    expect(find(o, 'Namespace', NS)).toBeDefined();
    expect(find(o, 'ServiceAccount', 'kube-eventline')?.metadata.namespace).toBe(NS);
    for (const kind of ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']) expect(find(o, kind, 'kube-eventline'), kind).toBeDefined();
    expect(find(o, 'Deployment', 'kube-eventline')?.metadata.namespace).toBe(NS);
    expect(find(o, 'DaemonSet', 'kube-eventline-fluent-bit')?.metadata.namespace).toBe(NODE_NS);
    expect(find(o, 'ServiceAccount', 'kube-eventline-fluent-bit')).toBeDefined();
    const cm = find(o, 'ConfigMap', 'kube-eventline-config');
    expect(cm?.data?.['config.yaml']).toBe(readFileSync(repoPath('deploy', 'exporter', 'config.yaml'), 'utf8'));
    expect(find(o, 'ConfigMap', 'kube-eventline-fluent-bit')?.data?.['fluent-bit.yaml']).toBe(readFileSync(repoPath('fluent-bit', 'fluent-bit.yaml'), 'utf8'));
    // Both bindings name the bundle's ServiceAccount in the bundle's namespace.
    for (const kind of ['ClusterRoleBinding', 'RoleBinding']) {
      expect(find(o, kind, 'kube-eventline')?.subjects).toEqual([{ kind: 'ServiceAccount', name: 'kube-eventline', namespace: NS }]);
    }
  });

  it('runs the exporter as `kube-eventline --config /etc/kube-eventline/config.yaml` with probes, grace period and /tmp', () => {
    const deployment = find(base.objects, 'Deployment', 'kube-eventline')!;
    const spec = deployment.spec.template.spec;
    const c = container(deployment, 'exporter')!;
    expect(spec.serviceAccountName).toBe('kube-eventline');
    expect([...(c.command ?? []), ...(c.args ?? [])]).toEqual(['kube-eventline', '--config', '/etc/kube-eventline/config.yaml']);
    const port = c.ports.find((p: K8sObject) => p.containerPort === 2112);
    expect(port?.name).toBe('metrics');
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    expect(spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(20);
    const volume = (name: string) => spec.volumes.find((v: K8sObject) => v.name === name);
    const mount = (path: string) => c.volumeMounts.find((m: K8sObject) => m.mountPath === path);
    expect(volume(mount('/tmp')?.name)?.emptyDir).toBeDefined();
    expect(volume(mount('/etc/kube-eventline')?.name)?.configMap?.name).toBe('kube-eventline-config');
    // The metrics Service reaches that port.
    const service = find(base.objects, 'Service', 'kube-eventline-metrics')!;
    expect(service.spec.ports).toEqual([expect.objectContaining({ port: 2112, targetPort: 'metrics' })]);
    for (const [k, v] of Object.entries(service.spec.selector)) expect(deployment.spec.template.metadata.labels[k]).toBe(v);
  });

  it('exporter config.yaml loads with the real config loader, without warnings, and agrees with the Deployment', () => {
    const deployment = find(base.objects, 'Deployment', 'kube-eventline')!;
    const env = Object.fromEntries(
      container(deployment, 'exporter')!
        .env.filter((e: K8sObject) => 'value' in e)
        .map((e: K8sObject) => [e.name, e.value]),
    );
    const text = readFileSync(repoPath('deploy', 'exporter', 'config.yaml'), 'utf8');
    const { config, warnings } = loadConfig(text, 'deploy/exporter/config.yaml', env);
    expect(warnings).toEqual([]);
    expect(config.clusterName).toBe(env.CLUSTER_NAME);
    expect(config.clusterName).not.toBe('');
    expect(config.metrics.port).toBe(2112);
    expect(config.checkpoint?.configMap).toEqual({ namespace: NS, name: 'kube-eventline-checkpoint' });
    expect(config.leaderElection).toMatchObject({ enabled: true, namespace: NS });
    expect(config.receivers.map((r) => r.type)).toEqual(['stdout']);
    // No secrets in ConfigMaps: nothing that looks like a credential.
    const content = text
      .split('\n')
      .filter((l) => !l.trim().startsWith('#'))
      .join('\n');
    expect(content).not.toMatch(/password|token|secret|apikey|api_key/i);
    expect(content).toContain('clusterName:');
  });

  it('RBAC: events get/list/watch cluster-wide, read-only get for enrichment, one checkpoint ConfigMap, one Lease', () => {
    const o = base.objects;
    const clusterRole = find(o, 'ClusterRole', 'kube-eventline')!;
    const role = find(o, 'Role', 'kube-eventline')!;
    expect(role.metadata.namespace).toBe(NS);
    const grants = (r: K8sObject, group: string, resource: string) =>
      (r.rules as K8sObject[]).filter((rule) => rule.apiGroups.includes(group) && rule.resources.includes(resource));
    expect(
      grants(clusterRole, '', 'events')
        .flatMap((r) => r.verbs)
        .sort(),
    ).toEqual(['get', 'list', 'watch']);
    // Only Events are listed/watched; everything else is a plain get.
    for (const rule of clusterRole.rules as K8sObject[]) {
      if (!rule.resources.includes('events')) expect(rule.verbs).toEqual(['get']);
      expect(rule.resourceNames).toBeUndefined();
    }
    // Every kind the enricher knows without discovery (src/enrich/resource-paths.ts) can be read.
    const known = [...readFileSync(repoPath('src', 'enrich', 'resource-paths.ts'), 'utf8').matchAll(/'([\w./-]+)\/(\w+)': \{ plural: '(\w+)'/g)];
    expect(known.length).toBeGreaterThanOrEqual(10);
    for (const [, apiVersion, kind, plural] of known) {
      const group = apiVersion!.includes('/') ? apiVersion!.split('/')[0]! : '';
      expect(
        grants(clusterRole, group, plural!).flatMap((r) => r.verbs),
        `${kind} (${group}/${plural})`,
      ).toContain('get');
    }
    // The checkpoint: get/update/patch/delete on exactly the configured ConfigMap and the shards
    // the exporter names after it; create is unrestricted by nature.
    const config = parseYaml(readFileSync(repoPath('deploy', 'exporter', 'config.yaml'), 'utf8'));
    const cmRules = grants(role, '', 'configmaps');
    expect(cmRules.find((r) => r.verbs.includes('update'))).toEqual({
      apiGroups: [''],
      resources: ['configmaps'],
      resourceNames: Array.from({ length: MAX_CHECKPOINT_SHARDS }, (_, i) => checkpointShardName(config.checkpoint.configMap.name, i)),
      verbs: ['get', 'update', 'patch', 'delete'],
    });
    expect(cmRules.find((r) => r.verbs.includes('create'))).toEqual({ apiGroups: [''], resources: ['configmaps'], verbs: ['create'] });
    expect(cmRules).toHaveLength(2);
    const rbacText = readFileSync(repoPath('deploy', 'exporter', 'rbac.yaml'), 'utf8');
    expect(rbacText).toMatch(/`create` cannot be limited by\s*#?\s*resourceNames/);
    // Leader election: the Lease the config names.
    const leaseRules = grants(role, 'coordination.k8s.io', 'leases');
    expect(leaseRules.flatMap((r) => r.verbs).sort()).toEqual(['create', 'get', 'update']);
    expect(leaseRules.find((r) => r.verbs.includes('update'))?.resourceNames).toEqual([config.leaderElection.leaderElectionID]);
    expect(config.checkpoint.configMap.namespace).toBe(role.metadata.namespace);
    expect(config.leaderElection.namespace).toBe(role.metadata.namespace);
  });

  it('the pod-failures component adds only list and watch of Pods, bound to the exporter; the bundle alone cannot list Pods', () => {
    const withPods = renderKustomization('deploy/with-pod-failures');
    expect(withPods.problems, withPods.problems.join('\n')).toEqual([]);
    const baseIds = new Set(base.objects.map(({ obj }) => `${obj.kind}/${obj.metadata.name}`));
    const added = withPods.objects.filter(({ obj }) => !baseIds.has(`${obj.kind}/${obj.metadata.name}`)).map(({ obj }) => obj);
    expect(added.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ClusterRole/kube-eventline-pod-failures',
      'ClusterRoleBinding/kube-eventline-pod-failures',
    ]);
    expect(find(withPods.objects, 'ClusterRole', 'kube-eventline-pod-failures')!.rules).toEqual([
      { apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch'] },
    ]);
    const binding = find(withPods.objects, 'ClusterRoleBinding', 'kube-eventline-pod-failures')!;
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'kube-eventline-pod-failures' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'kube-eventline', namespace: NS }]);
    expect(rbacProblems(withPods.objects)).toEqual([]);
    // The component is a Component, usable from any overlay of the bundle.
    expect(readYaml(repoPath('deploy', 'components', 'pod-failures', 'kustomization.yaml')).kind).toBe('Component');
    // Off by default: the bundle's own config leaves podFailures off, and its RBAC lists no Pods.
    const text = readFileSync(repoPath('deploy', 'exporter', 'config.yaml'), 'utf8');
    expect(loadConfig(text, 'config.yaml', { CLUSTER_NAME: 'x' }).config.podFailures.enabled).toBe(false);
    const podVerbs = base.objects
      .filter(({ obj }) => obj.kind === 'ClusterRole' || obj.kind === 'Role')
      .flatMap(({ obj }) => (obj.rules as K8sObject[]).filter((r) => r.resources.includes('pods')).flatMap((r) => r.verbs));
    expect(podVerbs).not.toContain('list');
    expect(podVerbs).not.toContain('watch');
  });

  it('RBAC never grants Secrets, wildcards, escalate/bind/impersonate (whole bundle, npd included)', () => {
    expect(rbacProblems(base.objects)).toEqual([]);
    // The checker itself catches each of those.
    const bad = (rules: K8sObject[]) => rbacProblems([{ file: 'x', obj: { kind: 'ClusterRole', metadata: { name: 'x' }, rules } }]);
    expect(bad([{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }])).toHaveLength(1);
    expect(bad([{ apiGroups: [''], resources: ['*'], verbs: ['get'] }])).toHaveLength(1);
    expect(bad([{ apiGroups: ['*'], resources: ['pods'], verbs: ['get'] }])).toHaveLength(1);
    expect(bad([{ apiGroups: [''], resources: ['pods'], verbs: ['*'] }])).toHaveLength(1);
    expect(bad([{ apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['escalate'] }])).toHaveLength(1);
  });

  it('every container of the bundle is hardened (Fluent Bit: uid 0 but no capabilities, only its host paths)', () => {
    const specs = podSpecs(own(base));
    expect(specs.map((s) => s.id).sort()).toEqual(['DaemonSet/kube-eventline-fluent-bit', 'Deployment/kube-eventline']);
    for (const { id, spec } of specs) expect(hardeningProblems(id, spec, BUNDLE_HARDENING), id).toEqual([]);
    const exporter = find(base.objects, 'Deployment', 'kube-eventline')!.spec.template.spec;
    expect(exporter.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532 });
    // The root exception is explained where it is made.
    expect(readFileSync(repoPath('fluent-bit', 'daemonset.yaml'), 'utf8')).toMatch(/Why root:/);
    // The checker itself notices a weakened container.
    const weakened = structuredClone(exporter);
    weakened.containers[0].securityContext.readOnlyRootFilesystem = false;
    weakened.containers[0].securityContext.capabilities = { drop: ['NET_RAW'] };
    weakened.volumes.push({ name: 'host', hostPath: { path: '/' } });
    expect(hardeningProblems('Deployment/kube-eventline', weakened, BUNDLE_HARDENING)).toHaveLength(3);
  });

  it('Fluent Bit needs no API access: no RBAC, no token', () => {
    const ds = find(base.objects, 'DaemonSet', 'kube-eventline-fluent-bit')!;
    const sa = find(base.objects, 'ServiceAccount', ds.spec.template.spec.serviceAccountName)!;
    expect(sa.automountServiceAccountToken).toBe(false);
    expect(ds.spec.template.spec.automountServiceAccountToken).toBe(false);
    const bound = base.objects.filter(
      ({ obj }) =>
        (obj.kind === 'RoleBinding' || obj.kind === 'ClusterRoleBinding') && (obj.subjects ?? []).some((s: K8sObject) => s.name === sa.metadata.name),
    );
    expect(bound).toEqual([]);
    const c = container(ds, 'fluent-bit')!;
    expect(c.args).toEqual(['--config=/fluent-bit/etc/kube-eventline/fluent-bit.yaml']);
    const configMount = c.volumeMounts.find((m: K8sObject) => m.mountPath === '/fluent-bit/etc/kube-eventline');
    expect(ds.spec.template.spec.volumes.find((v: K8sObject) => v.name === configMount.name).configMap.name).toBe('kube-eventline-fluent-bit');
    expect(ds.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(readYaml(repoPath('fluent-bit', 'fluent-bit.yaml')).service.grace);
  });

  it('every public image is pinned by tag and digest, or is on the commented allow-list', () => {
    // The root kustomization renders everything: bundle, npd, Loki, Grafana.
    const found = images(root.objects);
    expect(new Set(found.map((f) => f.where.split('/')[1])).size).toBeGreaterThanOrEqual(5);
    const nodeImage = /^ARG NODE_IMAGE=(\S+)/m.exec(readFileSync(repoPath('Dockerfile'), 'utf8'))?.[1];
    expect(nodeImage).toBeDefined();
    const all = [...found, { where: 'Dockerfile ARG NODE_IMAGE', image: nodeImage! }];
    expect(all.flatMap(({ where, image }) => (pinProblem(image) ? [`${where}: ${pinProblem(image)}`] : []))).toEqual([]);
    // No stale entries: each allowed exception is still named somewhere.
    for (const image of UNPINNED_IMAGES.keys())
      expect(
        all.map((f) => f.image),
        image,
      ).toContain(image);
    // Each exception says why in the source, not only in the map.
    const source = readFileSync(repoPath('test', 'unit', 'deploy-checks.ts'), 'utf8');
    for (const image of UNPINNED_IMAGES.keys())
      expect(source).toMatch(new RegExp(`// [^\\n]+\\n(\\s*//[^\\n]*\\n)*\\s*\\['${image.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}'`));
    // The checker itself.
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(pinProblem(`grafana/loki:3.7.8@${digest}`)).toBeUndefined();
    expect(pinProblem('grafana/loki:3.7.8')).toMatch(/not pinned by digest/);
    expect(pinProblem(`grafana/loki@${digest}`)).toMatch(/no tag/);
    expect(pinProblem(`grafana/loki:latest@${digest}`)).toMatch(/not a pinned version/);
    expect(pinProblem('grafana/loki:3.7.8@sha256:abc')).toMatch(/64 hex/);
    expect(pinProblem('cr.fluentbit.io/fluent/fluent-bit:latest')).toMatch(/not pinned by digest/);
  });

  it('every image is pinned by tag, never latest', () => {
    const all = [...base.objects, ...quickstart.objects];
    const found = images(all);
    expect(found.length).toBeGreaterThanOrEqual(4);
    expect(found.flatMap(({ where, image }) => (imageProblem(image) ? [`${where}: ${imageProblem(image)}`] : []))).toEqual([]);
    expect(imageProblem('grafana/loki')).toBeDefined();
    expect(imageProblem('grafana/loki:latest')).toBeDefined();
    expect(imageProblem('localhost:5000/loki')).toBeDefined();
    expect(imageProblem('localhost:5000/loki:3.7.8')).toBeUndefined();
    // The exporter image tag is the package version.
    const pkg = JSON.parse(readFileSync(repoPath('package.json'), 'utf8'));
    expect(container(find(base.objects, 'Deployment', 'kube-eventline'), 'exporter')!.image).toMatch(new RegExp(`:${pkg.version.replace(/\./g, '\\.')}$`));
  });
});

describe('every optional component under deploy/components', () => {
  const components = readdirSync(repoPath('deploy', 'components'));

  it.each(components)('%s is a Component with no transformer that would reach the objects of the kustomization including it', (name) => {
    const k = readYaml(repoPath('deploy', 'components', name, 'kustomization.yaml'));
    expect(k.kind).toBe('Component');
    const transformers = ['labels', 'commonLabels', 'commonAnnotations', 'namespace', 'namePrefix', 'nameSuffix', 'patches', 'images', 'replicas'];
    expect(transformers.filter((key) => key in k)).toEqual([]);
    const { objects, problems } = renderKustomization(`deploy/components/${name}`);
    expect(problems).toEqual([]);
    for (const { obj } of objects) expect(obj.metadata.labels?.['app.kubernetes.io/part-of'], `${obj.kind}/${obj.metadata.name}`).toBe('kube-eventline');
  });

  it('finds the three components', () => {
    expect(components.sort()).toEqual(['digest', 'pod-failures', 'pod-logs']);
  });
});

describe('deploy/components/pod-logs (optional: the last log lines of failed containers)', () => {
  const component = renderKustomization('deploy/components/pod-logs');

  it('is a kustomize Component granting only get on pods/log, bound to the bundle ServiceAccount', () => {
    expect(component.problems, component.problems.join('\n')).toEqual([]);
    const k = readYaml(repoPath('deploy', 'components', 'pod-logs', 'kustomization.yaml'));
    expect(k).toMatchObject({ apiVersion: 'kustomize.config.k8s.io/v1alpha1', kind: 'Component', resources: ['rbac.yaml'] });
    // A component's transformers would reach every object of the kustomization including it.
    expect(k.labels).toBeUndefined();
    expect(k.namespace).toBeUndefined();
    expect(component.objects.map(({ obj }) => `${obj.kind}/${obj.metadata.name}`).sort()).toEqual([
      'ClusterRole/kube-eventline-pod-logs',
      'ClusterRoleBinding/kube-eventline-pod-logs',
    ]);
    expect(find(component.objects, 'ClusterRole', 'kube-eventline-pod-logs')!.rules).toEqual([{ apiGroups: [''], resources: ['pods/log'], verbs: ['get'] }]);
    const binding = find(component.objects, 'ClusterRoleBinding', 'kube-eventline-pod-logs')!;
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'kube-eventline-pod-logs' });
    // The bundle's exporter ServiceAccount, where the bundle puts it.
    const sa = find(base.objects, 'ServiceAccount', 'kube-eventline')!;
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: sa.metadata.namespace }]);
    for (const { obj } of component.objects) expect(obj.metadata.labels, obj.kind).toEqual({ 'app.kubernetes.io/part-of': 'kube-eventline' });
    expect(rbacProblems(component.objects)).toEqual([]);
  });

  it('the bundle alone never reads pod logs: pods/log only through the component', () => {
    for (const r of [base, quickstart, root]) {
      const grants = r.objects
        .filter(({ obj }) => obj.kind === 'Role' || obj.kind === 'ClusterRole')
        .flatMap(({ obj }) => (obj.rules as K8sObject[]).flatMap((rule) => rule.resources as string[]));
      expect(grants).not.toContain('pods/log');
      expect(grants.filter((g) => g.startsWith('pods/'))).toEqual([]);
    }
    // Documented where users look for it.
    for (const doc of ['config.md', 'bundle.md']) expect(readFileSync(repoPath('docs', doc), 'utf8'), doc).toContain('deploy/components/pod-logs');
  });
});

describe('quickstart (deploy/quickstart + the repository-root kustomization.yaml)', () => {
  it('deploy/quickstart renders on its own: the bundle plus Loki and Grafana (rules and dashboards optional there)', () => {
    expect(quickstart.problems, quickstart.problems.join('\n')).toEqual([]);
    expect(readYaml(repoPath('deploy', 'quickstart', 'kustomization.yaml')).resources).toContain('../bundle');
    const key = ({ obj }: SourcedObject) => `${obj.kind}/${obj.metadata?.namespace ?? ''}/${obj.metadata?.name}`;
    const quickstartKeys = new Set(quickstart.objects.map(key));
    for (const o of base.objects) expect(quickstartKeys.has(key(o)), key(o)).toBe(true);
    const loki = find(quickstart.objects, 'Deployment', 'loki')!;
    const grafana = find(quickstart.objects, 'Deployment', 'grafana')!;
    const vol = (w: K8sObject, name: string) => w.spec.template.spec.volumes.find((v: K8sObject) => v.name === name);
    expect(vol(loki, 'rules').configMap).toEqual({ name: 'kube-eventline-loki-rules', optional: true });
    expect(vol(grafana, 'dashboards').configMap).toEqual({ name: 'kube-eventline-dashboards', optional: true });
  });

  it('the root kustomization lists the six dashboards and the alert rules, and every file exists', () => {
    const k = readYaml(repoPath('kustomization.yaml'));
    expect(k.resources).toEqual(['deploy/quickstart']);
    const gen = (name: string) => (k.configMapGenerator as K8sObject[]).find((g) => g.name === name)?.files;
    expect(gen('kube-eventline-dashboards')).toEqual(DASHBOARDS.map((d) => `dashboards/${d}`));
    expect(gen('kube-eventline-loki-rules')).toEqual(RULES.map((r) => `rules/${r}`));
    const missing = [...DASHBOARDS.map((d) => `dashboards/${d}`), ...RULES.map((r) => `rules/${r}`)].filter((f) => !existsSync(repoPath(f)));
    expect(missing, `missing (written by the jsonnet mixin): ${missing.join(', ')}`).toEqual([]);
    expect(root.problems, root.problems.join('\n')).toEqual([]);
  });

  it('the generated dashboards and rules fit in their ConfigMaps (1 MiB object limit)', () => {
    for (const name of ['kube-eventline-dashboards', 'kube-eventline-loki-rules']) {
      const cm = find(root.objects, 'ConfigMap', name);
      expect(cm, name).toBeDefined();
      const bytes = Object.values(cm!.data as Record<string, string>).reduce((n, v) => n + Buffer.byteLength(v), 0);
      expect(bytes, name).toBeLessThan(900 * 1024);
    }
  });

  it('generator files outside a kustomization directory are refused (why the root kustomization exists)', () => {
    // The same files named from deploy/quickstart would break kustomize's default load restrictor.
    const restricted = renderKustomization('deploy/quickstart');
    expect(restricted.problems).toEqual([]);
    const k = readYaml(repoPath('deploy', 'quickstart', 'kustomization.yaml'));
    const files = (k.configMapGenerator as K8sObject[]).flatMap((g) => g.files as string[]);
    for (const f of files) expect(f.split('=').pop()!.startsWith('..'), f).toBe(false);
  });

  it('Loki: filesystem storage, structured metadata, ruler reading the rules ConfigMap as tenant fake', () => {
    const lokiConfig = find(quickstart.objects, 'ConfigMap', 'kube-eventline-loki')!.data['config.yaml'];
    const cfg = parseYaml(lokiConfig);
    expect(cfg.auth_enabled).toBe(false);
    expect(cfg.limits_config.allow_structured_metadata).toBe(true);
    expect(cfg.schema_config.configs.at(-1)).toMatchObject({ store: 'tsdb', object_store: 'filesystem', schema: 'v13' });
    expect(cfg.analytics.reporting_enabled).toBe(false);
    const loki = find(quickstart.objects, 'Deployment', 'loki')!;
    const c = container(loki, 'loki')!;
    const mountOf = (volume: string) => c.volumeMounts.find((m: K8sObject) => m.name === volume)?.mountPath;
    expect(c.args).toContain(`-config.file=${mountOf('config')}/config.yaml`);
    expect(mountOf('rules')).toBe(`${cfg.ruler.storage.local.directory}/fake`);
    expect(cfg.ruler.storage.type).toBe('local');
    // Every path Loki writes is on the data volume (the root filesystem is read-only).
    for (const p of [
      cfg.common.path_prefix,
      cfg.common.storage.filesystem.chunks_directory,
      cfg.ingester.wal.dir,
      cfg.ruler.rule_path,
      cfg.ruler.wal.dir,
      cfg.compactor.working_directory,
    ]) {
      expect(String(p).startsWith(mountOf('data')), p).toBe(true);
    }
    // Fluent Bit's default Loki address is this Service.
    const service = find(quickstart.objects, 'Service', 'loki')!;
    const env = Object.fromEntries(
      container(find(quickstart.objects, 'DaemonSet', 'kube-eventline-fluent-bit'), 'fluent-bit')!.env.map((e: K8sObject) => [e.name, e.value]),
    );
    expect(env.LOKI_HOST).toBe(`${service.metadata.name}.${service.metadata.namespace}.svc`);
    expect(env.LOKI_PORT).toBe(String(service.spec.ports[0].port));
    expect(String(cfg.server.http_listen_port)).toBe(env.LOKI_PORT);
  });

  it('Grafana: Loki datasource uid loki, dashboards provisioned from the mounted ConfigMap', () => {
    const ds = parseYaml(find(quickstart.objects, 'ConfigMap', 'kube-eventline-grafana-datasources')!.data['loki.yaml']);
    expect(ds.datasources).toEqual([expect.objectContaining({ uid: 'loki', type: 'loki', url: 'http://loki.kube-eventline.svc:3100' })]);
    const providers = parseYaml(find(quickstart.objects, 'ConfigMap', 'kube-eventline-grafana-dashboard-providers')!.data['kube-eventline.yaml']);
    const grafana = find(quickstart.objects, 'Deployment', 'grafana')!;
    const c = container(grafana, 'grafana')!;
    const mountOf = (volume: string) => c.volumeMounts.find((m: K8sObject) => m.name === volume)?.mountPath;
    expect(providers.providers[0].options.path).toBe(mountOf('dashboards'));
    expect(mountOf('datasources')).toBe('/etc/grafana/provisioning/datasources');
    expect(mountOf('dashboard-providers')).toBe('/etc/grafana/provisioning/dashboards');
    expect(mountOf('storage')).toBe('/var/lib/grafana');
  });

  it('every quickstart container is hardened too', () => {
    const specs = podSpecs(own(quickstart));
    expect(specs.map((s) => s.id).sort()).toEqual([
      'DaemonSet/kube-eventline-fluent-bit',
      'Deployment/grafana',
      'Deployment/kube-eventline',
      'Deployment/loki',
    ]);
    for (const { id, spec } of specs) expect(hardeningProblems(id, spec, BUNDLE_HARDENING), id).toEqual([]);
    expect(rbacProblems(quickstart.objects)).toEqual([]);
  });
});

describe('Dockerfile', () => {
  const text = readFileSync(repoPath('Dockerfile'), 'utf8');
  const instructions = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages = instructions.filter((l) => /^FROM /i.test(l));

  it('is multi-stage: node 20 build stage (npm ci + npm run build), small runtime with production deps', () => {
    expect(stages.length).toBe(2);
    const nodeImage = /^ARG NODE_IMAGE=(\S+)/m.exec(text)?.[1];
    expect(nodeImage).toMatch(/^node:20[\w.-]*-(alpine|slim)[\w.]*$/);
    expect(imageProblem(nodeImage!)).toBeUndefined();
    const buildStage = instructions.slice(0, instructions.indexOf(stages[1]!));
    const runStage = instructions.slice(instructions.indexOf(stages[1]!));
    expect(buildStage.some((l) => /^RUN npm ci\b/.test(l))).toBe(true);
    expect(buildStage).toContain('RUN npm run build');
    // The bundle carries every dependency: the runtime stage installs none.
    expect(runStage.some((l) => /\bnpm (ci|install)\b/.test(l))).toBe(false);
    expect(runStage).toContain(
      'COPY --from=build /src/dist/kube-eventline.mjs /src/dist/kube-eventline.mjs.map /src/dist/kube-eventline.mjs.licenses.txt ./dist/',
    );
  });

  it('runs as uid 65532 with `kube-eventline` as the entrypoint, which runs the bundle (package.json bin)', () => {
    expect(instructions).toContain('USER 65532:65532');
    expect(instructions).toContain('ENTRYPOINT ["kube-eventline"]');
    const pkg = JSON.parse(readFileSync(repoPath('package.json'), 'utf8'));
    expect(pkg.bin['kube-eventline']).toBe('dist/kube-eventline.mjs');
    expect(text).toContain('exec node /app/dist/kube-eventline.mjs "$@"');
    expect(text).toMatch(/WORKDIR \/app[\s\S]*COPY --from=build \/src\/dist\/kube-eventline\.mjs /);
  });

  it('.dockerignore keeps the build context to what the Dockerfile copies', () => {
    const ignored = readFileSync(repoPath('.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const p of ['node_modules', '.git', 'dist', '.cache']) expect(ignored).toContain(p);
    const copied = instructions.filter((l) => /^COPY (?!--from)/.test(l)).flatMap((l) => l.split(/\s+/).slice(1, -1));
    for (const p of copied) expect(ignored, p).not.toContain(p);
    for (const p of copied) expect(existsSync(repoPath(p)), p).toBe(true);
  });
});
