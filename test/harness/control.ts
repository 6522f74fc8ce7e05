import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

/**
 * The servers live in vitest's main process (global setup) but tests run in worker
 * processes, so the operations that need a process handle (restart, compact, cut)
 * travel over this loopback HTTP endpoint. A random token keeps other local
 * processes from restarting the API server by accident.
 */
export interface ControlInfo {
  url: string;
  token: string;
}

export interface ControlOperations {
  restartApiServer(): Promise<void>;
  compact(): Promise<{ revision: number }>;
  cutProxy(): number;
  holdProxy(): number;
  releaseProxy(): void;
}

const ROUTES = {
  '/kube/restart-apiserver': async (ops: ControlOperations) => {
    await ops.restartApiServer();
    return {};
  },
  '/kube/compact': (ops: ControlOperations) => ops.compact(),
  '/kube/proxy/cut': async (ops: ControlOperations) => ({ cut: ops.cutProxy() }),
  '/kube/proxy/hold': async (ops: ControlOperations) => ({ cut: ops.holdProxy() }),
  '/kube/proxy/release': async (ops: ControlOperations) => {
    ops.releaseProxy();
    return {};
  },
} as const;

export type ControlRoute = keyof typeof ROUTES;

export async function startControlServer(ops: ControlOperations): Promise<{ info: ControlInfo; close(): Promise<void> }> {
  const token = randomBytes(16).toString('hex');
  const reply = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    if (req.headers.authorization !== `Bearer ${token}`) return reply(res, 401, { error: 'bad control token' });
    const route = ROUTES[req.url as ControlRoute];
    if (req.method !== 'POST' || !route) return reply(res, 404, { error: `no control route ${req.method} ${req.url}` });
    route(ops).then(
      (result) => reply(res, 200, result),
      (err: Error) => reply(res, 500, { error: err.message }),
    );
  });
  // A restart can take a while; never let Node's request timeout cut it short.
  server.requestTimeout = 0;
  await new Promise<void>((r, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => r());
  });
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('control server: no listen address');
  return {
    info: { url: `http://127.0.0.1:${address.port}`, token },
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Calls a control route from a test worker; throws with the harness's error text. */
export async function callControl<T>(control: ControlInfo, route: ControlRoute): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${control.url}${route}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${control.token}` },
    });
  } catch (err) {
    throw new Error(`harness control ${route}: cannot reach ${control.url} (is the global setup running?): ${(err as Error).message}`);
  }
  const body = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new Error(`harness control ${route}: ${body.error ?? `HTTP ${res.status}`}`);
  return body;
}
