import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node/dist/config.js';

/** An API error with the HTTP status, so callers can tell 410 Gone or 403 from a network fault. */
export class KubeApiError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  signal?: AbortSignal;
  /** The socket may stay silent this long before the request fails (a half-open connection). */
  idleTimeoutMs?: number;
}

/** One-off requests (a list page, a lookup, a lease renewal) give up after this much silence. */
const REQUEST_IDLE_TIMEOUT_MS = 30_000;

/**
 * Raw JSON access to the API server, authenticated by @kubernetes/client-node's KubeConfig.
 * Raw on purpose: the generated clients turn timestamps into Dates (losing eventTime's
 * microseconds and the original strings that the written line must keep), and their watch
 * reads without backpressure.
 */
export class KubeHttp {
  private readonly server: URL;
  /** Keep-alive agents by TLS identity: client-node makes a new agent (a new TLS handshake) per call. */
  private readonly agents = new Map<string, https.Agent>();

  constructor(private readonly kubeConfig: KubeConfig) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
  }

  /** Opens a GET and resolves with the response once headers arrive; non-2xx bodies become KubeApiError. */
  open(path: string, query: Query, options: RequestOptions = {}): Promise<http.IncomingMessage> {
    return this.request('GET', path, query, undefined, options);
  }

  async getJson<T>(path: string, query: Query = {}, signal?: AbortSignal): Promise<T> {
    const res = await this.request('GET', path, query, undefined, { ...(signal ? { signal } : {}) });
    return parseJson<T>(await readBody(res), 'GET', path);
  }

  /** A JSON request with a body; non-2xx answers become KubeApiError. */
  async sendJson<T>(method: 'POST' | 'PUT' | 'DELETE', path: string, body: unknown): Promise<T> {
    const res = await this.request(method, path, {}, Buffer.from(JSON.stringify(body)), {});
    return parseJson<T>(await readBody(res), method, path);
  }

  private async request(method: string, path: string, query: Query, payload: Buffer | undefined, options: RequestOptions): Promise<http.IncomingMessage> {
    const url = new URL(path.replace(/^\//, ''), this.server.toString().endsWith('/') ? this.server : `${this.server}/`);
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    const headers: http.OutgoingHttpHeaders = { Accept: 'application/json' };
    if (payload) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = payload.length;
    }
    const requestOptions: https.RequestOptions = { method, headers };
    // Per request, so rotated tokens and exec/OIDC credentials are picked up.
    await this.kubeConfig.applyToHTTPSOptions(requestOptions);
    if (url.protocol === 'https:' && !this.kubeConfig.getCurrentCluster()?.proxyUrl) requestOptions.agent = this.agentFor(requestOptions);
    const transport = url.protocol === 'http:' ? http : https;
    const idleTimeoutMs = options.idleTimeoutMs ?? REQUEST_IDLE_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const req = transport.request(url, { ...requestOptions, ...(options.signal ? { signal: options.signal } : {}) }, (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) {
          resolve(res);
          return;
        }
        readBody(res).then((text) => reject(new KubeApiError(status, statusMessage(method, status, text, url.pathname))), reject);
      });
      req.setTimeout(idleTimeoutMs, () => req.destroy(new Error(`${method} ${url.pathname}: no data for ${idleTimeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  private agentFor(options: https.RequestOptions): https.Agent {
    const identity = createHash('sha256');
    for (const part of [options.ca, options.cert, options.key, options.pfx, String(options.rejectUnauthorized), options.servername]) {
      identity.update(part === undefined ? '-' : Buffer.isBuffer(part) ? part : String(part));
      identity.update('\0');
    }
    const key = identity.digest('hex');
    let agent = this.agents.get(key);
    if (!agent) {
      agent = new https.Agent({
        keepAlive: true,
        ca: options.ca,
        cert: options.cert,
        key: options.key,
        pfx: options.pfx,
        passphrase: options.passphrase,
        rejectUnauthorized: options.rejectUnauthorized,
        servername: options.servername,
      } as https.AgentOptions);
      this.agents.set(key, agent);
    }
    return agent;
  }
}

async function readBody(res: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson<T>(text: string, method: string, path: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`${method} ${path}: the answer is not JSON: ${text.slice(0, 200)}`);
  }
}

function statusMessage(method: string, status: number, body: string, path: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: string };
    if (parsed.message) return `${method} ${path}: ${status} ${parsed.message}`;
  } catch {
    // not a Status object: fall through to the raw text
  }
  return `${method} ${path}: ${status} ${body.slice(0, 200)}`;
}
