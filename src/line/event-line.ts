import type { Level } from '../grade/levels.js';

/** The Event as the API server sends it (core/v1 JSON, possibly written through events.k8s.io/v1). */
export interface RawEvent {
  kind?: string;
  apiVersion?: string;
  metadata: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    creationTimestamp?: string | null;
    [k: string]: unknown;
  };
  involvedObject?: ObjectReference;
  reason?: string;
  message?: string;
  source?: { component?: string; host?: string };
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
  count?: number | null;
  type?: string;
  eventTime?: string | null;
  series?: { count?: number; lastObservedTime?: string | null } | null;
  action?: string;
  related?: Record<string, unknown> | null;
  reportingComponent?: string;
  reportingInstance?: string;
  /** Only on the Events src/pods/ makes from Pod status (the API server has no such field). */
  container?: ContainerFacts;
}

/** The `container` field of a pod failure line (docs/event-line.md); absent on Event lines. */
export interface ContainerFacts {
  name: string;
  type: 'init' | 'regular' | 'ephemeral';
  reason: string;
  exitCode?: number;
  signal?: number;
  restartCount: number;
  startedAt?: string;
  finishedAt?: string;
  image?: string;
  /** The last lines of the previous instance's log, byte-capped (podFailures.logLines). */
  logTail?: string;
}

export interface WorkloadRef {
  kind: string;
  name: string;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
}

/** The Event's involvedObject as the API server sends it. */
export interface ObjectReference {
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  apiVersion?: string;
  resourceVersion?: string;
  fieldPath?: string;
}

/** involvedObject as written: the Event's own fields plus optional enrichment. */
export interface LineInvolvedObject extends ObjectReference {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  workload?: WorkloadRef;
  deleted?: boolean;
}

/**
 * One written line: a superset of kubernetes-event-exporter's JSON, documented in docs/event-line.md.
 * Keys go on the wire in this order, except that the optional Event fields follow involvedObject.
 */
export interface EventLine {
  level: Level;
  time: string;
  delta: number;
  namespace: string;
  clusterName: string;
  metadata: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    creationTimestamp?: string | null;
  };
  reason: string;
  message: string;
  source: { component?: string; host?: string };
  firstTimestamp: string | null;
  lastTimestamp: string | null;
  count: number;
  type: string;
  eventTime: string | null;
  series?: { count?: number; lastObservedTime?: string | null };
  action?: string;
  related?: Record<string, unknown>;
  reportingComponent?: string;
  reportingInstance?: string;
  involvedObject: LineInvolvedObject;
  container?: ContainerFacts;
}

/** Namespace value used for cluster-scoped involved objects (Loki `namespace` label). */
export const CLUSTER_SCOPED_NAMESPACE = '_cluster';
