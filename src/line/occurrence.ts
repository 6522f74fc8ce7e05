import type { RawEvent } from './event-line.js';

/**
 * How many times this Event has happened so far. events.k8s.io/v1 writers keep the
 * number in `series.count`; core/v1 writers in `count`; a fresh Event of either kind is 1.
 */
export function occurrenceCount(event: RawEvent): number {
  const seriesCount = event.series?.count;
  if (typeof seriesCount === 'number' && seriesCount > 0) return Math.floor(seriesCount);
  const count = event.count;
  if (typeof count === 'number' && count > 0) return Math.floor(count);
  return 1;
}

/** The raw timestamp of the newest occurrence, in the order of precedence the API offers. */
export function occurrenceTimestamp(event: RawEvent): string | undefined {
  return (event.series?.lastObservedTime ?? event.lastTimestamp ?? event.eventTime ?? event.metadata.creationTimestamp ?? undefined) || undefined;
}

/** Milliseconds since the epoch of the newest occurrence; NaN when the Event carries no usable time. */
export function occurrenceTimeMs(event: RawEvent): number {
  const raw = occurrenceTimestamp(event);
  return raw === undefined ? Number.NaN : Date.parse(raw);
}
