// Pod failure lines (issue #14) for the mixin's integration tests, built as the issue's contract says
// (the event line of docs/event-line.md plus its `container` field): the event line, with
// source.component and reportingComponent "kube-eventline", involvedObject = the Pod with the
// container's fieldPath, `delta` = restarts the line stands for, `count` = the container's restart
// count, `time` = finishedAt of a terminated container (else when the waiting state was observed).
// Built here, not by the exporter: the tests check the dashboards and rules against lines of known
// shape and numbers, whoever writes them.
import type { Level } from '../../src/grade/levels.js';
import type { ContainerFacts, EventLine } from '../../src/line/event-line.js';
import { WAITING_FAILURE_REASONS } from '../../src/pods/pod-failures.js';

export const POD_FAILURE_COMPONENT = 'kube-eventline';

export type PodFailureLine = EventLine & { container: ContainerFacts };

/** The built-in levels of container failures: OOMKilled and Evicted are errors, the others warnings. */
export function podFailureLevel(reason: string): Level {
  return reason === 'OOMKilled' || reason === 'Evicted' ? 'error' : 'warning';
}

export interface ContainerFailure {
  /** When: finishedAt of a termination, the observation of a waiting state (ms). */
  at: number;
  /** Restarts this line stands for (≥ 1). */
  delta: number;
  reason: string;
  exitCode?: number;
  signal?: number;
  logTail?: string;
}

export interface ContainerFailureSpec {
  namespace: string;
  pod: string;
  node: string;
  workload?: { kind: string; name: string };
  container: string;
  containerType?: ContainerFacts['type'];
  image: string;
  /** The container's failures, oldest first: one line each. */
  failures: ContainerFailure[];
}

/** Kubernetes status times have whole seconds; kept off whole minutes, where query steps fall. */
export function statusTime(ms: number): number {
  const s = ms - (ms % 1000);
  return s % 60_000 === 0 ? s + 1000 : s;
}
const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

let podCounter = 0;
const hex = (r: () => number, n: number) => Array.from({ length: n }, () => Math.floor(r() * 16).toString(16)).join('');

/** The lines the exporter writes for one container's failures. */
export function podFailureLines(spec: ContainerFailureSpec, cluster: string, r: () => number): PodFailureLine[] {
  const podUid = `${hex(r, 8)}-${(++podCounter).toString(16).padStart(4, '0')}-4${hex(r, 3)}-c${hex(r, 3)}-${hex(r, 12)}`;
  const created = statusTime(spec.failures[0]!.at - 600_000);
  const type = spec.containerType ?? 'regular';
  const fieldPath = `spec.${type === 'init' ? 'initContainers' : type === 'ephemeral' ? 'ephemeralContainers' : 'containers'}{${spec.container}}`;
  let restartCount = 0;
  let rv = 2000 + Math.floor(r() * 9000);
  return spec.failures.map((f) => {
    restartCount += f.delta;
    rv += 1 + Math.floor(r() * 40);
    const at = statusTime(f.at);
    const waiting = WAITING_FAILURE_REASONS.has(f.reason);
    const startedAt = waiting ? undefined : rfc3339(at - 5_000 - Math.floor(r() * 120) * 1000);
    const finishedAt = waiting ? undefined : rfc3339(at);
    const container: ContainerFacts = {
      name: spec.container,
      type,
      reason: f.reason,
      ...(f.exitCode !== undefined ? { exitCode: f.exitCode } : {}),
      ...(f.signal !== undefined ? { signal: f.signal } : {}),
      restartCount,
      ...(startedAt ? { startedAt } : {}),
      ...(finishedAt ? { finishedAt } : {}),
      image: spec.image,
      ...(f.logTail !== undefined ? { logTail: f.logTail } : {}),
    };
    const of = `Container ${spec.container} of pod ${spec.pod}`;
    const message = waiting
      ? `${of} is waiting: ${f.reason}: ${kubeletWaitingMessage(f.reason, spec)}; restart count ${restartCount}; pod started ${rfc3339(created)}`
      : `${of} terminated: ${f.reason}, exit code ${f.exitCode ?? 0}${f.signal ? ` (signal ${f.signal})` : ''}; ` +
        `restart count ${restartCount}; started ${startedAt}; finished ${finishedAt}`;
    const line: PodFailureLine = {
      level: podFailureLevel(f.reason),
      time: new Date(at).toISOString(),
      delta: f.delta,
      namespace: spec.namespace,
      clusterName: cluster,
      metadata: {
        name: spec.pod,
        namespace: spec.namespace,
        uid: `${podUid}/${spec.container}`,
        resourceVersion: String(rv),
        creationTimestamp: rfc3339(created),
      },
      reason: f.reason,
      message,
      source: { component: POD_FAILURE_COMPONENT, host: spec.node },
      firstTimestamp: null,
      lastTimestamp: rfc3339(at),
      count: restartCount,
      type: 'Warning',
      eventTime: null,
      reportingComponent: POD_FAILURE_COMPONENT,
      involvedObject: {
        kind: 'Pod',
        namespace: spec.namespace,
        name: spec.pod,
        uid: podUid,
        apiVersion: 'v1',
        resourceVersion: String(rv),
        fieldPath,
        ...(spec.workload ? { workload: spec.workload } : {}),
      },
      container,
    };
    return line;
  });
}

/** What the kubelet says of a waiting container, as the status carries it. */
function kubeletWaitingMessage(reason: string, spec: ContainerFailureSpec): string {
  if (reason === 'CrashLoopBackOff') return `back-off 5m0s restarting failed container=${spec.container} pod=${spec.pod}_${spec.namespace}`;
  if (reason === 'ImagePullBackOff') return `Back-off pulling image "${spec.image}"`;
  if (reason === 'ErrImagePull') return `failed to pull and unpack image "${spec.image}": not found`;
  return `${reason} for container ${spec.container}`;
}

/** Whether a line is a pod failure line (told by its source, as the dashboards tell it). */
export function isPodFailureLine(line: EventLine): line is PodFailureLine {
  return line.source.component === POD_FAILURE_COMPONENT;
}

/** A log tail as the exporter puts it in the line: the last lines of the previous instance, joined by "\n" (no final newline). */
export function logTailOf(lines: string[]): string {
  return lines.join('\n');
}
