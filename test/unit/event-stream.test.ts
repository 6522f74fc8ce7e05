// The watch stream decoder against a hand-made HTTP server. A fake on purpose: the real API
// server never sends invalid UTF-8 and gives no control over where chunks break, which is
// exactly what these tests need to inject.
import { afterEach, describe, expect, it } from 'vitest';
import { buildLine } from '../../src/line/build-line.js';
import type { RawEvent } from '../../src/line/event-line.js';
import { truncateMessage } from '../../src/line/message.js';
import {
  FAST_PAGE_CHARS,
  listEventPages,
  MAX_WATCH_LINE_CHARS,
  WatchExpiredError,
  WatchLineTooLongError,
  type WatchMessage,
  watchEvents,
} from '../../src/watch/event-stream.js';
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
    for await (const batch of watchEvents(api, undefined, '1', 30, 65536))
      batches.push(batch.map((m) => (m as { object: { message: string } }).object.message));
    expect(batches).toEqual([['a', 'b', 'c'], ['d']]);
  });
});

describe('large Events: bounded in bytes', () => {
  const READ = 65_536;
  /** A message of `bytes` UTF-8 bytes with a 2-byte character every 100 bytes and "<" (escaped by the API server). */
  const largeMessage = (tag: string, bytes: number) => {
    const unit = `<${'a'.repeat(96)}é`; // 100 bytes
    const text = `${tag}:${unit.repeat(Math.ceil(bytes / 100))}`;
    return Buffer.from(text, 'utf8')
      .subarray(0, bytes)
      .toString('utf8')
      .replace(/\uFFFD$/, 'b');
  };
  const written = (event: RawEvent, maxMessageBytes = 4096) => buildLine(event, 'info', 1, { clusterName: 'c', maxMessageBytes }).message;
  const expected = (message: string, maxBytes: number) => truncateMessage(message, maxBytes);

  it('a list page larger than FAST_PAGE_CHARS is parsed as it arrives: messages cut while read, the marker exact, the next limit lower', async () => {
    const messages = Array.from({ length: 5 }, (_, i) => largeMessage(`m${i}`, 1_400_000 + i));
    const items = messages.map((message, i) => ({ metadata: { uid: `u${i}`, resourceVersion: String(10 + i) }, message, reason: 'Failed' }));
    const page = JSON.stringify({ kind: 'EventList', metadata: { resourceVersion: '99', continue: 'next' }, items });
    expect(page.length).toBeGreaterThan(FAST_PAGE_CHARS);
    const limits: string[] = [];
    const server = await startFaultServer((req, res) => {
      const url = new URL(req.url!, 'http://x');
      limits.push(url.searchParams.get('limit')!);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      if (url.searchParams.get('continue'))
        res.end(JSON.stringify({ metadata: { resourceVersion: '99' }, items: [{ metadata: { uid: 'small' }, message: 'short' }] }));
      else {
        // In pieces of 64 KiB, as a network would deliver it.
        for (let i = 0; i < page.length; i += 65_536) res.write(page.slice(i, i + 65_536));
        res.end();
      }
    });
    close = server.close;
    const pages = [];
    for await (const p of listEventPages(kubeHttpAt(server.url), undefined, 500, READ)) pages.push(p);
    expect(pages.map((p) => p.resourceVersion)).toEqual(['99', '99']);
    const events = pages[0]!.items;
    expect(events.map((e) => e.metadata.uid)).toEqual(['u0', 'u1', 'u2', 'u3', 'u4']);
    for (const [i, event] of events.entries()) {
      expect(Buffer.byteLength(event.message!)).toBeLessThanOrEqual(READ);
      expect(messages[i]!.startsWith(event.message!)).toBe(true);
      expect(written(event)).toBe(expected(messages[i]!, 4096));
      expect(written(event, 100_000)).toBe(`${event.message} …[truncated ${Buffer.byteLength(messages[i]!) - Buffer.byteLength(event.message!)} bytes]`);
    }
    expect(pages[1]!.items.map((e) => e.message)).toEqual(['short']);
    // 5 items of about 1.4 MB: the next page asks for as many as make about 4 MiB.
    expect(limits).toEqual(['500', String(Math.floor((4 * 1024 * 1024 * 5) / page.length))]);
  });

  it('a page within FAST_PAGE_CHARS (JSON.parse) cuts a message past 64 KiB the same way', async () => {
    const message = largeMessage('big', 200_000);
    const server = await startFaultServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          metadata: { resourceVersion: '5' },
          items: [
            { metadata: { uid: 'u1' }, message },
            { metadata: { uid: 'u2' }, message: 'short' },
          ],
        }),
      );
    });
    close = server.close;
    const pages = [];
    for await (const p of listEventPages(kubeHttpAt(server.url), undefined, 500, READ)) pages.push(p);
    const [big, small] = pages[0]!.items;
    expect(Buffer.byteLength(big!.message!)).toBeLessThanOrEqual(READ);
    expect(written(big!)).toBe(expected(message, 4096));
    expect(small!.message).toBe('short');
  });

  it('a watch line of 1.4 MiB is read piece by piece and its message cut; the lines around it are unaffected', async () => {
    const message = largeMessage('watched', 1_400_000);
    const text = `${JSON.stringify(event('before'))}\n${JSON.stringify(event(message))}\n${JSON.stringify(event('after'))}\n`;
    const chunks: Buffer[] = [];
    const bytes = Buffer.from(text);
    for (let i = 0; i < bytes.length; i += 65_536) chunks.push(bytes.subarray(i, i + 65_536));
    const messages = (await collect(await serve(chunks))) as { object: RawEvent }[];
    expect(messages.map((m) => m.object.message!.slice(0, 8))).toEqual(['before', 'watched:', 'after']);
    expect(written(messages[1]!.object)).toBe(expected(message, 4096));
    expect(Buffer.byteLength(messages[1]!.object.message!)).toBeLessThanOrEqual(65_536);
  });

  it('a watch line past MAX_WATCH_LINE_CHARS without a newline is an error, not memory growth', async () => {
    const server = await startFaultServer(async (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"type":"ADDED","object":{"metadata":{"uid":"u1"},"message":"');
      const piece = 'x'.repeat(1024 * 1024);
      // Never ends the line: 40 MiB, more than the bound, then the response ends.
      for (let i = 0; i < 40 && !res.destroyed; i++) {
        if (!res.write(piece)) await new Promise((r) => res.once('drain', r));
      }
      res.end();
    });
    close = server.close;
    await expect(collect(kubeHttpAt(server.url))).rejects.toBeInstanceOf(WatchLineTooLongError);
    expect(MAX_WATCH_LINE_CHARS).toBeLessThan(40 * 1024 * 1024);
  });
});
