import type { RawEvent } from '../line/event-line.js';
import { listPages, WatchExpiredError, WatchLineTooLongError, type WatchType, watchObjects } from './event-stream.js';
import { KubeApiError, type KubeHttp } from './kube-http.js';
import { EVENT_KIND, type WatchedKind } from './watched-kind.js';

export type WatchRestartReason = 'expired' | 'closed' | 'error' | 'line_too_long';

export interface WatchLoopHandlers<T = RawEvent> {
  /** A list starts: the first one (`relist` false) or one after the watch history was lost. */
  onListStart(relist: boolean): void;
  onListPage(items: T[]): Promise<void>;
  /** The list is complete: every object that exists was in one of its pages. */
  onListEnd(): void;
  onEvent(type: WatchType, object: T): void | Promise<void>;
  /**
   * Why the watch restarts: 'expired' (410 Gone → relist), 'closed' (server ended it), 'error',
   * 'line_too_long' (a watch line past MAX_WATCH_LINE_CHARS: dropped, then a relist).
   */
  onRestart(reason: WatchRestartReason, error?: unknown): void;
}

export interface WatchLoopOptions<T = RawEvent> {
  api: KubeHttp;
  /** What is listed and watched; Events when absent. */
  kind?: WatchedKind<T>;
  namespace: string | undefined;
  pageSize: number;
  /** Messages are kept this long (UTF-8 bytes) while read: `messageReadBytes(maxMessageBytes)`. */
  messageReadBytes: number;
  watchTimeoutSeconds: number;
  /** Backoff after an error, doubled up to the maximum; reset by a successful watch. */
  minBackoffMs: number;
  maxBackoffMs: number;
}

/**
 * List, then watch from the list's resourceVersion, forever: a closed or failed watch resumes
 * from the last resourceVersion seen (nothing missed, nothing repeated); a 410 Gone relists,
 * and the handlers' occurrence tracking turns the relist into exactly the missed occurrences.
 */
export async function runWatchLoop<T = RawEvent>(options: WatchLoopOptions<T>, handlers: WatchLoopHandlers<T>, signal: AbortSignal): Promise<void> {
  const { api, namespace } = options;
  const kind = options.kind ?? (EVENT_KIND as unknown as WatchedKind<T>);
  let resourceVersion: string | undefined;
  let listedBefore = false;
  let backoffMs = options.minBackoffMs;
  // 410s since the watch last delivered anything: the first relists at once, a repeated one (a
  // lagging watch cache after an API server restart) waits first, or full relists would spin.
  let expiredInARow = 0;
  while (!signal.aborted) {
    try {
      if (resourceVersion === undefined) {
        handlers.onListStart(listedBefore);
        let listedAt = '';
        for await (const page of listPages(api, kind, namespace, options.pageSize, options.messageReadBytes, signal)) {
          await handlers.onListPage(page.items);
          listedAt = page.resourceVersion;
        }
        handlers.onListEnd();
        listedBefore = true;
        resourceVersion = listedAt;
      }
      // A little jitter so many exporters do not reconnect in step.
      const timeout = options.watchTimeoutSeconds + Math.floor(Math.random() * 30);
      const watchStartedMs = Date.now();
      let messages = 0;
      for await (const batch of watchObjects(api, kind, namespace, resourceVersion, timeout, options.messageReadBytes, signal)) {
        for (const message of batch) {
          messages++;
          if (message.type === 'BOOKMARK') {
            if (message.resourceVersion) resourceVersion = message.resourceVersion;
            continue;
          }
          expiredInARow = 0; // an Event came: the watch works (a BOOKMARK alone does not say so)
          const written = handlers.onEvent(message.type, message.object);
          if (written) await written; // most notifications are written without waiting
          const rv = kind.resourceVersion(message.object);
          if (rv) resourceVersion = rv;
          backoffMs = options.minBackoffMs;
        }
      }
      if (!signal.aborted) {
        handlers.onRestart('closed');
        // A watch closed at once and empty (a proxy or load balancer cutting it) must not become a hot loop.
        if (messages === 0 && Date.now() - watchStartedMs < 1000) {
          await sleep(backoffMs, signal);
          backoffMs = Math.min(backoffMs * 2, options.maxBackoffMs);
        }
      }
    } catch (err) {
      if (signal.aborted) break;
      if (err instanceof WatchExpiredError || (err instanceof KubeApiError && err.statusCode === 410)) {
        handlers.onRestart('expired', err);
        resourceVersion = undefined;
        if (expiredInARow++ > 0) {
          await sleep(backoffMs, signal);
          backoffMs = Math.min(backoffMs * 2, options.maxBackoffMs);
        }
        continue;
      }
      if (err instanceof WatchLineTooLongError) {
        // Resuming would read the same line again: a relist starts past it (and writes what it held).
        handlers.onRestart('line_too_long', err);
        resourceVersion = undefined;
        await sleep(backoffMs, signal);
        backoffMs = Math.min(backoffMs * 2, options.maxBackoffMs);
        continue;
      }
      handlers.onRestart('error', err);
      await sleep(backoffMs, signal);
      backoffMs = Math.min(backoffMs * 2, options.maxBackoffMs);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
