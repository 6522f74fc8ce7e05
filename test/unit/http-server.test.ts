// The probes' server against clients that open connections and never send a request (half-open,
// or a slowloris trickle): it must keep its file descriptors bounded and still answer a fresh probe.
import http from 'node:http';
import net from 'node:net';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, test } from 'vitest';
import { DEFAULT_CONNECTION_LIMITS, ListenError, startHttpServer } from '../../src/serve/http-server.js';

const probes = { live: () => true, ready: () => true };
const servers: Array<{ close(): Promise<void> }> = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const server of servers.splice(0)) await server.close();
});

/** Opens `count` connections that send nothing; resolves once all are connected, with a count of those the server closed. */
async function idleConnections(port: number, count: number) {
  const state = { closed: 0 };
  await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<void>((resolve) => {
          const socket = net.connect(port, '127.0.0.1', () => resolve());
          socket.on('error', () => resolve()); // a reset while connecting counts as closed below
          socket.on('close', () => {
            state.closed += 1;
            resolve();
          });
          socket.resume(); // read, so that the server's end of the connection is seen
          sockets.push(socket);
        }),
    ),
  );
  return state;
}

async function waitFor(condition: () => boolean, ms: number): Promise<void> {
  for (const end = Date.now() + ms; !condition() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
}

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('probes server under idle connections', () => {
  test('past the connection cap the idlest connections are closed, and /healthz answers a fresh client', async () => {
    const limits = { ...DEFAULT_CONNECTION_LIMITS, maxConnections: 16 };
    const server = await startHttpServer('127.0.0.1', 0, new Registry(), probes, limits);
    servers.push(server);
    const idle = await idleConnections(server.port, 200);
    await waitFor(() => idle.closed >= 200 - 16, 3000);
    console.log(`200 idle connections: the server closed ${idle.closed}, kept ${200 - idle.closed} (cap 16)`);
    expect(200 - idle.closed).toBeLessThanOrEqual(16);
    expect(await get(server.port, '/healthz')).toEqual({ status: 200, body: 'ok\n' });
  });

  test('connections that send no request are closed after the header timeout', async () => {
    const limits = { ...DEFAULT_CONNECTION_LIMITS, headersTimeoutMs: 300, requestTimeoutMs: 600, idleTimeoutMs: 2000 };
    const server = await startHttpServer('127.0.0.1', 0, new Registry(), probes, limits);
    servers.push(server);
    const idle = await idleConnections(server.port, 20);
    // A slowloris client: one header byte every 100 ms, never the end of the headers.
    const trickle = net.connect(server.port, '127.0.0.1');
    sockets.push(trickle);
    let trickleClosed = false;
    trickle
      .on('close', () => (trickleClosed = true))
      .on('error', () => {})
      .resume();
    trickle.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    const drip = setInterval(() => trickle.writable && trickle.write('X'), 100);
    await waitFor(() => idle.closed === 20 && trickleClosed, 4000);
    clearInterval(drip);
    console.log(`after the timeouts: ${idle.closed} of 20 idle connections closed, slowloris ${trickleClosed ? 'closed' : 'open'}`);
    expect(idle.closed).toBe(20);
    expect(trickleClosed).toBe(true);
    expect(await get(server.port, '/healthz')).toEqual({ status: 200, body: 'ok\n' });
  }, 10_000);

  test('the default limits bound the connections well below a process’s file descriptors', () => {
    expect(DEFAULT_CONNECTION_LIMITS.maxConnections).toBeLessThanOrEqual(64);
    expect(DEFAULT_CONNECTION_LIMITS.headersTimeoutMs).toBeLessThanOrEqual(10_000);
  });

  test('a port in use or an address that does not resolve is a ListenError naming the setting', async () => {
    const first = await startHttpServer('127.0.0.1', 0, new Registry(), probes);
    servers.push(first);
    await expect(startHttpServer('127.0.0.1', first.port, new Registry(), probes)).rejects.toThrow(
      new ListenError('127.0.0.1', first.port, Object.assign(new Error('x'), { code: 'EADDRINUSE' })).message,
    );
    await expect(startHttpServer('no-such-host.invalid', 0, new Registry(), probes)).rejects.toBeInstanceOf(ListenError);
  });
});
