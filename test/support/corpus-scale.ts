// A generated corpus at a real cluster's size, for the mixin's integration tests: 40 namespaces of
// 22 workloads (880 workloads), 1,760 pods, their ReplicaSets and Deployments and 60 nodes, more
// than 3,000 involved objects, plus the small corpus of corpus.ts in the same cluster (so that the
// explore.md recipes, which name its objects, have their data), and the container failure lines of
// issue #14 (corpus-pods.ts) for every crash-looping pod. Every object's Events fall in the
// last 100 minutes, so each of Loki's 1 h query splits holds far more than 500 objects and workloads:
// the worst case of a cluster of this size for Loki's max_query_series.
//
// Deterministic for a cluster name and an end time. Pushed once per test run: the first test file
// that asks pushes it and leaves a note in the harness's run folder; later files rebuild the same
// lines from the note and check that Loki holds them, without pushing again.

import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EventLine } from '../../src/line/event-line.js';
import { awaitCorpus, type EventSpec, linesOf, makeCorpus, nodeFlap, rng, toStreams } from './corpus.js';
import { type ContainerFailureSpec, podFailureLines } from './corpus-pods.js';

export const SCALE = { namespaces: 40, workloadsPerNamespace: 22, podsPerWorkload: 2, nodes: 60, minutes: 100 } as const;

export interface ScaleCorpus {
  cluster: string;
  end: number;
  lines: EventLine[];
  namespaces: string[];
  /** Namespace → the workloads generated in it. */
  workloads: Map<string, string[]>;
  /** The small corpus of corpus.ts, pushed within the same cluster. */
  small: ReturnType<typeof makeCorpus>;
}

const KINDS = ['Deployment', 'Deployment', 'Deployment', 'StatefulSet', 'Deployment', 'DaemonSet', 'Deployment', 'CronJob'] as const;

export function makeScaleCorpus(cluster: string, end: number): ScaleCorpus {
  const r = rng(4242);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(r() * 16).toString(16)).join('');
  const windowStart = end - SCALE.minutes * 60_000;
  // A time in the window, never on a whole second (query boundaries are whole seconds).
  const at = () => {
    const t = windowStart + 60_000 + Math.floor(r() * (SCALE.minutes - 3) * 60_000);
    return t - (t % 1000) + int(1, 999);
  };
  const obs = (t0: number, sizes: number[]) => {
    let t = t0;
    const next = () => {
      t += int(3_000, 40_000);
      if (t % 1000 === 0) t += 1;
      return t;
    };
    return sizes.map((n) => Array.from({ length: n }, next));
  };
  const nodes = Array.from({ length: SCALE.nodes }, (_, i) => `node-${String(i).padStart(3, '0')}`);
  const namespaces = Array.from({ length: SCALE.namespaces }, (_, i) => `team-${String(i).padStart(2, '0')}`);
  const specs: EventSpec[] = [];
  // Container failures (issue #14) of the crash-looping pods, from a generator of their own so that
  // the Events stay as they were: exit codes 1, 2, 139 and 143 by namespace, OOMKilled in every
  // fifth namespace.
  const containerSpecs: ContainerFailureSpec[] = [];
  const pr = rng(4343);
  const exitCodes: Array<[number, number | undefined]> = [
    [1, undefined],
    [2, undefined],
    [139, 11],
    [143, 15],
  ];
  const workloads = new Map<string, string[]>();
  for (const ns of namespaces) {
    const names: string[] = [];
    for (let w = 0; w < SCALE.workloadsPerNamespace; w++) {
      const kind = KINDS[w % KINDS.length]!;
      const name = `svc-${String(w).padStart(2, '0')}-${hex(4)}`;
      names.push(name);
      const workload = { kind, name };
      const rs = `${name}-${hex(8)}`;
      const image = `registry.example/${ns}/${name}:1.${w}`;
      if (kind === 'Deployment') {
        const t = at();
        specs.push({
          kind: 'Deployment',
          namespace: ns,
          name,
          reason: 'ScalingReplicaSet',
          type: 'Normal',
          component: 'deployment-controller',
          message: `Scaled up replica set ${rs} to ${SCALE.podsPerWorkload}`,
          observations: [[t]],
        });
        specs.push({
          kind: 'ReplicaSet',
          namespace: ns,
          name: rs,
          workload,
          reason: 'SuccessfulCreate',
          type: 'Normal',
          component: 'replicaset-controller',
          message: `Created pod: ${rs}-${hex(5)}`,
          observations: obs(t, [SCALE.podsPerWorkload]),
        });
      }
      for (let p = 0; p < SCALE.podsPerWorkload; p++) {
        const pod = kind === 'StatefulSet' ? `${name}-${p}` : `${rs}-${hex(5)}`;
        const node = nodes[int(0, nodes.length - 1)]!;
        const base = { kind: 'Pod', namespace: ns, name: pod, workload, host: node };
        const t = at();
        specs.push({
          ...base,
          reason: 'Scheduled',
          type: 'Normal',
          component: 'default-scheduler',
          message: `Successfully assigned ${ns}/${pod} to ${node}`,
          observations: [[t]],
        });
        if (w % 2 === 0) {
          specs.push({ ...base, reason: 'Pulling', type: 'Normal', component: 'kubelet', message: `Pulling image "${image}"`, observations: [[t + 1_000]] });
          specs.push({
            ...base,
            reason: 'Pulled',
            type: 'Normal',
            component: 'kubelet',
            message: `Successfully pulled image "${image}" in 2.1s (2.1s including waiting)`,
            observations: [[t + 3_000]],
          });
        }
        specs.push({ ...base, reason: 'Started', type: 'Normal', component: 'kubelet', message: `Started container ${name}`, observations: [[t + 4_000]] });
        // Every workload fails somewhere: a probe of its first pod.
        if (p === 0)
          specs.push({
            ...base,
            reason: 'Unhealthy',
            type: 'Warning',
            component: 'kubelet',
            message: 'Readiness probe failed: connection refused',
            observations: obs(t + 5_000, [int(1, 3), int(1, 4)]),
          });
        // One workload in eight crash-loops; one in twenty fails to pull.
        if (p === 1 && w % 8 === 3) {
          specs.push({
            ...base,
            reason: 'BackOff',
            type: 'Warning',
            component: 'kubelet',
            message: `Back-off restarting failed container ${name} in pod ${pod}_${ns}(${hex(8)})`,
            observations: obs(t + 6_000, [1, int(2, 9), int(2, 9)]),
          });
          const nsIndex = namespaces.indexOf(ns);
          const [exitCode, signal] = nsIndex % 5 === 0 ? [137, 9] : exitCodes[nsIndex % exitCodes.length]!;
          const reason = exitCode === 137 ? 'OOMKilled' : 'Error';
          let ft = t + 5_000;
          containerSpecs.push({
            namespace: ns,
            pod,
            node,
            workload,
            container: name,
            image,
            failures: [1, 1 + Math.floor(pr() * 3), 1 + Math.floor(pr() * 4)].map((delta, i) => {
              ft += 20_000 + Math.floor(pr() * 300_000);
              // The last one waits in CrashLoopBackOff, without exit code.
              return i === 2 ? { at: ft, delta, reason: 'CrashLoopBackOff' } : { at: ft, delta, reason, exitCode, ...(signal ? { signal } : {}) };
            }),
          });
        }
        if (p === 1 && w % 20 === 7) {
          specs.push({
            ...base,
            reason: 'Failed',
            type: 'Warning',
            component: 'kubelet',
            message: `Failed to pull image "${image}-typo": not found`,
            observations: obs(t + 2_000, [1, 2]),
          });
          specs.push({
            ...base,
            reason: 'BackOff',
            type: 'Warning',
            component: 'kubelet',
            message: `Back-off pulling image "${image}-typo"`,
            observations: obs(t + 2_500, [2, 3]),
          });
        }
      }
    }
    workloads.set(ns, names);
  }
  const npd: Array<[string, string]> = [
    ['OOMKilling', 'Memory cgroup out of memory: Killed process 4242 (java)'],
    ['ConntrackFull', 'Conntrack table usage is above 90%'],
    ['TaskHung', 'INFO: task jbd2/sda1-8:312 blocked for more than 120 seconds.'],
  ];
  for (const [i, node] of nodes.entries()) {
    const [reason, message] = npd[i % npd.length]!;
    specs.push({
      kind: 'Node',
      namespace: '',
      name: node,
      reason,
      type: 'Warning',
      component: 'kernel-monitor',
      host: node,
      message,
      observations: obs(at(), [1, int(1, 3)]),
    });
    if (i % 10 === 0) {
      const t = at();
      specs.push(...nodeFlap(node, t, t + 90_000));
    }
  }
  // Keep every occurrence inside the window (and off whole seconds).
  for (const sp of specs) sp.observations = sp.observations.map((o) => o.map((t) => (t < end - 30_000 ? t : end - 31_000 + (t % 1000))));
  for (const sp of containerSpecs) sp.failures = sp.failures.map((f) => ({ ...f, at: Math.min(f.at, end - 31_000 - Math.floor(pr() * 60_000)) }));
  const small = makeCorpus({ cluster, seed: 7, end: new Date(end), hours: 26 });
  const lines = [...specs.flatMap((sp) => linesOf(sp, cluster, r)), ...containerSpecs.flatMap((sp) => podFailureLines(sp, cluster, pr)), ...small.lines].sort(
    (a, b) => a.time.localeCompare(b.time),
  );
  return { cluster, end, lines, namespaces, workloads, small };
}

const NOTE = 'scale-corpus.json';

/**
 * The scale corpus in the harness's Loki, pushed by the first caller of a test run (in batches that
 * stay below Loki's 4 MiB gRPC messages) and rebuilt from the run folder's note by later callers.
 */
export async function scaleCorpus(h: {
  info: { runDir: string };
  loki: Parameters<typeof awaitCorpus>[0] & { push(streams: ReturnType<typeof toStreams>): Promise<void> };
}): Promise<ScaleCorpus & { pushedMs: number }> {
  const note = join(h.info.runDir, NOTE);
  if (existsSync(note)) {
    const { cluster, end } = JSON.parse(readFileSync(note, 'utf8')) as { cluster: string; end: number };
    const corpus = makeScaleCorpus(cluster, end);
    await awaitCorpus(h.loki, corpus.lines, cluster, end, 27);
    return { ...corpus, pushedMs: 0 };
  }
  const started = Date.now();
  // Whole minutes, so that query steps fall between the corpus' millisecond timestamps.
  const end = Math.floor(Date.now() / 60_000) * 60_000;
  const corpus = makeScaleCorpus(`scale-${randomBytes(4).toString('hex')}`, end);
  // Batches of about 1 MB; Loki's default ingestion rate is 4 MB/s (burst 6 MB): wait out a 429.
  const batch = 1000;
  for (let i = 0; i < corpus.lines.length; i += batch) {
    for (let attempt = 0; ; attempt++) {
      try {
        await h.loki.push(toStreams(corpus.lines.slice(i, i + batch)));
        break;
      } catch (err) {
        if (!/HTTP 429/.test((err as Error).message) || attempt >= 30) throw err;
        await new Promise((res) => setTimeout(res, 500));
      }
    }
  }
  await awaitCorpus(h.loki, corpus.lines, corpus.cluster, end, 27);
  writeFileSync(note, JSON.stringify({ cluster: corpus.cluster, end }));
  return { ...corpus, pushedMs: Date.now() - started };
}
