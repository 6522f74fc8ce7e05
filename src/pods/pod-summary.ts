import type { WatchedKind } from '../watch/watched-kind.js';

export type ContainerType = 'init' | 'regular' | 'ephemeral';

/** A terminated container instance, as Pod status tells it. */
export interface Termination {
  reason: string;
  exitCode: number;
  signal?: number;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
}

/** What is kept of one container's status: what failure detection and the line need. */
export interface ContainerSummary {
  name: string;
  type: ContainerType;
  image?: string;
  restartCount: number;
  waiting?: { reason: string; message?: string };
  terminated?: Termination;
  lastTerminated?: Termination;
}

/**
 * What is kept of a Pod: a few strings and one small record per container status, never the
 * Pod object (specs, managedFields, annotations), which can be tens of kilobytes.
 */
export interface PodSummary {
  uid: string;
  name: string;
  namespace: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  /** status.startTime: when the kubelet took the pod. */
  startTime?: string;
  nodeName?: string;
  /** metadata.deletionTimestamp is set: the pod is shutting down. */
  deleting: boolean;
  /** The controlling owner is a Job: its containers exiting 0 is what it is for. */
  ownedByJob: boolean;
  /** status.reason is `Evicted`: the kubelet stopped the pod's containers to reclaim node resources. */
  evicted: boolean;
  containers: ContainerSummary[];
}

/** Waiting and termination messages are kept this long (UTF-16 units); the line cuts them further. */
const KEPT_MESSAGE_CHARS = 1024;

export const POD_KIND: WatchedKind<PodSummary> = {
  name: 'Pod',
  path: (namespace) => (namespace ? `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods` : '/api/v1/pods'),
  keep: (object) => summarizePod(object),
  resourceVersion: (pod) => pod.resourceVersion,
};

type Json = Record<string, unknown>;

const asObject = (value: unknown): Json | undefined => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined);
const asString = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const asInteger = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? Math.trunc(value) : undefined);
const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** Extracts the summary from a Pod as the API server sends it; tolerant of missing fields. */
export function summarizePod(pod: Json): PodSummary {
  const metadata = asObject(pod.metadata) ?? {};
  const spec = asObject(pod.spec) ?? {};
  const status = asObject(pod.status) ?? {};
  const owners = asArray(metadata.ownerReferences).map(asObject);
  const controller = owners.find((o) => o?.controller === true) ?? owners[0];
  const summary: PodSummary = {
    uid: asString(metadata.uid) ?? '',
    name: asString(metadata.name) ?? '',
    namespace: asString(metadata.namespace) ?? '',
    deleting: typeof metadata.deletionTimestamp === 'string' && metadata.deletionTimestamp !== '',
    ownedByJob: asString(controller?.kind) === 'Job',
    evicted: asString(status.reason) === 'Evicted',
    containers: [
      ...containers(status.initContainerStatuses, 'init'),
      ...containers(status.containerStatuses, 'regular'),
      ...containers(status.ephemeralContainerStatuses, 'ephemeral'),
    ],
  };
  const resourceVersion = asString(metadata.resourceVersion);
  if (resourceVersion !== undefined) summary.resourceVersion = resourceVersion;
  const created = asString(metadata.creationTimestamp);
  if (created !== undefined) summary.creationTimestamp = created;
  const startTime = asString(status.startTime);
  if (startTime !== undefined) summary.startTime = startTime;
  const nodeName = asString(spec.nodeName);
  if (nodeName !== undefined) summary.nodeName = nodeName;
  return summary;
}

function containers(statuses: unknown, type: ContainerType): ContainerSummary[] {
  const out: ContainerSummary[] = [];
  for (const item of asArray(statuses)) {
    const status = asObject(item);
    const name = asString(status?.name);
    if (!status || !name) continue;
    const container: ContainerSummary = { name, type, restartCount: Math.max(0, asInteger(status.restartCount) ?? 0) };
    const image = asString(status.image);
    if (image) container.image = image;
    const state = asObject(status.state);
    const waiting = asObject(state?.waiting);
    if (waiting) {
      container.waiting = { reason: asString(waiting.reason) ?? '' };
      const message = asString(waiting.message);
      if (message) container.waiting.message = message.slice(0, KEPT_MESSAGE_CHARS);
    }
    const terminated = termination(state?.terminated);
    if (terminated) container.terminated = terminated;
    const lastTerminated = termination(asObject(status.lastState)?.terminated);
    if (lastTerminated) container.lastTerminated = lastTerminated;
    out.push(container);
  }
  return out;
}

function termination(value: unknown): Termination | undefined {
  const terminated = asObject(value);
  if (!terminated) return undefined;
  const out: Termination = { reason: asString(terminated.reason) ?? '', exitCode: asInteger(terminated.exitCode) ?? 0 };
  const signal = asInteger(terminated.signal);
  if (signal) out.signal = signal;
  const message = asString(terminated.message);
  if (message) out.message = message.slice(0, KEPT_MESSAGE_CHARS);
  const startedAt = asString(terminated.startedAt);
  if (startedAt) out.startedAt = startedAt;
  const finishedAt = asString(terminated.finishedAt);
  if (finishedAt) out.finishedAt = finishedAt;
  return out;
}
