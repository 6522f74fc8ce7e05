import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

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

/**
 * Raw JSON access to the API server, authenticated by @kubernetes/client-node's KubeConfig.
 * Raw on purpose: the generated clients turn timestamps into Dates (losing eventTime's
 * microseconds and the original strings that the written line must keep), and their watch
 * reads without backpressure.
 */
export class KubeHttp {
  private readonly server: URL;

  constructor(private readonly kubeConfig: KubeConfig) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
  }

  get serverUrl(): string {
    return this.server.toString();
  }

  /** Opens a GET and resolves with the response once headers arrive; non-2xx bodies become KubeApiError. */
  async open(path: string, query: Record<string, string | number | boolean | undefined>, signal?: AbortSignal): Promise<http.IncomingMessage> {
    const url = new URL(path.replace(/^\//, ''), this.server.toString().endsWith('/') ? this.server : `${this.server}/`);
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    const options: https.RequestOptions = { method: 'GET', headers: { Accept: 'application/json' } };
    await this.kubeConfig.applyToHTTPSOptions(options);
    const transport = url.protocol === 'http:' ? http : https;
    return new Promise((resolve, reject) => {
      const req = transport.request(url, { ...options, signal }, (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) {
          resolve(res);
          return;
        }
        readBody(res).then(
          (body) => reject(new KubeApiError(status, statusMessage(status, body, url.pathname))),
          reject,
        );
      });
      req.on('error', reject);
      req.end();
    });
  }

  /** A JSON request with a body (POST/PUT/PATCH); non-2xx answers become KubeApiError. */
  async sendJson<T>(method: 'POST' | 'PUT' | 'DELETE', path: string, body: unknown): Promise<T> {
    const url = new URL(path.replace(/^\//, ''), this.server.toString().endsWith('/') ? this.server : `${this.server}/`);
    const payload = Buffer.from(JSON.stringify(body));
    const options: https.RequestOptions = {
      method,
      headers: { Accept: 'application/json', 'Content-Type': 'application/json', 'Content-Length': payload.length },
    };
    await this.kubeConfig.applyToHTTPSOptions(options);
    const transport = url.protocol === 'http:' ? http : https;
    return new Promise((resolve, reject) => {
      const req = transport.request(url, options, (res) => {
        const status = res.statusCode ?? 0;
        readBody(res).then((text) => {
          if (status >= 200 && status < 300) resolve(JSON.parse(text) as T);
          else reject(new KubeApiError(status, statusMessage(status, text, url.pathname).replace(/^GET/, method)));
        }, reject);
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  async getJson<T>(path: string, query: Record<string, string | number | boolean | undefined> = {}, signal?: AbortSignal): Promise<T> {
    const res = await this.open(path, query, signal);
    return JSON.parse(await readBody(res)) as T;
  }
}

async function readBody(res: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function statusMessage(status: number, body: string, path: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: string };
    if (parsed.message) return `GET ${path}: ${status} ${parsed.message}`;
  } catch {
    // not a Status object: fall through to the raw text
  }
  return `GET ${path}: ${status} ${body.slice(0, 200)}`;
}
