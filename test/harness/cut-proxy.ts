import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A plain TCP proxy on 127.0.0.1 in front of one target. TLS passes through
 * untouched (the API server's cert names 127.0.0.1), so clients of the proxy see
 * the real server; `cut()` then breaks their live connections the way a network
 * fault or a load-balancer reset would, which the API server itself cannot do on demand.
 */
export interface CutProxy {
  readonly port: number;
  /** Destroys every live client connection; returns how many there were. */
  cut(): number;
  /**
   * Cuts every live connection and refuses new ones until `release()`: the exporter is then away
   * for as long as the test wants, retrying, while the test changes the cluster behind its back.
   */
  hold(): number;
  release(): void;
  close(): Promise<void>;
}

export async function startCutProxy(target: { host: string; port: number }): Promise<CutProxy> {
  const clients = new Set<Socket>();
  let held = false;
  const server: Server = createServer((client) => {
    if (held) {
      client.resetAndDestroy();
      return;
    }
    const upstream = createConnection(target);
    clients.add(client);
    const teardown = () => {
      clients.delete(client);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', teardown);
    upstream.on('error', teardown);
    client.on('close', teardown);
    upstream.on('close', teardown);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolveListen());
  });
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('cut proxy: no listen address');
  function cut(): number {
    const live = [...clients];
    // resetAndDestroy sends a TCP RST, like a dropped connection, not a polite FIN.
    for (const socket of live) socket.resetAndDestroy();
    clients.clear();
    return live.length;
  }
  return {
    port: address.port,
    cut,
    hold() {
      held = true;
      return cut();
    },
    release() {
      held = false;
    },
    close() {
      for (const socket of clients) socket.destroy();
      clients.clear();
      return new Promise((r) => server.close(() => r()));
    },
  };
}
