import type { Level } from '../grade/levels.js';
import { CLUSTER_SCOPED_NAMESPACE, type EventLine, type LineInvolvedObject, type RawEvent } from './event-line.js';
import { truncateMessage } from './message.js';
import { occurrenceCount, occurrenceTimeMs } from './occurrence.js';

export interface LineContext {
  clusterName: string;
  maxMessageBytes: number;
}

/** What enrichment adds to involvedObject; absent when lookups are off or failed. */
export type ObjectEnrichment = Pick<LineInvolvedObject, 'labels' | 'annotations' | 'ownerReferences' | 'workload' | 'deleted'>;

/**
 * Builds the written line from an Event: kubernetes-event-exporter's field names in the same
 * order, plus level, time, delta and namespace (docs/event-line.md).
 */
export function buildLine(
  event: RawEvent,
  level: Level,
  delta: number,
  context: LineContext,
  enrichment?: ObjectEnrichment,
  nowMs: number = Date.now(),
): EventLine {
  const timeMs = occurrenceTimeMs(event);
  const involved = event.involvedObject ?? {};
  const meta = event.metadata;
  const line: EventLine = {
    level,
    time: new Date(Number.isFinite(timeMs) ? timeMs : nowMs).toISOString(),
    delta,
    namespace: involved.namespace || CLUSTER_SCOPED_NAMESPACE,
    clusterName: context.clusterName,
    metadata: {
      name: meta.name,
      namespace: meta.namespace,
      uid: meta.uid,
      resourceVersion: meta.resourceVersion,
      creationTimestamp: meta.creationTimestamp,
    },
    reason: event.reason ?? '',
    message: truncateMessage(event.message ?? '', context.maxMessageBytes),
    source: event.source ?? {},
    firstTimestamp: event.firstTimestamp ?? null,
    lastTimestamp: event.lastTimestamp ?? null,
    count: occurrenceCount(event),
    type: event.type ?? '',
    eventTime: event.eventTime ?? null,
    involvedObject: enrichment ? { ...involved, ...enrichment } : { ...involved },
  };
  // Optional fields appear only when the Event has them, as in kubernetes-event-exporter's output.
  if (event.series) line.series = event.series;
  if (event.action) line.action = event.action;
  if (event.related) line.related = event.related;
  if (event.reportingComponent !== undefined) line.reportingComponent = event.reportingComponent;
  if (event.reportingInstance !== undefined) line.reportingInstance = event.reportingInstance;
  return line;
}
