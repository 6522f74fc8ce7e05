import type { RawEvent } from '../line/event-line.js';
import { KubeApiError, type KubeHttp } from './kube-http.js';

export type WatchType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface EventListPage {
  items: RawEvent[];
  resourceVersion: string;
}

/** Where Events are read from: all namespaces, or one. */
export function eventsPath(namespace: string | undefined): string {
  return namespace ? `/api/v1/namespaces/${encodeURIComponent(namespace)}/events` : '/api/v1/events';
}

/**
 * Lists Events one page at a time, so a relist of a large cluster holds one page of Events in
 * memory at a time: the tracker stamps each Event a page holds with the list's epoch and, once
 * the list has ended, forgets those left unstamped (gone). Every page carries the first page's
 * resourceVersion, the one to watch from.
 */
export async function* listEventPages(api: KubeHttp, namespace: string | undefined, pageSize: number, signal?: AbortSignal): AsyncGenerator<EventListPage> {
  let continueToken: string | undefined;
  let resourceVersion = '';
  do {
    const page = await api.getJson<{ items?: RawEvent[]; metadata?: { resourceVersion?: string; continue?: string } }>(
      eventsPath(namespace),
      { limit: pageSize, continue: continueToken },
      signal,
    );
    continueToken = page.metadata?.continue || undefined;
    // Every page of one list belongs to the first page's snapshot.
    if (!resourceVersion) resourceVersion = page.metadata?.resourceVersion ?? '';
    yield { items: page.items ?? [], resourceVersion };
  } while (continueToken);
}

export type WatchMessage =
  | { type: WatchType; object: RawEvent }
  | { type: 'BOOKMARK'; resourceVersion: string };

/** The server ended the watch with an ERROR object: 410 means the resourceVersion is too old. */
export class WatchExpiredError extends KubeApiError {
  constructor(message: string) {
    super(410, message);
    this.name = 'WatchExpiredError';
  }
}

/**
 * Streams watch messages from `resourceVersion`, the messages of each network chunk as one
 * batch. Pulls the response one chunk at a time, so a slow consumer slows the TCP stream (and,
 * past its buffers, the API server ends the watch and we relist) instead of piling events up
 * in memory.
 */
export async function* watchEvents(
  api: KubeHttp,
  namespace: string | undefined,
  resourceVersion: string,
  timeoutSeconds: number,
  signal?: AbortSignal,
): AsyncGenerator<WatchMessage[]> {
  let res;
  try {
    res = await api.open(
      eventsPath(namespace),
      { watch: 1, resourceVersion, allowWatchBookmarks: true, timeoutSeconds },
      // The server ends the watch after timeoutSeconds; silence well past that is a dead connection.
      { ...(signal ? { signal } : {}), idleTimeoutMs: (timeoutSeconds + 60) * 1000 },
    );
  } catch (err) {
    if (err instanceof KubeApiError && err.statusCode === 410) throw new WatchExpiredError(err.message);
    throw err;
  }
  res.setEncoding('utf8'); // decodes multi-byte characters split across chunks
  let pending = '';
  try {
    for await (const chunk of res) {
      pending += chunk as string;
      // The messages of a chunk go out together: one generator step per chunk instead of per
      // message (about a microsecond each, and a busy watch has dozens of messages per chunk).
      const batch: WatchMessage[] = [];
      let start = 0;
      let newline: number;
      try {
        while ((newline = pending.indexOf('\n', start)) >= 0) {
          const text = pending.slice(start, newline);
          start = newline + 1;
          if (text.trim() === '') continue;
          const message = parseWatchLine(text);
          if (message) batch.push(message);
        }
      } catch (err) {
        if (batch.length) yield batch; // the messages before an ERROR (or a bad line) still count
        throw err;
      }
      pending = pending.slice(start);
      if (batch.length) yield batch;
    }
  } finally {
    res.destroy();
  }
}

function parseWatchLine(text: string): WatchMessage | undefined {
  const parsed = JSON.parse(text) as { type?: string; object?: Record<string, unknown> };
  const object = parsed.object ?? {};
  switch (parsed.type) {
    case 'ADDED':
    case 'MODIFIED':
    case 'DELETED':
      return { type: parsed.type, object: object as unknown as RawEvent };
    case 'BOOKMARK': {
      const metadata = object.metadata as { resourceVersion?: string } | undefined;
      return { type: 'BOOKMARK', resourceVersion: metadata?.resourceVersion ?? '' };
    }
    case 'ERROR': {
      const status = object as { code?: number; message?: string };
      if (status.code === 410) throw new WatchExpiredError(status.message ?? 'resourceVersion too old');
      throw new KubeApiError(status.code ?? 500, `watch error: ${status.message ?? text}`);
    }
    default:
      return undefined;
  }
}
