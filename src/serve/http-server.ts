import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Registry } from 'prom-client';

export interface ProbeState {
  /** Live: the process answers and its watch loop has not given up. */
  live(): boolean;
  /** Ready: the first list of Events has been processed. */
  ready(): boolean;
}

/**
 * What one client may hold. The probes share the process's file descriptors with the watch and
 * the checkpoint: connections that never send a request (or send it a byte at a time) must not
 * pile up until a reconnect fails with EMFILE.
 */
export interface ConnectionLimits {
  /** open connections at most; past it the longest idle one is closed to make room */
  maxConnections: number;
  /** a request's headers must have arrived this long after the connection opened or the last request */
  headersTimeoutMs: number;
  /** a whole request must have arrived within this */
  requestTimeoutMs: number;
  /** a connection with no bytes either way for this long is closed */
  idleTimeoutMs: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  maxConnections: 64,
  headersTimeoutMs: 5000,
  requestTimeoutMs: 10_000,
  idleTimeoutMs: 15_000,
};

/** The metrics address cannot be listened on: the config or the environment is wrong, not the program. */
export class ListenError extends Error {
  constructor(address: string, port: number, cause: NodeJS.ErrnoException) {
    const reasons: Record<string, string> = {
      EADDRINUSE: 'the port is in use',
      EADDRNOTAVAIL: 'the address is not one of this host',
      EACCES: 'permission denied',
      ENOTFOUND: 'the address does not resolve',
      EAI_AGAIN: 'the address does not resolve (DNS did not answer)',
    };
    const reason = (cause.code && reasons[cause.code]) ?? cause.message;
    super(`metrics: cannot listen on ${address}:${port} (metrics.address, metrics.port): ${reason}${cause.code ? ` (${cause.code})` : ''}`);
    this.name = 'ListenError';
  }
}

/**
 * Keeps at most `max` connections: a new one past it closes the connection that has been idle
 * longest (no request in progress), so a fresh probe is answered while idle clients wait out
 * their timeouts. When every connection is busy, the new one is closed.
 */
function capConnections(server: http.Server, max: number): void {
  const open = new Set<Socket>(); // in order of last activity: the first idle one is the oldest
  const busy = new WeakSet<Socket>();
  server.on('connection', (socket: Socket) => {
    if (open.size >= max) {
      const idle = [...open].find((candidate) => !busy.has(candidate));
      if (idle === undefined) {
        socket.destroy();
        return;
      }
      open.delete(idle);
      idle.destroy();
    }
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const socket = req.socket;
    busy.add(socket);
    res.once('finish', () => {
      busy.delete(socket);
      if (open.delete(socket)) open.add(socket); // now the most recently active
    });
  });
}

/** /metrics, /healthz and /readyz on one small HTTP server. */
export async function startHttpServer(
  address: string,
  port: number,
  registry: Registry,
  probes: ProbeState,
  limits: ConnectionLimits = DEFAULT_CONNECTION_LIMITS,
): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: Math.min(5000, limits.idleTimeoutMs),
      // How often the two timeouts above are checked; Node's default (30 s) would let them run late.
      connectionsCheckingInterval: Math.max(100, Math.min(1000, limits.headersTimeoutMs / 2)),
    },
    (req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/metrics') {
        registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'Content-Type': registry.contentType });
            res.end(text);
          },
          (err: Error) => {
            res.writeHead(500, { 'Content-Type': 'text/plain' });
            res.end(`metrics failed: ${err.message}\n`);
          },
        );
        return;
      }
      if (path === '/healthz' || path === '/readyz') {
        const ok = path === '/healthz' ? probes.live() : probes.ready();
        res.writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain' });
        res.end(ok ? 'ok\n' : 'not ready\n');
        return;
      }
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found: try /metrics, /healthz or /readyz\n');
    },
  );
  server.setTimeout(limits.idleTimeoutMs, (socket: Socket) => socket.destroy());
  capConnections(server, limits.maxConnections);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new ListenError(address, port, err)));
    server.listen(port, address, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
