import type { Level } from '../grade/levels.js';
import { CLUSTER_SCOPED_NAMESPACE, type EventLine, type LineInvolvedObject, type RawEvent } from './event-line.js';
import { messageBytesBeforeRead, truncateMessage } from './message.js';
import { occurrenceCount, occurrenceTimestamp } from './occurrence.js';

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
  const involved = event.involvedObject ?? {};
  const meta = event.metadata;
  const message = event.message ?? '';
  // A message cut while read is at least maxMessageBytes - 3 bytes long, so shorter ones need no look-up.
  const wholeBytes = message.length * 3 >= context.maxMessageBytes - 3 ? messageBytesBeforeRead(event) : undefined;
  const shortened = truncateMessage(message, context.maxMessageBytes, wholeBytes);
  const line: EventLine = {
    level,
    time: lineTime(occurrenceTimestamp(event), nowMs),
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
    message: shortened,
    source: event.source ?? {},
    firstTimestamp: event.firstTimestamp ?? null,
    lastTimestamp: event.lastTimestamp ?? null,
    count: occurrenceCount(event),
    type: event.type ?? '',
    eventTime: event.eventTime ?? null,
    // Shared with the Event, as `source` is: nothing changes a line once built (deDot makes a copy).
    involvedObject: enrichment ? { ...involved, ...enrichment } : involved,
  };
  // Optional fields appear only when the Event has them, as in kubernetes-event-exporter's output.
  if (event.series) line.series = event.series;
  if (event.action) line.action = event.action;
  if (event.related) line.related = event.related;
  if (event.reportingComponent !== undefined) line.reportingComponent = event.reportingComponent;
  if (event.reportingInstance !== undefined) line.reportingInstance = event.reportingInstance;
  if (event.container) line.container = event.container;
  if (shortened !== message) truncatedMessages.set(line, message);
  return line;
}

/** The whole message of lines whose written message was cut: rare, and gone with the line. */
const truncatedMessages = new WeakMap<EventLine, string>();

/**
 * The Event's message before `maxMessageBytes` cut it: what route rules match, as level rules
 * do, so a pattern for text past the cut still matches (as in kubernetes-event-exporter). A
 * message longer than 64 KiB was cut while read (`MESSAGE_READ_BYTES`): rules see its first 64 KiB.
 */
export function wholeMessage(line: EventLine): string {
  return truncatedMessages.get(line) ?? line.message;
}

/** `time`: the occurrence time as ISO 8601 UTC with milliseconds (`Date#toISOString`). */
function lineTime(raw: string | undefined, nowMs: number): string {
  // Fast path for what the API server writes: RFC 3339 seconds in UTC, a valid calendar date.
  // Those are exactly the strings toISOString would give back with ".000Z" for the seconds.
  if (raw !== undefined && isCanonicalSecondsUtc(raw)) return `${raw.slice(0, 19)}.000Z`;
  const timeMs = raw === undefined ? Number.NaN : Date.parse(raw);
  return new Date(Number.isFinite(timeMs) ? timeMs : nowMs).toISOString();
}

const DIGIT_POSITIONS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];

/** `YYYY-MM-DDTHH:MM:SSZ` with month 1–12, a day that exists in that month, 00:00:00–23:59:59. */
function isCanonicalSecondsUtc(s: string): boolean {
  if (s.length !== 20 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 84) return false;
  if (s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58 || s.charCodeAt(19) !== 90) return false;
  for (const i of DIGIT_POSITIONS) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  const two = (i: number) => (s.charCodeAt(i) - 48) * 10 + s.charCodeAt(i + 1) - 48;
  const year = two(0) * 100 + two(2);
  const month = two(5);
  const day = two(8);
  if (month < 1 || month > 12 || day < 1 || two(11) > 23 || two(14) > 59 || two(17) > 59) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return day <= days;
}
