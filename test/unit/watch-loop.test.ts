// The watch loop's reaction to an API server that keeps answering 410 Gone. A fake on purpose: a
// real API server gives 410 once per compaction, and cannot be made to repeat it on every watch
// (as a lagging watch cache does after a restart), which is the fault injected here.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { runWatchLoop } from '../../src/watch/watch-loop.js';
import { KubeHttp } from '../../src/watch/kube-http.js';

let server: http.Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** Lists answer with no Events; every watch ends with an in-stream 410, or first delivers one Event when `deliver` says so. */
async function serveExpiringWatches(deliver: (watch: number) => boolean): Promise<{ api: KubeHttp; lists: () => number; watches: () => number }> {
  let lists = 0;
  let watches = 0;
  server = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'Content-Type': 'application/json' });
    if (!new URL(req.url!, 'http://x').searchParams.has('watch')) {
      lists++;
      res.end(JSON.stringify({ kind: 'EventList', apiVersion: 'v1', metadata: { resourceVersion: String(100 + lists) }, items: [] }));
      return;
    }
    watches++;
    if (deliver(watches)) res.write(`${JSON.stringify({ type: 'ADDED', object: { metadata: { uid: `u${watches}`, resourceVersion: String(200 + watches) }, count: 1 } })}\n`);
    res.end(`${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' } })}\n`);
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  const kc = new KubeConfig();
  kc.loadFromClusterAndUser({ name: 'fake', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }, { name: 'u' });
  return { api: new KubeHttp(kc), lists: () => lists, watches: () => watches };
}

async function runFor(api: KubeHttp, ms: number): Promise<{ restarts: string[]; events: number }> {
  const restarts: string[] = [];
  let events = 0;
  const abort = new AbortController();
  const loop = runWatchLoop(
    { api, namespace: undefined, pageSize: 500, watchTimeoutSeconds: 60, minBackoffMs: 50, maxBackoffMs: 400 },
    {
      onListStart: () => {},
      onListPage: async () => {},
      onListEnd: () => {},
      onEvent: () => {
        events++;
      },
      onRestart: (reason) => restarts.push(reason),
    },
    abort.signal,
  );
  await new Promise((r) => setTimeout(r, ms));
  abort.abort();
  await loop;
  return { restarts, events };
}

describe('watch loop', () => {
  it('relists at once after a 410, but backs off when the relist expires again before anything arrives', async () => {
    const server = await serveExpiringWatches(() => false);
    const { restarts } = await runFor(server.api, 1500);
    // Without backoff this is hundreds of lists in 1.5 s; with 50 → 100 → 200 → 400 ms waits, a handful.
    expect(server.lists()).toBeGreaterThanOrEqual(3);
    expect(server.lists()).toBeLessThanOrEqual(8);
    expect(restarts.every((r) => r === 'expired')).toBe(true);
  });

  it('a watch that delivered something before its 410 relists at once again', async () => {
    // Every watch delivers an Event before expiring: progress each time, so no waiting between relists.
    const server = await serveExpiringWatches(() => true);
    const { events } = await runFor(server.api, 1000);
    expect(server.lists()).toBeGreaterThan(20);
    expect(server.watches() - events).toBeLessThanOrEqual(1); // but the watch in flight when the loop was stopped
  });
});
