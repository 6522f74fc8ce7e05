// The NPD DaemonSet, ServiceAccount and RBAC in npd/: pinned image, least privilege,
// hardening, and scheduling on every node.
import { describe, expect, it } from 'vitest';
import { type Container, loadDaemonSet, loadResources } from './npd-support.js';

// The release tag and its digest (registry.k8s.io's promotion manifest lists the digest of each tag).
const IMAGE = /^registry\.k8s\.io\/node-problem-detector\/node-problem-detector:v0\.8\.\d+@sha256:[0-9a-f]{64}$/;

const resources = loadResources();
const { obj: ds, pod } = loadDaemonSet();
const byName = (name: string): Container => {
  const c = pod.containers.find((x) => x.name === name);
  if (!c) throw new Error(`no container ${name}`);
  return c;
};

describe('NPD DaemonSet', () => {
  it('pins the upstream image to a v0.8.x release, by tag and digest', () => {
    for (const c of pod.containers) expect(c.image).toMatch(IMAGE);
    expect(new Set(pod.containers.map((c) => c.image)).size).toBe(1);
  });

  it('runs on every Linux node: tolerates all taints, system-node-critical', () => {
    expect(pod.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(pod.priorityClassName).toBe('system-node-critical');
    expect(pod.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
  });

  it('uses the host network with cluster DNS, and no host PID/IPC', () => {
    expect(pod.hostNetwork).toBe(true);
    expect(pod.dnsPolicy).toBe('ClusterFirstWithHostNet');
    expect(pod.hostPID ?? false).toBe(false);
    expect(pod.hostIPC ?? false).toBe(false);
  });

  it('uses its own ServiceAccount', () => {
    const sa = resources.find((r) => r.kind === 'ServiceAccount');
    expect(pod.serviceAccountName).toBe(sa?.metadata.name);
  });

  it('keeps privilege to the kernel container, which must read /dev/kmsg', () => {
    const kernel = byName('kernel');
    expect(kernel.securityContext?.privileged).toBe(true);
    expect(kernel.securityContext?.readOnlyRootFilesystem).toBe(true);
    expect(kernel.volumeMounts?.find((m) => m.mountPath === '/dev/kmsg')?.readOnly).toBe(true);
    for (const m of kernel.volumeMounts ?? []) expect(m.readOnly, m.mountPath).toBe(true);
  });

  it('runs the checks container unprivileged, non-root, with no capabilities', () => {
    const sc = byName('checks').securityContext ?? {};
    expect(sc.privileged).toBe(false);
    expect(sc.runAsNonRoot).toBe(true);
    expect(sc.runAsUser).toBe(65534);
    expect(sc.allowPrivilegeEscalation).toBe(false);
    expect(sc.readOnlyRootFilesystem).toBe(true);
    expect(sc.capabilities).toEqual({ drop: ['ALL'] });
    expect(sc.seccompProfile).toEqual({ type: 'RuntimeDefault' });
    for (const m of byName('checks').volumeMounts ?? []) expect(m.readOnly, m.mountPath).toBe(true);
    expect((pod.securityContext as { seccompProfile?: unknown } | undefined)?.seccompProfile).toEqual({
      type: 'RuntimeDefault',
    });
  });

  it('mounts from the host only /dev/kmsg and /var/log, read-only, into the kernel container', () => {
    const hostPaths = (pod.volumes ?? []).filter((v) => v.hostPath).map((v) => v.hostPath!.path.replace(/\/$/, ''));
    expect(hostPaths.sort()).toEqual(['/dev/kmsg', '/var/log']);
    const hostVolumes = new Set((pod.volumes ?? []).filter((v) => v.hostPath).map((v) => v.name));
    expect((byName('checks').volumeMounts ?? []).filter((m) => hostVolumes.has(m.name))).toEqual([]);
  });

  it('sets requests and memory/CPU limits on every container', () => {
    for (const c of pod.containers) {
      expect(c.resources?.requests?.cpu, c.name).toBeDefined();
      expect(c.resources?.requests?.memory, c.name).toBeDefined();
      expect(c.resources?.limits?.memory, c.name).toBeDefined();
      expect(c.resources?.limits?.cpu, c.name).toBeDefined();
    }
  });

  it('gives NPD its node name and distinct metrics ports', () => {
    const ports: string[] = [];
    for (const c of pod.containers) {
      expect(
        c.env?.find((e) => e.name === 'NODE_NAME'),
        c.name,
      ).toBeDefined();
      const port = c.command?.find((a) => a.startsWith('--prometheus-port='));
      expect(port, c.name).toBeDefined();
      ports.push(port!);
    }
    expect(new Set(ports).size).toBe(ports.length);
  });

  it('probes each NPD process on /healthz of the health server it binds to the node loopback', () => {
    const ports: number[] = [];
    for (const c of pod.containers) {
      const flags = [...(c.command ?? []), ...(c.args ?? [])];
      expect(flags, c.name).toContain('--address=127.0.0.1');
      const port = Number(flags.find((a) => a.startsWith('--port='))?.slice('--port='.length));
      expect(port, `${c.name}: --port=0 turns the health server off`).toBeGreaterThan(0);
      ports.push(port);
      for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe'] as const) {
        // hostNetwork: the pod IP is the node IP, where nothing listens; the kubelet reaches the
        // pod's loopback through the host's.
        expect(c[probe]?.httpGet, `${c.name} ${probe}`).toEqual({ host: '127.0.0.1', path: '/healthz', port });
      }
      // NPD starts the server after it has read its Node, which it waits for up to 5 min.
      const startup = c.startupProbe!;
      expect((startup.periodSeconds ?? 10) * (startup.failureThreshold ?? 3), c.name).toBeGreaterThan(300);
    }
    expect(new Set(ports).size).toBe(ports.length);
    expect(pod.hostNetwork).toBe(true);
  });

  it('selects its own pods', () => {
    const spec = ds.spec as { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> } } };
    for (const [k, v] of Object.entries(spec.selector.matchLabels)) expect(spec.template.metadata.labels[k]).toBe(v);
  });
});

describe('NPD RBAC', () => {
  const role = resources.find((r) => r.kind === 'ClusterRole');
  const binding = resources.find((r) => r.kind === 'ClusterRoleBinding');

  it('grants exactly what NPD calls: get node, patch node status, write events', () => {
    const rules = (role?.rules as { apiGroups: string[]; resources: string[]; verbs: string[] }[]) ?? [];
    const grants = rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g}/${res}:${v}`))));
    expect(grants.sort()).toEqual(['/events:create', '/events:patch', '/nodes/status:patch', '/nodes:get'].sort());
  });

  it('binds the role to the DaemonSet ServiceAccount', () => {
    expect((binding!.roleRef as { name: string }).name).toBe(role?.metadata.name);
    expect(binding?.subjects).toEqual([{ kind: 'ServiceAccount', name: pod.serviceAccountName, namespace: 'kube-eventline-node' }]);
  });
});
