import type { IncomingMessage } from 'node:http';
import type { RawEvent } from '../line/event-line.js';
import { EventJsonDecoder } from './event-json-decoder.js';
import { KubeApiError, type KubeHttp } from './kube-http.js';
import { EVENT_KIND, type WatchedKind } from './watched-kind.js';

export type WatchType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface ListPage<T> {
  items: T[];
  resourceVersion: string;
}

export type EventListPage = ListPage<RawEvent>;

/** Where Events are read from: all namespaces, or one. */
export function eventsPath(namespace: string | undefined): string {
  return EVENT_KIND.path(namespace);
}

/**
 * List pages are read whole and parsed with JSON.parse up to this many characters (the fast
 * path: 500 ordinary Events are about 0.4 MB); a larger page is parsed as it arrives
 * (`EventJsonDecoder`), its messages cut while read, so memory does not grow with the page.
 */
export const FAST_PAGE_CHARS = 4 * 1024 * 1024;

/** After a page, `limit` is lowered so that the next page would be about this large. */
const TARGET_PAGE_CHARS = 4 * 1024 * 1024;

/**
 * Lists Events one page at a time, so a relist of a large cluster holds one page of Events in
 * memory at a time: the tracker stamps each Event a page holds with the list's epoch and, once
 * the list has ended, forgets those left unstamped (gone). Every page carries the first page's
 * resourceVersion, the one to watch from.
 *
 * Pages are bounded in bytes as well as in items: messages are cut to `readBytes` while read, and
 * after a large page `limit` is lowered so the next is about TARGET_PAGE_CHARS (Events of 1.5 MiB,
 * which the API server accepts, would otherwise make pages of 700 MB).
 */
export function listEventPages(
  api: KubeHttp,
  namespace: string | undefined,
  pageSize: number,
  readBytes: number,
  signal?: AbortSignal,
): AsyncGenerator<EventListPage> {
  return listPages(api, EVENT_KIND, namespace, pageSize, readBytes, signal);
}

/**
 * Lists objects of `kind` a page at a time, as listEventPages does for Events; each item is
 * turned into what `kind.keep` keeps as soon as it is parsed.
 */
export async function* listPages<T>(
  api: KubeHttp,
  kind: WatchedKind<T>,
  namespace: string | undefined,
  pageSize: number,
  readBytes: number,
  signal?: AbortSignal,
): AsyncGenerator<ListPage<T>> {
  let continueToken: string | undefined;
  let resourceVersion = '';
  let limit = pageSize;
  do {
    const path = kind.path(namespace);
    const res = await api.open(path, { limit, continue: continueToken }, signal ? { signal } : {});
    const { page, chars } = await readListPage(res, kind, readBytes, `GET ${path}`);
    continueToken = page.metadata?.continue || undefined;
    // Every page of one list belongs to the first page's snapshot.
    if (!resourceVersion) resourceVersion = page.metadata?.resourceVersion ?? '';
    const items = page.items ?? [];
    if (items.length) limit = Math.max(1, Math.min(pageSize, Math.floor((TARGET_PAGE_CHARS * items.length) / chars)));
    yield { items, resourceVersion };
  } while (continueToken);
}

type ParsedListPage<T> = { items?: T[]; metadata?: { resourceVersion?: string; continue?: string } };

/**
 * Reads one list page: JSON.parse up to FAST_PAGE_CHARS, the streaming decoder past that (which
 * keeps each item as soon as it is complete, so a page of large objects is never held whole).
 */
async function readListPage<T>(
  res: IncomingMessage,
  kind: WatchedKind<T>,
  readBytes: number,
  what: string,
): Promise<{ page: ParsedListPage<T>; chars: number }> {
  res.setEncoding('utf8');
  let chunks: string[] = [];
  let chars = 0;
  let decoder: EventJsonDecoder | undefined;
  const notJson = (err: unknown) => new Error(`${what}: the answer is not a JSON list: ${(err as Error).message}`);
  try {
    for await (const chunk of res) {
      const text = chunk as string;
      chars += text.length;
      if (!decoder && chars <= FAST_PAGE_CHARS) {
        chunks.push(text);
        continue;
      }
      try {
        if (!decoder) {
          decoder = new EventJsonDecoder(3, readBytes, (item) =>
            item && typeof item === 'object' ? kind.keep(item as Record<string, unknown>, readBytes) : item,
          );
          for (const earlier of chunks) decoder.write(earlier);
          chunks = [];
        }
        decoder.write(text);
      } catch (err) {
        throw notJson(err);
      }
    }
  } finally {
    res.destroy();
  }
  try {
    if (decoder) return { page: decoder.end() as ParsedListPage<T>, chars };
    const page = JSON.parse(chunks.join('')) as ParsedListPage<Record<string, unknown> | null>;
    const items = (page.items ?? []).map((item) => (item && typeof item === 'object' ? kind.keep(item, readBytes) : (item as unknown as T)));
    return { page: { ...(page.metadata ? { metadata: page.metadata } : {}), items }, chars };
  } catch (err) {
    throw notJson(err);
  }
}

export type WatchMessage<T = RawEvent> = { type: WatchType; object: T } | { type: 'BOOKMARK'; resourceVersion: string };

/** The server ended the watch with an ERROR object: 410 means the resourceVersion is too old. */
export class WatchExpiredError extends KubeApiError {
  constructor(message: string) {
    super(410, message);
    this.name = 'WatchExpiredError';
  }
}

/** The server sent a watch line longer than MAX_WATCH_LINE_CHARS: no Event is that large. */
export class WatchLineTooLongError extends Error {
  constructor(chars: number) {
    super(`a watch line passed ${chars} characters without ending: no Event is that large (the API server accepts about 1.5 MiB); the line was dropped`);
    this.name = 'WatchLineTooLongError';
  }
}

/**
 * A watch line longer than this is parsed as it arrives (`EventJsonDecoder`), its message cut
 * while read, instead of being gathered and parsed with JSON.parse.
 */
export const FAST_LINE_CHARS = 256 * 1024;

/**
 * No watch line is longer: the API server stores Events of at most about 1.5 MiB, and its JSON
 * escapes at most 6 characters per byte (`<` is written `\u003c`), so 16 Mi characters holds any
 * real Event with room to spare. A longer line is an error that restarts the watch.
 */
export const MAX_WATCH_LINE_CHARS = 16 * 1024 * 1024;

/**
 * Streams watch messages from `resourceVersion`, the messages of each network chunk as one
 * batch. Pulls the response one chunk at a time, so a slow consumer slows the TCP stream (and,
 * past its buffers, the API server ends the watch and we relist) instead of piling events up
 * in memory. Messages are cut to `readBytes` while read; a line is bounded (MAX_WATCH_LINE_CHARS).
 */
export function watchEvents(
  api: KubeHttp,
  namespace: string | undefined,
  resourceVersion: string,
  timeoutSeconds: number,
  readBytes: number,
  signal?: AbortSignal,
): AsyncGenerator<WatchMessage[]> {
  return watchObjects(api, EVENT_KIND, namespace, resourceVersion, timeoutSeconds, readBytes, signal);
}

/** Watches objects of `kind` as watchEvents does Events, each kept as `kind.keep` says. */
export async function* watchObjects<T>(
  api: KubeHttp,
  kind: WatchedKind<T>,
  namespace: string | undefined,
  resourceVersion: string,
  timeoutSeconds: number,
  readBytes: number,
  signal?: AbortSignal,
): AsyncGenerator<WatchMessage<T>[]> {
  let res: Awaited<ReturnType<KubeHttp['open']>>;
  try {
    res = await api.open(
      kind.path(namespace),
      { watch: 1, resourceVersion, allowWatchBookmarks: true, timeoutSeconds },
      // The server ends the watch after timeoutSeconds; silence well past that is a dead connection.
      { ...(signal ? { signal } : {}), idleTimeoutMs: (timeoutSeconds + 60) * 1000 },
    );
  } catch (err) {
    if (err instanceof KubeApiError && err.statusCode === 410) throw new WatchExpiredError(err.message);
    throw err;
  }
  res.setEncoding('utf8'); // decodes multi-byte characters split across chunks
  const lines = new WatchLines(readBytes, kind);
  try {
    for await (const chunk of res) {
      // The messages of a chunk go out together: one generator step per chunk instead of per
      // message (about a microsecond each, and a busy watch has dozens of messages per chunk).
      const batch: WatchMessage<T>[] = [];
      try {
        lines.take(chunk as string, batch);
      } catch (err) {
        if (batch.length) yield batch; // the messages before an ERROR (or a bad line) still count
        throw err;
      }
      if (batch.length) yield batch;
    }
  } finally {
    res.destroy();
  }
}

/**
 * Splits the watch stream into lines and parses them. Only the new chunk is searched for a
 * newline (gathering a long line costs what its length costs, not its square); a line that grows
 * past FAST_LINE_CHARS goes to the streaming decoder, one past MAX_WATCH_LINE_CHARS is an error.
 */
export class WatchLines<T = RawEvent> {
  /** The start of the line being read, while it is short. */
  private pending = '';
  /** The line being read once it is long. */
  private long: { decoder: EventJsonDecoder; chars: number } | undefined;

  constructor(
    private readonly readBytes: number,
    private readonly kind: WatchedKind<T> = EVENT_KIND as unknown as WatchedKind<T>,
  ) {}

  /** Parses the lines `chunk` completes into `batch`. */
  take(chunk: string, batch: WatchMessage<T>[]): void {
    let start = 0;
    let newline: number;
    while ((newline = chunk.indexOf('\n', start)) >= 0) {
      const part = chunk.slice(start, newline);
      start = newline + 1;
      let message: WatchMessage<T> | undefined;
      if (this.long) {
        const long = this.long;
        this.long = undefined;
        this.grow(long, part);
        message = watchMessage(parseLong(long.decoder, part), undefined, this.readBytes, this.kind);
      } else {
        const text = this.pending === '' ? part : this.pending + part;
        this.pending = '';
        if (text.trim() === '') continue;
        message = watchMessage(JSON.parse(text), text, this.readBytes, this.kind);
      }
      if (message) batch.push(message);
    }
    const rest = start === 0 ? chunk : chunk.slice(start);
    if (rest === '') return;
    if (this.long) this.grow(this.long, rest);
    else if (this.pending.length + rest.length <= FAST_LINE_CHARS) this.pending += rest;
    else {
      const long = { decoder: new EventJsonDecoder(2, this.readBytes), chars: 0 };
      const earlier = this.pending;
      this.pending = '';
      this.long = long;
      this.grow(long, earlier);
      this.grow(long, rest);
    }
  }

  private grow(long: { decoder: EventJsonDecoder; chars: number }, text: string): void {
    long.chars += text.length;
    if (long.chars > MAX_WATCH_LINE_CHARS) {
      this.long = undefined;
      throw new WatchLineTooLongError(MAX_WATCH_LINE_CHARS);
    }
    try {
      long.decoder.write(text);
    } catch (err) {
      this.long = undefined;
      throw new Error(`watch line is not JSON: ${(err as Error).message}`);
    }
  }
}

function parseLong(decoder: EventJsonDecoder, lastPart: string): unknown {
  try {
    return decoder.end();
  } catch (err) {
    throw new Error(`watch line is not JSON: ${(err as Error).message} (it ends with ${JSON.stringify(lastPart.slice(-100))})`);
  }
}

function watchMessage<T>(parsed: unknown, text: string | undefined, readBytes: number, kind: WatchedKind<T>): WatchMessage<T> | undefined {
  const message = (parsed ?? {}) as { type?: string; object?: Record<string, unknown> | null };
  const type = message.type;
  const object = message.object ?? {};
  switch (type) {
    case 'ADDED':
    case 'MODIFIED':
    case 'DELETED':
      return { type, object: kind.keep(object, readBytes) };
    case 'BOOKMARK': {
      const metadata = object.metadata as { resourceVersion?: string } | undefined;
      return { type: 'BOOKMARK', resourceVersion: metadata?.resourceVersion ?? '' };
    }
    case 'ERROR': {
      const status = object as { code?: number; message?: string };
      if (status.code === 410) throw new WatchExpiredError(status.message ?? 'resourceVersion too old');
      throw new KubeApiError(status.code ?? 500, `watch error: ${status.message ?? text ?? '(no message)'}`);
    }
    default:
      return undefined;
  }
}
