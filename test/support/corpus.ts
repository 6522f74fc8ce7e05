// A seeded corpus of exporter lines (docs/event-line.md schema) for the mixin's integration tests,
// the Loki streams Fluent Bit would make of them (labels and structured metadata from
// jsonnet/loki-streams.json), and an oracle that computes expected answers from the lines in TS.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_REASON_LEVELS } from '../../src/grade/default-levels.js';
import { LEVELS, type Level } from '../../src/grade/levels.js';
import { CLUSTER_SCOPED_NAMESPACE, type EventLine } from '../../src/line/event-line.js';
import { type ContainerFailure, type ContainerFailureSpec, logTailOf, type PodFailureLine, podFailureLines } from './corpus-pods.js';

export interface StreamsDefinition {
  job: string;
  labels: Record<string, string>;
  structuredMetadata: Record<string, string>;
  clusterScopedNamespace: string;
  timestampField: string;
}

export const STREAMS: StreamsDefinition = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'jsonnet', 'loki-streams.json'), 'utf8'));

/** mulberry32: small, seeded, good enough for test data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function levelOf(reason: string, type: string): Level {
  return DEFAULT_REASON_LEVELS[reason] ?? (type === 'Warning' ? 'warning' : 'normal');
}

export interface EventSpec {
  kind: string;
  namespace: string; // '' for cluster-scoped
  name: string;
  reason: string;
  type: 'Normal' | 'Warning';
  message: string;
  component: string;
  host?: string;
  workload?: { kind: string; name: string };
  fieldPath?: string;
  /** Occurrence times (ms) grouped into observed lines: each inner array becomes one line. */
  observations: number[][];
}

let uidCounter = 0;
const hex = (r: () => number, n: number) => Array.from({ length: n }, () => Math.floor(r() * 16).toString(16)).join('');

/** The lines the exporter writes for one Event: one per observation, `delta` new occurrences, cumulative `count`. */
export function linesOf(spec: EventSpec, cluster: string, r: () => number): EventLine[] {
  const uid = `${hex(r, 8)}-${(++uidCounter).toString(16).padStart(4, '0')}-4${hex(r, 3)}-a${hex(r, 3)}-${hex(r, 12)}`;
  const objUid = `${hex(r, 8)}-0000-4${hex(r, 3)}-b${hex(r, 3)}-${hex(r, 12)}`;
  const first = spec.observations[0]![0]!;
  const eventName = `${spec.name}.${first.toString(16)}`;
  const out: EventLine[] = [];
  let count = 0;
  let rv = 1000 + Math.floor(r() * 9000);
  for (const obs of spec.observations) {
    count += obs.length;
    rv += 1 + Math.floor(r() * 50);
    const last = new Date(obs[obs.length - 1]!).toISOString();
    const firstTs = new Date(first).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const line: EventLine = {
      level: levelOf(spec.reason, spec.type),
      time: last,
      delta: obs.length,
      namespace: spec.namespace === '' ? CLUSTER_SCOPED_NAMESPACE : spec.namespace,
      clusterName: cluster,
      metadata: {
        name: eventName,
        namespace: spec.namespace === '' ? 'default' : spec.namespace,
        uid,
        resourceVersion: String(rv),
        creationTimestamp: firstTs,
      },
      reason: spec.reason,
      message: spec.message,
      source: spec.host ? { component: spec.component, host: spec.host } : { component: spec.component },
      firstTimestamp: firstTs,
      lastTimestamp: last.replace(/\.\d{3}Z$/, 'Z'),
      count,
      type: spec.type,
      eventTime: null,
      reportingComponent: spec.component,
      reportingInstance: spec.host ?? '',
      involvedObject: {
        kind: spec.kind,
        ...(spec.namespace === '' ? {} : { namespace: spec.namespace }),
        name: spec.name,
        uid: objUid,
        apiVersion: spec.kind === 'Pod' || spec.kind === 'Node' ? 'v1' : spec.kind === 'CronJob' || spec.kind === 'Job' ? 'batch/v1' : 'apps/v1',
        resourceVersion: String(rv - 7),
        ...(spec.fieldPath ? { fieldPath: spec.fieldPath } : {}),
        ...(spec.workload ? { workload: spec.workload } : {}),
      },
    };
    out.push(line);
  }
  return out;
}

export interface Corpus {
  cluster: string;
  /** Every occurrence lies in (start, end). */
  start: Date;
  end: Date;
  lines: EventLine[];
  /** The Event with count 40 spread over a few lines. */
  forty: { reason: string; namespace: string; name: string; lines: EventLine[] };
  /** kube-eventline's own lines about failed containers (issue #14), also in `lines`. */
  podFailures: PodFailureLine[];
}

const WORKLOADS = [
  { namespace: 'shop', kind: 'Deployment', name: 'api', rs: 'api-7d9c5b', image: 'registry.example/shop/api:1.4.2' },
  { namespace: 'shop', kind: 'Deployment', name: 'web', rs: 'web-59f8c4', image: 'registry.example/shop/web:2.0.1' },
  { namespace: 'payments', kind: 'StatefulSet', name: 'ledger', rs: 'ledger', image: 'registry.example/payments/ledger:7.3' },
  { namespace: 'batch', kind: 'CronJob', name: 'report', rs: 'report-28911', image: 'registry.example/batch/report:0.9' },
  // Crash-loops (BackOff) without any pull failure: its name must not make it one.
  { namespace: 'batch', kind: 'Deployment', name: 'puller', rs: 'puller-6b7f9d', image: 'registry.example/batch/puller:3.1' },
];
/**
 * A Warning whose message and reason hold every character that breaks a LogQL string or regex
 * when pasted raw: quotes, a backtick, backslashes, regex metacharacters, braces, `%`, `+`, `$`.
 */
export const HOSTILE = {
  reason: 'Config"Error`\\}',
  message: 'Error in `app.yaml`: pattern \\d+.*(x) {y} isn\'t 100% + $1 "quoted"',
} as const;
const NODES = ['node-1', 'node-2', 'node-3', 'node-4'];
const POD_SUFFIXES = ['x2x4q', 'm8kzt', 'p9wld'];

/** A node that went NotReady at `notReadyMs` (the node controller says so) and Ready again at `readyMs` (its kubelet). */
export function nodeFlap(node: string, notReadyMs: number, readyMs: number): EventSpec[] {
  return [
    {
      kind: 'Node',
      namespace: '',
      name: node,
      reason: 'NodeNotReady',
      type: 'Normal',
      component: 'node-controller',
      message: `Node ${node} status is now: NodeNotReady`,
      observations: [[notReadyMs]],
    },
    {
      kind: 'Node',
      namespace: '',
      name: node,
      reason: 'NodeReady',
      type: 'Normal',
      component: 'kubelet',
      host: node,
      message: `Node ${node} status is now: NodeReady`,
      observations: [[readyMs]],
    },
  ];
}

/**
 * Builds a corpus over (end - hours, end). Deterministic for a seed, a cluster and an end time.
 * Times carry non-zero milliseconds so that no occurrence falls on a whole-second query boundary.
 */
export function makeCorpus(opts: { cluster: string; seed?: number; end: Date; hours: number }): Corpus {
  const r = rng(opts.seed ?? 42);
  const endMs = opts.end.getTime();
  const startMs = endMs - opts.hours * 3_600_000;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  // A time in (startMs + margin, endMs - margin), never on a whole second.
  const at = (lo = startMs + 120_000, hi = endMs - 120_000) => {
    const t = lo + Math.floor(r() * (hi - lo));
    return t - (t % 1000) + int(1, 999);
  };
  /** `lines` observations after t0, each of 1..maxDelta occurrences spaced by minutes. */
  const observations = (t0: number, lines: number, maxDelta: number, fixed?: number[]): number[][] => {
    const out: number[][] = [];
    let t = t0;
    for (let i = 0; i < lines; i++) {
      const n = fixed ? fixed[i]! : i === 0 ? 1 : int(1, maxDelta);
      const obs: number[] = [];
      for (let k = 0; k < n; k++) {
        obs.push(t);
        t += int(2_000, 20_000);
      }
      out.push(obs);
      t += int(60_000, 900_000);
    }
    // Keep inside the window.
    const lastT = out[out.length - 1]![out[out.length - 1]!.length - 1]!;
    if (lastT >= endMs - 60_000) {
      const shift = lastT - (endMs - 60_000) + int(1000, 60_000);
      return out.map((o) => o.map((x) => Math.max(x - shift, startMs + 1)));
    }
    return out;
  };

  const specs: EventSpec[] = [];
  const pods: Array<{ w: (typeof WORKLOADS)[number]; pod: string; node: string }> = [];
  for (const w of WORKLOADS) {
    for (let i = 0; i < 3; i++) {
      const pod = w.kind === 'StatefulSet' ? `${w.name}-${i}` : `${w.rs}-${POD_SUFFIXES[i]}`;
      pods.push({ w, pod, node: NODES[(i + w.name.length) % NODES.length]! });
    }
  }
  const wl = (w: (typeof WORKLOADS)[number]) => ({ kind: w.kind, name: w.name });

  // Routine lifecycle of every pod.
  for (const { w, pod, node } of pods) {
    const t0 = at(startMs + 120_000, endMs - 3_600_000);
    const base = { kind: 'Pod', namespace: w.namespace, name: pod, workload: wl(w) };
    specs.push({
      ...base,
      reason: 'Scheduled',
      type: 'Normal',
      component: 'default-scheduler',
      message: `Successfully assigned ${w.namespace}/${pod} to ${node}`,
      observations: [[t0]],
    });
    specs.push({
      ...base,
      reason: 'Pulling',
      type: 'Normal',
      component: 'kubelet',
      host: node,
      fieldPath: 'spec.containers{main}',
      message: `Pulling image "${w.image}"`,
      observations: [[t0 + 1_000]],
    });
    const cached = r() < 0.4;
    specs.push({
      ...base,
      reason: 'Pulled',
      type: 'Normal',
      component: 'kubelet',
      host: node,
      fieldPath: 'spec.containers{main}',
      message: cached ? `Container image "${w.image}" already present on machine` : `Successfully pulled image "${w.image}" in 1.52s (1.52s including waiting)`,
      observations: [[t0 + 3_000]],
    });
    specs.push({
      ...base,
      reason: 'Created',
      type: 'Normal',
      component: 'kubelet',
      host: node,
      fieldPath: 'spec.containers{main}',
      message: 'Created container main',
      observations: [[t0 + 3_500]],
    });
    specs.push({
      ...base,
      reason: 'Started',
      type: 'Normal',
      component: 'kubelet',
      host: node,
      fieldPath: 'spec.containers{main}',
      message: 'Started container main',
      observations: [[t0 + 4_000]],
    });
  }

  // Rollouts: ScalingReplicaSet on Deployments, SuccessfulCreate on their ReplicaSets.
  for (const w of WORKLOADS.filter((x) => x.kind === 'Deployment')) {
    for (let k = 0; k < int(2, 4); k++) {
      const t = at();
      specs.push({
        kind: 'Deployment',
        namespace: w.namespace,
        name: w.name,
        reason: 'ScalingReplicaSet',
        type: 'Normal',
        component: 'deployment-controller',
        message: `Scaled up replica set ${w.rs} to ${k + 2}`,
        observations: [[t]],
      });
      specs.push({
        kind: 'ReplicaSet',
        namespace: w.namespace,
        name: w.rs,
        workload: wl(w),
        reason: 'SuccessfulCreate',
        type: 'Normal',
        component: 'replicaset-controller',
        message: `Created pod: ${w.rs}-${hex(r, 5)}`,
        observations: observations(t + 500, int(1, 2), 3),
      });
    }
  }

  // Crash loops: BackOff with growing counts on some pods; one Event reaches count 40 in three lines.
  const crashPods = pods.filter((p) => p.w.name === 'api' || p.w.name === 'report' || p.w.name === 'puller');
  for (const { w, pod, node } of crashPods) {
    specs.push({
      kind: 'Pod',
      namespace: w.namespace,
      name: pod,
      workload: wl(w),
      reason: 'BackOff',
      type: 'Warning',
      component: 'kubelet',
      host: node,
      fieldPath: 'spec.containers{main}',
      message: `Back-off restarting failed container main in pod ${pod}_${w.namespace}(${hex(r, 8)})`,
      observations: observations(at(), int(2, 5), 9),
    });
  }
  const fortyPod = crashPods[0]!;
  const fortySpec: EventSpec = {
    kind: 'Pod',
    namespace: fortyPod.w.namespace,
    name: fortyPod.pod,
    workload: wl(fortyPod.w),
    reason: 'Unhealthy',
    type: 'Warning',
    component: 'kubelet',
    host: fortyPod.node,
    fieldPath: 'spec.containers{main}',
    message: 'Liveness probe failed: HTTP probe failed with statuscode: 503',
    observations: observations(at(startMs + 120_000, endMs - 10_800_000), 3, 0, [4, 11, 25]),
  };
  specs.push(fortySpec);

  // Probe warnings and mounts.
  for (let k = 0; k < 6; k++) {
    const { w, pod, node } = pick(pods);
    specs.push({
      kind: 'Pod',
      namespace: w.namespace,
      name: pod,
      workload: wl(w),
      reason: 'Unhealthy',
      type: 'Warning',
      component: 'kubelet',
      host: node,
      fieldPath: 'spec.containers{main}',
      message: 'Readiness probe failed: connection refused',
      observations: observations(at(), int(1, 3), 6),
    });
  }
  for (let k = 0; k < 2; k++) {
    const { w, pod, node } = pick(pods.filter((p) => p.w.namespace === 'payments'));
    specs.push({
      kind: 'Pod',
      namespace: w.namespace,
      name: pod,
      workload: wl(w),
      reason: 'FailedMount',
      type: 'Warning',
      component: 'kubelet',
      host: node,
      message: 'MountVolume.SetUp failed for volume "data" : secret "ledger-tls" not found',
      observations: observations(at(), int(1, 3), 4),
    });
  }
  // Image pull failures on web.
  for (const { w, pod, node } of pods.filter((p) => p.w.name === 'web').slice(0, 2)) {
    const bad = w.image.replace(/:.*/, ':2.0.2-typo');
    const t = at();
    specs.push({
      kind: 'Pod',
      namespace: w.namespace,
      name: pod,
      workload: wl(w),
      reason: 'Failed',
      type: 'Warning',
      component: 'kubelet',
      host: node,
      fieldPath: 'spec.containers{main}',
      message: `Failed to pull image "${bad}": rpc error: code = NotFound desc = failed to pull and unpack image: not found`,
      observations: observations(t, 2, 3),
    });
    specs.push({
      kind: 'Pod',
      namespace: w.namespace,
      name: pod,
      workload: wl(w),
      reason: 'Failed',
      type: 'Warning',
      component: 'kubelet',
      host: node,
      fieldPath: 'spec.containers{main}',
      message: 'Error: ErrImagePull',
      observations: observations(t + 100, 2, 3),
    });
    specs.push({
      kind: 'Pod',
      namespace: w.namespace,
      name: pod,
      workload: wl(w),
      reason: 'BackOff',
      type: 'Warning',
      component: 'kubelet',
      host: node,
      fieldPath: 'spec.containers{main}',
      message: `Back-off pulling image "${bad}"`,
      observations: observations(t + 200, 3, 8),
    });
    specs.push({
      kind: 'Pod',
      namespace: w.namespace,
      name: pod,
      workload: wl(w),
      reason: 'Failed',
      type: 'Warning',
      component: 'kubelet',
      host: node,
      fieldPath: 'spec.containers{main}',
      message: 'Error: ImagePullBackOff',
      observations: observations(t + 300, 2, 4),
    });
  }
  // An application's own Event with a hostile reason and message.
  {
    const { w, pod, node } = pods.find((p) => p.w.name === 'web')!;
    specs.push({
      kind: 'Pod',
      namespace: w.namespace,
      name: pod,
      workload: wl(w),
      reason: HOSTILE.reason,
      type: 'Warning',
      component: 'config-watcher',
      host: node,
      message: HOSTILE.message,
      observations: observations(at(), 2, 3),
    });
  }
  // A pending pod.
  specs.push({
    kind: 'Pod',
    namespace: 'batch',
    name: 'report-28911-zzkq2',
    workload: { kind: 'CronJob', name: 'report' },
    reason: 'FailedScheduling',
    type: 'Warning',
    component: 'default-scheduler',
    message: '0/4 nodes are available: 4 Insufficient memory. preemption: 0/4 nodes are available: 4 No preemption victims found for incoming pod.',
    observations: observations(at(), 4, 5),
  });

  // Node problems (Node Problem Detector) and readiness.
  const npd: Array<[string, 'Warning' | 'Normal', string, string]> = [
    ['OOMKilling', 'Warning', 'kernel-monitor', 'Memory cgroup out of memory: Killed process 4242 (java) total-vm:9GB, anon-rss:4GB'],
    ['ConntrackFull', 'Warning', 'custom-plugin-monitor', 'Conntrack table usage is above 90%'],
    ['KernelOops', 'Warning', 'kernel-monitor', 'kernel: BUG: unable to handle kernel NULL pointer dereference at 0000000000000008'],
    ['TaskHung', 'Warning', 'kernel-monitor', 'INFO: task jbd2/sda1-8:312 blocked for more than 120 seconds.'],
    ['FilesystemIsReadOnly', 'Warning', 'kernel-monitor', 'Node condition ReadonlyFilesystem is now: True, reason: FilesystemIsReadOnly'],
  ];
  for (const [reason, type, component, message] of npd) {
    for (let k = 0; k < int(1, 3); k++) {
      // The first OOM kill hits node-1, where pods of every namespace run.
      const node = reason === 'OOMKilling' && k === 0 ? 'node-1' : pick(NODES);
      specs.push({ kind: 'Node', namespace: '', name: node, reason, type, component, host: node, message, observations: observations(at(), int(1, 3), 5) });
    }
  }
  for (const node of ['node-2', 'node-4']) {
    const t = at(startMs + 120_000, endMs - 3_600_000);
    specs.push(...nodeFlap(node, t, t + int(60_000, 600_000)));
  }
  // NodeNotReady is also filed on each pod of the node: not a node event.
  for (const { w, pod } of pods.filter((p) => p.node === 'node-2').slice(0, 2)) {
    specs.push({
      kind: 'Pod',
      namespace: w.namespace,
      name: pod,
      workload: wl(w),
      reason: 'NodeNotReady',
      type: 'Warning',
      component: 'node-controller',
      message: 'Node is not ready',
      observations: [[at()]],
    });
  }

  // Container failures, from a generator of their own so that the Events above stay as they were.
  const { podFailures, events: podFailureEvents } = containerFailures(opts.cluster, pods, rng((opts.seed ?? 42) * 31 + 7), startMs, endMs);

  const lines = [...specs.flatMap((s) => linesOf(s, opts.cluster, r)), ...podFailures, ...podFailureEvents].sort((a, b) => a.time.localeCompare(b.time));
  const forty = lines.filter((l) => l.reason === fortySpec.reason && l.involvedObject.name === fortySpec.name && l.message === fortySpec.message);
  return {
    cluster: opts.cluster,
    start: new Date(startMs),
    end: opts.end,
    lines,
    forty: { reason: fortySpec.reason, namespace: fortySpec.namespace, name: fortySpec.name, lines: forty },
    podFailures,
  };
}

/**
 * The pod failure lines of the small corpus: an OOM burst in shop/api (10 OOMKilled restarts over its
 * three pods, several on the count-40 pod, whose lines also carry log tails), a single OOMKilled in
 * payments/ledger, exit codes 1, 2, 128, 130, 139 and 143, waiting failures (CrashLoopBackOff, image
 * pulls) without exit code, an init container, a bare pod without workload, and an application's
 * Event that says OOMKilled (not a pod failure line: another source.component).
 */
function containerFailures(
  cluster: string,
  pods: Array<{ w: (typeof WORKLOADS)[number]; pod: string; node: string }>,
  r: () => number,
  startMs: number,
  endMs: number,
): { podFailures: PodFailureLine[]; events: EventLine[] } {
  // Failures of one container, in order, spaced by 1 to 30 minutes from a random start.
  const timed = (failures: Array<Omit<ContainerFailure, 'at'>>): ContainerFailure[] => {
    let t = startMs + 7_200_000 + Math.floor(r() * (endMs - startMs - 12 * 3_600_000));
    return failures.map((f) => {
      t += 60_000 + Math.floor(r() * 1_740_000);
      return { ...f, at: Math.min(t, endMs - 120_000 - Math.floor(r() * 60_000)) };
    });
  };
  const oom = (delta: number, logTail?: string) => ({ delta, reason: 'OOMKilled', exitCode: 137, signal: 9, ...(logTail ? { logTail } : {}) });
  const exit = (delta: number, reason: string, exitCode: number, signal?: number) => ({
    delta,
    reason,
    exitCode,
    ...(signal ? { signal } : {}),
  });
  const waiting = (delta: number, reason: string) => ({ delta, reason });
  const of = (name: string) => pods.filter((p) => p.w.name === name);
  const spec = (p: (typeof pods)[number], container: string, failures: Array<Omit<ContainerFailure, 'at'>>, type?: 'init'): ContainerFailureSpec => ({
    namespace: p.w.namespace,
    pod: p.pod,
    node: p.node,
    workload: { kind: p.w.kind, name: p.w.name },
    container,
    ...(type ? { containerType: type } : {}),
    image: p.w.image,
    failures: timed(failures),
  });
  const [api0, api1, api2] = of('api') as [(typeof pods)[number], (typeof pods)[number], (typeof pods)[number]];
  // Tails as the exporter cuts them (a "…" line where the start was left out), one with what a
  // template, a JSON string or a terminal would take for its own: braces, quotes, a backslash, ANSI colours.
  const heapTail = logTailOf(['…', 'INFO  cache warmed: 412034 entries', 'WARN  heap at 96% of limit', 'java.lang.OutOfMemoryError: Java heap space']);
  const hostileTail = logTailOf(['panic: config "db" missing: {{ .Values.db }} in C:\\app\\values.yaml', '\u001b[31mERROR\u001b[0m exiting with 1']);
  const specs: ContainerFailureSpec[] = [
    spec(api0, 'main', [
      oom(1, heapTail),
      oom(2),
      { ...exit(1, 'Error', 1), logTail: hostileTail },
      waiting(1, 'CrashLoopBackOff'),
      { ...oom(3), logTail: logTailOf(['GET /orders 200 12ms', 'Killed']) },
    ]),
    spec(api0, 'migrate', [{ ...exit(1, 'Error', 2), logTail: logTailOf(['migrate: relation "orders" already exists']) }], 'init'),
    spec(api1, 'main', [oom(1), oom(2)]),
    spec(api2, 'main', [oom(1), waiting(2, 'CrashLoopBackOff')]),
    spec(of('ledger')[0]!, 'ledger', [oom(1)]),
    spec(of('report')[0]!, 'report', [exit(1, 'Error', 1), exit(2, 'Error', 1)]),
    spec(of('report')[1]!, 'report', [exit(1, 'ContainerCannotRun', 128)]),
    spec(of('puller')[0]!, 'puller', [exit(1, 'Error', 143, 15), exit(2, 'Error', 139, 11)]),
    spec(of('web')[2]!, 'main', [waiting(1, 'ErrImagePull'), waiting(3, 'ImagePullBackOff')]),
  ];
  const bare: ContainerFailureSpec = {
    namespace: 'batch',
    pod: 'debug-shell',
    node: 'node-3',
    container: 'shell',
    image: 'registry.example/tools/shell:1',
    failures: timed([oom(2), exit(1, 'Error', 130, 2)]),
  };
  const podFailures = [...specs, bare].flatMap((sp) => podFailureLines(sp, cluster, r));
  // An application's own Event about an OOM kill: a Kubernetes Event, not a pod failure line.
  const appEventAt = timed([oom(1)])[0]!.at;
  const events = linesOf(
    {
      kind: 'Pod',
      namespace: api1.w.namespace,
      name: api1.pod,
      workload: { kind: api1.w.kind, name: api1.w.name },
      reason: 'OOMKilled',
      type: 'Warning',
      component: 'oom-reporter',
      host: api1.node,
      message: 'Container main was OOMKilled',
      observations: [[appEventAt + 17], [appEventAt + 60_029, appEventAt + 90_999]],
    },
    cluster,
    r,
  );
  return { podFailures, events };
}

/** The value at a dotted path of a line, as a string ('' when absent). */
export function fieldAt(line: EventLine, path: string): string {
  let v: unknown = line;
  for (const part of path.split('.')) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  return v === undefined || v === null ? '' : String(v);
}

/** Stream labels of a line, as Fluent Bit sets them (loki-streams.json); empty values are left out. */
export function labelsOf(line: EventLine, def: StreamsDefinition = STREAMS): Record<string, string> {
  const out: Record<string, string> = { job: def.job };
  for (const [label, path] of Object.entries(def.labels)) {
    const v = fieldAt(line, path);
    if (v !== '') out[label] = v;
  }
  return out;
}

/** Structured metadata of a line (loki-streams.json); empty values are left out. */
export function metadataOf(line: EventLine, def: StreamsDefinition = STREAMS): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, path] of Object.entries(def.structuredMetadata)) {
    const v = fieldAt(line, path);
    if (v !== '') out[key] = v;
  }
  return out;
}

/** Loki push streams for the lines: one stream per label set, entries in time order, timestamp = `time`. */
export function toStreams(lines: EventLine[], def: StreamsDefinition = STREAMS) {
  const streams = new Map<string, { labels: Record<string, string>; entries: Array<{ time: Date; line: string; metadata: Record<string, string> }> }>();
  for (const line of lines) {
    const labels = labelsOf(line, def);
    const key = JSON.stringify(Object.entries(labels).sort());
    let s = streams.get(key);
    if (!s) streams.set(key, (s = { labels, entries: [] }));
    s.entries.push({ time: new Date(fieldAt(line, def.timestampField)), line: JSON.stringify(line), metadata: metadataOf(line, def) });
  }
  for (const s of streams.values()) s.entries.sort((a, b) => a.time.getTime() - b.time.getTime());
  return [...streams.values()];
}

type LokiForCorpus = {
  push(streams: ReturnType<typeof toStreams>): Promise<void>;
  queryInstant(q: string, t?: Date): Promise<{ result: Array<{ value?: [number, string] }> }>;
};

/**
 * Waits until Loki answers with every occurrence of `lines` for `cluster` (ingestion is
 * asynchronous), failing with what Loki shows after a minute.
 */
export async function awaitCorpus(loki: Pick<LokiForCorpus, 'queryInstant'>, lines: EventLine[], cluster: string, end: number, hours: number): Promise<void> {
  const total = lines.reduce((a, l) => a + l.delta, 0);
  const probe = `sum(sum_over_time({job="kube-eventline", cluster="${cluster}"} | json delta | unwrap delta [${hours + 1}h]))`;
  for (let i = 0; ; i++) {
    const r = await loki.queryInstant(probe, new Date(end));
    if (Number(r.result[0]?.value?.[1] ?? 0) === total) return;
    if (i > 300) throw new Error(`Loki does not show the corpus: ${JSON.stringify(r.result)} vs ${total}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

/** Pushes the lines to Loki and waits until it answers with all of them. */
export async function pushAndAwaitCorpus(loki: LokiForCorpus, lines: EventLine[], cluster: string, end: number, hours: number): Promise<void> {
  await loki.push(toStreams(lines));
  await awaitCorpus(loki, lines, cluster, end, hours);
}

// ---- oracle -----------------------------------------------------------------------------------

/** What a query sees of a line: its labels and metadata merged, plus the raw line. */
export interface Row {
  line: EventLine;
  raw: string;
  t: number;
  labels: Record<string, string>;
}

export function rows(lines: EventLine[]): Row[] {
  return lines.map((line) => ({
    line,
    raw: JSON.stringify(line),
    t: new Date(line.time).getTime(),
    labels: { ...labelsOf(line), ...metadataOf(line) },
  }));
}

/** Loki's regex label matchers are anchored at both ends. */
export const fullMatch = (re: string, value: string) => new RegExp(`^(?:${re})$`).test(value);

export function levelRank(level: string): number {
  return (LEVELS as readonly string[]).indexOf(level);
}

/** Sum of `value(row)` per group `key(row)` over rows with time in (from, to]; groups summing to 0 are dropped. */
export function aggregate(
  rs: Row[],
  opts: { from: number; to: number; key: (r: Row) => string; value?: (r: Row) => number; combine?: 'sum' | 'max' },
): Map<string, number> {
  const out = new Map<string, number>();
  const combine = opts.combine ?? 'sum';
  for (const r of rs) {
    if (!(r.t > opts.from && r.t <= opts.to)) continue;
    const k = opts.key(r);
    const v = opts.value ? opts.value(r) : r.line.delta;
    const prev = out.get(k);
    out.set(k, prev === undefined ? v : combine === 'sum' ? prev + v : Math.max(prev, v));
  }
  return out;
}

/** Group key of a Loki metric (or of an oracle row) over `by`: label values joined, '' when absent. */
export function groupKey(labels: Record<string, string>, by: string[]): string {
  return by.map((b) => labels[b] ?? '').join('\u0001');
}
