/**
 * One HTTP POST with `node:http`/`node:https` (not `fetch`: its client, undici, costs about 30 ms
 * and 4 MiB to start, paid by every exporter with a webhook). It never follows a redirect, reads
 * at most `maxChars` of the answer and hangs up on the rest, and rejects with the transport's own
 * message (ECONNREFUSED, socket hang up…), which names at most host and port, never the path or
 * query where tokens live.
 */
import { Agent as HttpAgent, request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface PostAnswer {
  status: number;
  retryAfter: string | null;
  /** the first `maxChars` characters or a little more; '' when the answer broke off */
  text: string;
}

/** What `redirect: 'error'` refused in `fetch`: these statuses are redirects whatever else they carry. */
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * One receiver's connections: kept alive between messages, so a burst goes over one socket. Its
 * queue sends one request at a time; a second one waits for the socket rather than opening more.
 * An idle socket is closed after 4 s (sooner if the server's Keep-Alive says so), before a
 * server's usual 5 s, so a message rarely meets a socket the server is closing.
 */
const KEEP_ALIVE = { keepAlive: true, maxSockets: 1, maxFreeSockets: 1, timeout: 4_000 };

export class PostConnections {
  private readonly http = new HttpAgent(KEEP_ALIVE);
  private readonly https = new HttpsAgent(KEEP_ALIVE);

  agentFor(url: URL): HttpAgent {
    return url.protocol === 'https:' ? this.https : this.http;
  }
}

export function post(
  url: URL,
  headers: OutgoingHttpHeaders,
  body: string,
  signal: AbortSignal,
  connections: PostConnections,
  maxChars: number,
): Promise<PostAnswer> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    let answer: PostAnswer | undefined;
    let settled = false;
    const settle = (finish: () => void) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      finish();
    };
    // after the status line an abort only cuts the answer short, as `fetch`'s body read did
    const onAbort = () => {
      request.destroy();
      settle(() => (answer ? resolve({ ...answer, text: '' }) : reject(signal.reason as Error)));
    };
    const request = send(url, { method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) }, agent: connections.agentFor(url) });
    signal.addEventListener('abort', onAbort, { once: true });
    request.on('error', (err) => settle(() => (answer ? resolve({ ...answer, text: '' }) : reject(err))));
    request.on('response', (response) => {
      const status = response.statusCode ?? 0;
      if (REDIRECTS.has(status)) {
        response.destroy();
        return settle(() => reject(new Error('unexpected redirect')));
      }
      const retryAfter = response.headers['retry-after'] ?? null;
      answer = { status, retryAfter, text: '' };
      let text = '';
      let first = true;
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        // a leading byte order mark is not text (fetch's text() dropped it too)
        text += first && chunk.charCodeAt(0) === 0xfeff ? chunk.slice(1) : chunk;
        first = false;
        if (text.length <= maxChars) return;
        // enough to show what the endpoint said; the rest is never read
        response.destroy();
        settle(() => resolve({ status, retryAfter, text: text.slice(0, maxChars + 1) }));
      });
      response.on('end', () => settle(() => resolve({ status, retryAfter, text })));
      response.on('error', () => settle(() => resolve({ status, retryAfter, text: '' })));
      response.on('close', () => settle(() => resolve({ status, retryAfter, text: response.complete ? text : '' })));
    });
    request.end(body);
  });
}
