// The watch loop's reaction to an API server that keeps answering 410 Gone. A fake on purpose: a
// real API server gives 410 once per compaction, and cannot be made to repeat it on every watch
// (as a lagging watch cache does after a restart), which is the fault injected here.
import { afterEach, describe, expect, it } from 'vitest';
import type { KubeHttp } from '../../src/watch/kube-http.js';
import { runWatchLoop } from '../../src/watch/watch-loop.js';
import { kubeHttpAt, startFaultServer } from '../support/fake-api.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** Lists answer with no Events; every watch ends with an in-stream 410, after sending what `first` says. */
async function serveExpiringWatches(first: 'nothing' | 'event' | 'bookmark'): Promise<{ api: KubeHttp; lists: () => number; watches: () => number }> {
  let lists = 0;
  let watches = 0;
  const server = await startFaultServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'Content-Type': 'application/json' });
    if (!new URL(req.url!, 'http://x').searchParams.has('watch')) {
      lists++;
      res.end(JSON.stringify({ kind: 'EventList', apiVersion: 'v1', metadata: { resourceVersion: String(100 + lists) }, items: [] }));
      return;
    }
    watches++;
    if (first === 'event')
      res.write(`${JSON.stringify({ type: 'ADDED', object: { metadata: { uid: `u${watches}`, resourceVersion: String(200 + watches) }, count: 1 } })}\n`);
    if (first === 'bookmark') res.write(`${JSON.stringify({ type: 'BOOKMARK', object: { metadata: { resourceVersion: String(200 + watches) } } })}\n`);
    res.end(`${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' } })}\n`);
  });
  closers.push(server.close);
  return { api: kubeHttpAt(server.url), lists: () => lists, watches: () => watches };
}

/**
 * Runs the loop, with a backoff that starts at `minBackoffMs`, until `until` holds (polled every
 * 10 ms; at most 30 s), then `settleMs` longer to see what it does next.
 */
async function runLoop(api: KubeHttp, minBackoffMs: number, until: () => boolean, settleMs = 0): Promise<{ restarts: string[]; events: number }> {
  const restarts: string[] = [];
  let events = 0;
  const abort = new AbortController();
  const loop = runWatchLoop(
    { api, namespace: undefined, pageSize: 500, messageReadBytes: 65536, watchTimeoutSeconds: 60, minBackoffMs, maxBackoffMs: minBackoffMs * 8 },
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
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && !until()) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, settleMs));
  abort.abort();
  await loop;
  return { restarts, events };
}

describe('watch loop', () => {
  it('relists at once after a 410, but waits when the relist expires again before an Event arrived', async () => {
    // A backoff far longer than the test: the loop lists twice (at the start, at the first 410), then waits.
    const server = await serveExpiringWatches('nothing');
    const { restarts } = await runLoop(server.api, 600_000, () => server.watches() >= 2, 500);
    expect(server.lists()).toBe(2);
    expect(server.watches()).toBe(2);
    expect(restarts).toEqual(['expired', 'expired']);
  });

  it('a BOOKMARK before the 410 is no Event: the loop waits all the same', async () => {
    const server = await serveExpiringWatches('bookmark');
    await runLoop(server.api, 600_000, () => server.watches() >= 2, 500);
    expect(server.lists()).toBe(2);
  });

  it('a watch that delivered an Event before its 410 relists at once again', async () => {
    // With the same long backoff, every 410 is followed by a list at once: the loop never waits.
    const server = await serveExpiringWatches('event');
    const { events } = await runLoop(server.api, 600_000, () => server.lists() >= 5);
    expect(server.lists()).toBeGreaterThanOrEqual(5);
    expect(server.watches() - events).toBeLessThanOrEqual(1); // but the watch in flight when the loop was stopped
  });

  it('a watch line too long restarts the watch with a relist (resuming would read the same line), after a backoff', async () => {
    // The fault injected: a first watch whose line never ends (a real API server sends no Event past 1.5 MiB).
    let lists = 0;
    let watches = 0;
    const server = await startFaultServer(async (req, res) => {
      req.resume();
      res.writeHead(200, { 'Content-Type': 'application/json' });
      if (!new URL(req.url!, 'http://x').searchParams.has('watch')) {
        lists++;
        res.end(JSON.stringify({ kind: 'EventList', apiVersion: 'v1', metadata: { resourceVersion: String(100 + lists) }, items: [] }));
        return;
      }
      watches++;
      if (watches > 1) return; // later watches stay open and quiet
      res.write('{"type":"ADDED","object":{"message":"');
      const piece = 'x'.repeat(1024 * 1024);
      for (let i = 0; i < 20 && !res.destroyed; i++) if (!res.write(piece)) await new Promise((r) => res.once('drain', r));
    });
    closers.push(server.close);
    const { restarts } = await runLoop(kubeHttpAt(server.url), 50, () => watches >= 2, 200);
    expect(restarts).toEqual(['line_too_long']);
    expect(lists).toBe(2);
  });
});
