// The watch stream decoder against a hand-made HTTP server. A fake on purpose: the real API
// server never sends invalid UTF-8 and gives no control over where chunks break, which is
// exactly what these tests need to inject.
import { afterEach, describe, expect, it } from 'vitest';
import { watchEvents, WatchExpiredError, type WatchMessage } from '../../src/watch/event-stream.js';
import type { KubeHttp } from '../../src/watch/kube-http.js';
import { kubeHttpAt, startFaultServer } from '../support/fake-api.js';

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

async function serve(chunks: Buffer[]): Promise<KubeHttp> {
  const server = await startFaultServer(async (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    for (const chunk of chunks) {
      res.write(chunk);
      await new Promise((r) => setTimeout(r, 5)); // separate TCP writes, so the client sees separate chunks
    }
    res.end();
  });
  close = server.close;
  return kubeHttpAt(server.url);
}

async function collect(api: KubeHttp): Promise<WatchMessage[]> {
  const out: WatchMessage[] = [];
  for await (const batch of watchEvents(api, undefined, '1', 30, 65536)) out.push(...batch);
  return out;
}

const event = (message: string) => ({ type: 'ADDED', object: { metadata: { uid: 'u1', resourceVersion: '2' }, message } });

describe('watch stream decoding', () => {
  it('joins a character split across chunks and lines split across chunks', async () => {
    const line = Buffer.from(`${JSON.stringify(event('pod crashed: 💥 ünïcode'))}\n`);
    const at = line.indexOf(Buffer.from('💥')) + 2; // in the middle of the 4-byte emoji
    const messages = await collect(await serve([line.subarray(0, at), line.subarray(at)]));
    expect(messages).toHaveLength(1);
    expect((messages[0] as { object: { message: string } }).object.message).toBe('pod crashed: 💥 ünïcode');
  });

  it('turns bytes that are not UTF-8 into U+FFFD, so the line stays valid', async () => {
    const prefix = Buffer.from('{"type":"ADDED","object":{"metadata":{"uid":"u1","resourceVersion":"2"},"message":"bad ');
    const suffix = Buffer.from(' bytes"}}\n');
    const messages = await collect(await serve([Buffer.concat([prefix, Buffer.from([0xff, 0xfe, 0xc3]), suffix])]));
    const message = (messages[0] as { object: { message: string } }).object.message;
    expect(message).toBe('bad \ufffd\ufffd\ufffd bytes');
    expect(JSON.parse(JSON.stringify({ message }))).toEqual({ message });
  });

  it('reads BOOKMARKs and ends with WatchExpiredError on an in-stream 410', async () => {
    const bookmark = { type: 'BOOKMARK', object: { metadata: { resourceVersion: '7' } } };
    const expired = { type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version: 1 (7)' } };
    const api = await serve([Buffer.from(`${JSON.stringify(bookmark)}\n${JSON.stringify(expired)}\n`)]);
    const seen: WatchMessage[] = [];
    await expect(
      (async () => {
        for await (const batch of watchEvents(api, undefined, '1', 30, 65536)) seen.push(...batch);
      })(),
    ).rejects.toBeInstanceOf(WatchExpiredError);
    expect(seen).toEqual([{ type: 'BOOKMARK', resourceVersion: '7' }]);
  });

  it('gives the messages of one chunk together, in order, and keeps a line cut at the chunk end for the next', async () => {
    const lines = ['a', 'b', 'c', 'd'].map((m) => JSON.stringify(event(m)));
    const first = `${lines[0]}\n${lines[1]}\n${lines[2]}\n${lines[3]!.slice(0, 20)}`;
    const api = await serve([Buffer.from(first), Buffer.from(`${lines[3]!.slice(20)}\n`)]);
    const batches: string[][] = [];
    for await (const batch of watchEvents(api, undefined, '1', 30, 65536)) batches.push(batch.map((m) => (m as { object: { message: string } }).object.message));
    expect(batches).toEqual([['a', 'b', 'c'], ['d']]);
  });
});
