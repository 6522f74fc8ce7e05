import type { ContainerFacts, RawEvent } from '../line/event-line.js';
import { type ContainerFailure, terminationSignal } from './pod-failures.js';
import type { ContainerSummary, PodSummary } from './pod-summary.js';

/** `source.component` and `reportingComponent` of pod failure lines: no Kubernetes component wrote them. */
export const POD_FAILURE_COMPONENT = 'kube-eventline';

const FIELD_PATH_OF: Record<ContainerSummary['type'], string> = {
  init: 'spec.initContainers',
  regular: 'spec.containers',
  ephemeral: 'spec.ephemeralContainers',
};

/**
 * The Event a container failure is written as (docs/event-line.md, "Pod failure lines"): the
 * same fields as an API server Event, so grading, enrichment, routes, Fluent Bit and the
 * dashboards treat it as one, plus `container`. `observedMs` is the time of a waiting failure.
 */
export function failureEvent(pod: PodSummary, failure: ContainerFailure, observedMs: number, logTail?: string): RawEvent {
  const { container, termination } = failure;
  const time = failure.time ?? new Date(observedMs).toISOString();
  const facts: ContainerFacts = { name: container.name, type: container.type, reason: failure.reason, restartCount: container.restartCount };
  if (termination) {
    facts.exitCode = termination.exitCode;
    const signal = terminationSignal(termination);
    if (signal !== undefined) facts.signal = signal;
    if (termination.startedAt) facts.startedAt = termination.startedAt;
    if (termination.finishedAt) facts.finishedAt = termination.finishedAt;
  }
  if (container.image) facts.image = container.image;
  if (logTail !== undefined) facts.logTail = logTail;
  const source: RawEvent['source'] = { component: POD_FAILURE_COMPONENT };
  if (pod.nodeName) source.host = pod.nodeName;
  return {
    kind: 'Event',
    apiVersion: 'v1',
    metadata: {
      name: pod.name,
      namespace: pod.namespace,
      uid: `${pod.uid}/${container.name}`,
      resourceVersion: pod.resourceVersion,
      creationTimestamp: pod.creationTimestamp ?? null,
    },
    involvedObject: {
      kind: 'Pod',
      apiVersion: 'v1',
      namespace: pod.namespace,
      name: pod.name,
      uid: pod.uid,
      resourceVersion: pod.resourceVersion,
      fieldPath: `${FIELD_PATH_OF[container.type]}{${container.name}}`,
    },
    reason: failure.reason,
    message: failureMessage(pod, failure),
    source,
    firstTimestamp: null,
    lastTimestamp: time,
    count: failure.count,
    type: 'Warning',
    eventTime: null,
    reportingComponent: POD_FAILURE_COMPONENT,
    container: facts,
  };
}

/** The human text: what happened, exit code and signal, restart count, when it ran. */
export function failureMessage(pod: PodSummary, failure: ContainerFailure): string {
  const { container, termination } = failure;
  const what = `${container.type === 'regular' ? 'Container' : `${container.type === 'init' ? 'Init' : 'Ephemeral'} container`} ${container.name} of pod ${pod.name}`;
  const parts: string[] = [];
  if (termination) {
    const signal = terminationSignal(termination);
    parts.push(`${what} terminated: ${failure.reason}, exit code ${termination.exitCode}${signal !== undefined ? ` (signal ${signal})` : ''}`);
    parts.push(`restart count ${container.restartCount}`);
    if (termination.startedAt) parts.push(`started ${termination.startedAt}`);
    if (termination.finishedAt) parts.push(`finished ${termination.finishedAt}`);
    if (termination.message) parts.push(`message: ${termination.message}`);
  } else {
    parts.push(`${what} is waiting: ${failure.reason}${container.waiting?.message ? `: ${container.waiting.message}` : ''}`);
    parts.push(`restart count ${container.restartCount}`);
    if (pod.startTime) parts.push(`pod started ${pod.startTime}`);
  }
  return parts.join('; ');
}
