// Renders npd/ with the kustomize built into kubectl (`kubectl kustomize npd`), as
// `kubectl apply -k` would, and checks the result. kubectl is the one the test harness
// builds from Go modules, so nothing outside the repository is assumed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { harness } from '../harness/index.js';
import { type K8sObject, loadKustomization, npdDir, type PodSpec, repoRoot } from '../unit/npd-support.js';

let kubectl = '';

function render(dir = npdDir): K8sObject[] {
  const r = spawnSync(kubectl, ['kustomize', dir], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw new Error(`kubectl could not run (${r.error.message}): install kubectl to render npd/`);
  if (r.status !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${r.stderr}`);
  return parseAllDocuments(r.stdout).map((d) => d.toJS() as K8sObject);
}

describe('kubectl kustomize npd', () => {
  let objects: K8sObject[] = [];
  let configMaps: K8sObject[] = [];
  let ds: K8sObject | undefined;
  let pod: PodSpec;
  beforeAll(async () => {
    kubectl = (await harness()).kube.kubectl;
    objects = render();
    configMaps = objects.filter((o) => o.kind === 'ConfigMap');
    ds = objects.find((o) => o.kind === 'DaemonSet');
    pod = (ds!.spec as { template: { spec: PodSpec } }).template.spec;
  });

  it('renders the ServiceAccount, RBAC, two ConfigMaps and the DaemonSet', () => {
    expect(objects.map((o) => o.kind).sort()).toEqual(['ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'ConfigMap', 'DaemonSet', 'ServiceAccount'].sort());
  });

  it("puts namespaced objects in kube-eventline-node, the node agents' privileged namespace", () => {
    for (const o of objects) {
      if (o.kind.startsWith('Cluster')) expect(o.metadata.namespace).toBeUndefined();
      else expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe('kube-eventline-node');
    }
  });

  it('moves the ServiceAccount and its binding subject when an including build sets another namespace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'npd-kustomize-'));
    try {
      writeFileSync(join(dir, 'kustomization.yaml'), `namespace: elsewhere\nresources:\n  - ${relative(dir, npdDir)}\n`);
      const moved = render(dir);
      expect(moved.find((o) => o.kind === 'ServiceAccount')?.metadata.namespace).toBe('elsewhere');
      expect((moved.find((o) => o.kind === 'ClusterRoleBinding')!.subjects as { namespace: string }[])[0]?.namespace).toBe('elsewhere');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('mounts the hash-suffixed ConfigMaps it generated', () => {
    const mounted = (pod.volumes ?? []).flatMap((v) => (v.configMap ? [v.configMap.name] : [])).sort();
    expect(mounted).toEqual(configMaps.map((c) => c.metadata.name).sort());
    for (const name of mounted) expect(name).toMatch(/^node-problem-detector-(config|plugins)-[a-z0-9]{10}$/);
  });

  it('ships every generated file byte for byte', () => {
    const byPrefix = new Map(configMaps.map((c) => [c.metadata.name.replace(/-[a-z0-9]{10}$/, ''), c]));
    for (const gen of loadKustomization().configMapGenerator ?? []) {
      const data = (byPrefix.get(gen.name)?.data ?? {}) as Record<string, string>;
      for (const file of gen.files ?? []) {
        expect(data[file.split('/').pop()!], file).toBe(readFileSync(join(npdDir, file), 'utf8'));
      }
    }
  });
});
