import type http from 'node:http';
import type { Logger } from 'pino';
import { TokenBucket } from '../token-bucket.js';
import { KubeApiError, type KubeHttp } from '../watch/kube-http.js';
import { tailText } from './tail-text.js';

/** Which container's log. `previous` (default true): the instance before the current one. */
export interface LogTailRequest {
  namespace: string;
  pod: string;
  container: string;
  /**
   * true (the default) for `lastState.terminated` (the container was restarted: its log is the
   * previous instance's); false for a container whose current `state` is terminated and that was
   * never restarted (restartPolicy Never/OnFailure's last try), which has no previous instance.
   */
  previous?: boolean;
}

/** The tail, or undefined when the request failed or was throttled (counted and logged once). */
export type LogTailFetcher = (req: LogTailRequest) => Promise<string | undefined>;

/**
 * How a log request ended: ok, throttled (the token bucket was empty: no request made),
 * not_found (404: the pod or node is gone), bad_request (400: e.g. the previous instance's log is
 * already gone: "previous terminated container … not found"), forbidden (401/403: the pods/log
 * grant is missing), server_error (5xx: the kubelet or the API server failed), timeout, error
 * (connection and other failures).
 */
export type LogTailResult = 'ok' | 'throttled' | 'not_found' | 'bad_request' | 'forbidden' | 'server_error' | 'timeout' | 'error';

export interface LogTailMetrics {
  podLogRequest(result: LogTailResult): void;
}

export interface LogTailOptions {
  /** tailLines: the last N lines. */
  lines: number;
  /** The cap on the returned string, in UTF-8 bytes. */
  bytes: number;
  /** Requests a second (token bucket); the burst is the same number, at least 1. */
  perSecond: number;
  metrics: LogTailMetrics;
  /** Diagnostics (stderr): one warning per cause, never the log text. */
  log: Pick<Logger, 'warn'>;
  /** The whole request, answer included (default 10 s). */
  timeoutMs?: number;
  /** The bucket's clock (tests move it by hand). */
  now?: () => number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
/** What the server may send: the last N lines are cut here, at their END, by the kubelet. */
const LIMIT_BYTES_FACTOR = 16;
const MIN_LIMIT_BYTES = 64 * 1024;
const MAX_LIMIT_BYTES = 1024 * 1024;
/** Longest API server message quoted in a warning (it comes from the kubelet; never the log itself). */
const MAX_REASON_CHARS = 200;

const HINTS: Partial<Record<LogTailResult, string>> = {
  forbidden: 'grant get on pods/log (the optional kustomize component deploy/components/pod-logs)',
  bad_request: 'the previous instance of a container is often gone already (the kubelet removed it); lines are written without logTail',
  throttled: 'more failures than podFailures.logRequestsPerSecond allows; lines are written without logTail',
  timeout: 'the kubelet did not answer in time',
};

/**
 * The kubelet clamps limitBytes to the START of the last N lines (it stops writing there), so it
 * is set well above the cap: it bounds the transfer, and the tail is cut to `bytes` here.
 */
export function requestLimitBytes(bytes: number): number {
  return Math.max(bytes, Math.min(MAX_LIMIT_BYTES, Math.max(MIN_LIMIT_BYTES, bytes * LIMIT_BYTES_FACTOR)));
}

/**
 * The last lines of a container's previous instance, through the API server's pods/log (which
 * proxies to the kubelet): rate-limited, bounded in time and bytes, never throwing. A failed
 * request costs a line its `logTail`, never the line.
 */
export function createLogTailFetcher(api: KubeHttp, options: LogTailOptions): LogTailFetcher {
  const bucket = new TokenBucket(options.perSecond, Math.max(1, Math.ceil(options.perSecond)), options.now ?? Date.now);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const limitBytes = requestLimitBytes(options.bytes);
  const warned = new Set<LogTailResult>();

  const fail = (result: LogTailResult, req: LogTailRequest, reason: string): undefined => {
    options.metrics.podLogRequest(result);
    if (!warned.has(result)) {
      warned.add(result);
      options.log.warn(
        { result, namespace: req.namespace, pod: req.pod, container: req.container, reason: shorten(reason), hint: HINTS[result] },
        `pod log tail failed (${result}); further ${result} failures are only counted in pod_log_requests_total`,
      );
    }
    return undefined;
  };

  return async (req) => {
    if (!bucket.tryTake()) return fail('throttled', req, 'no token left');
    const path = `/api/v1/namespaces/${encodeURIComponent(req.namespace)}/pods/${encodeURIComponent(req.pod)}/log`;
    const query = { container: req.container, previous: req.previous ?? true, tailLines: options.lines, limitBytes };
    const abort = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort.abort();
    }, timeoutMs);
    try {
      // The socket's own idle limit a little later, so a silent kubelet is always counted as timeout.
      const res = await api.open(path, query, { signal: abort.signal, idleTimeoutMs: timeoutMs + 1_000 });
      const raw = await readAtMost(res, limitBytes);
      options.metrics.podLogRequest('ok');
      return tailText(raw, options.bytes, raw.length >= limitBytes).text;
    } catch (err) {
      if (timedOut) return fail('timeout', req, `no complete answer within ${timeoutMs} ms`);
      if (err instanceof KubeApiError) return fail(resultOf(err.statusCode), req, err.message);
      return fail('error', req, err instanceof Error ? err.message : String(err));
    } finally {
      clearTimeout(timer);
    }
  };
}

function resultOf(status: number): LogTailResult {
  if (status === 404) return 'not_found';
  if (status === 400) return 'bad_request';
  if (status === 401 || status === 403) return 'forbidden';
  if (status >= 500) return 'server_error';
  return 'error';
}

/** Reads the answer, stopping at `limit` bytes even if the server sends more. */
async function readAtMost(res: http.IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of res) {
    const buf = chunk as Buffer;
    chunks.push(buf);
    length += buf.length;
    if (length >= limit) {
      res.destroy();
      break;
    }
  }
  const all = Buffer.concat(chunks);
  return all.length > limit ? all.subarray(0, limit) : all;
}

function shorten(text: string): string {
  return text.length > MAX_REASON_CHARS ? `${text.slice(0, MAX_REASON_CHARS)}…` : text;
}
