import type { RawEvent } from '../line/event-line.js';
import { boundMessage } from '../line/message.js';

/**
 * What one list+watch reads (Events, Pods): where, and what is kept of each object. `keep` runs
 * as soon as an object is parsed, on every list item and watch object, so what the handlers get
 * (and what a list page holds while it is read) is only what the pipeline needs.
 */
export interface WatchedKind<T> {
  /** For messages: "Event", "Pod". */
  readonly name: string;
  /** The collection's path: all namespaces, or one. */
  path(namespace: string | undefined): string;
  /** What is kept of one parsed object; `readBytes` bounds long texts (an Event's message). */
  keep(object: Record<string, unknown>, readBytes: number): T;
  resourceVersion(item: T): string | undefined;
}

export const EVENT_KIND: WatchedKind<RawEvent> = {
  name: 'Event',
  path: (namespace) => (namespace ? `/api/v1/namespaces/${encodeURIComponent(namespace)}/events` : '/api/v1/events'),
  keep(object, readBytes) {
    boundMessage(object, readBytes);
    return object as unknown as RawEvent;
  },
  resourceVersion: (event) => event.metadata?.resourceVersion,
};
