/**
 * One webhook request (src/sinks/webhook/webhook-request.ts) against FAKE endpoints on 127.0.0.1
 * (the chat services cannot run here; these servers also inject the faults: redirects, endless
 * answers, resets, silence): what it refuses to do (follow a redirect, read an answer whole, quote
 * the URL) and how it uses connections.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { AttemptOutcome } from '../../src/sinks/webhook/retry-policy.js';
import { webhookAttempt } from '../../src/sinks/webhook/webhook-request.js';
import type { WebhookReceiverConfig } from '../../src/sinks/webhook/webhook-schema.js';

/** A token where chat services put theirs: in the path (Slack) and the query (DingTalk). */
const TOKEN = 'T0KEN-in-the-path-4f2a9c';
const QUERY_TOKEN = 'access_token=Q-t0ken-8d1e77';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface Endpoint {
  url: string;
  port: number;
  requests: IncomingMessage[];
  connections: number;
  server: Server;
}

const servers: Server[] = [];
afterEach(async () => {
  while (servers.length) {
    const server = servers.pop()!;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

async function endpoint(handler: Handler): Promise<Endpoint> {
  const requests: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    requests.push(req);
    handler(req, res);
  });
  servers.push(server);
  const found: Endpoint = { url: '', port: 0, requests, connections: 0, server };
  server.on('connection', () => found.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  found.port = (server.address() as AddressInfo).port;
  found.url = `http://127.0.0.1:${found.port}/hooks/${TOKEN}?${QUERY_TOKEN}`;
  return found;
}

function receiver(extra = '', timeoutSeconds = 10): WebhookReceiverConfig {
  const yaml = `route: { match: [{ receiver: hook }] }\nreceivers:\n  - name: hook\n    webhook:\n      endpoint: http://127.0.0.1:1/x\n      timeoutSeconds: ${timeoutSeconds}\n${extra}`;
  const { config } = loadConfig(yaml, 'test.yaml', {});
  const found = config.receivers[0]!;
  if (found.type !== 'webhook') throw new Error('not a webhook');
  return found;
}

function attemptTo(url: string, options: { extra?: string; timeoutSeconds?: number; headers?: Record<string, string> } = {}) {
  return webhookAttempt(receiver(options.extra, options.timeoutSeconds), { endpoint: url, headers: options.headers ?? {} }, Date.now);
}

function errorOf(outcome: AttemptOutcome): string {
  if (!('error' in outcome)) throw new Error(`expected an error, got ${JSON.stringify(outcome)}`);
  return outcome.error.message;
}

function expectNoUrl(message: string, port: number): void {
  expect(message).not.toContain(TOKEN);
  expect(message).not.toContain('Q-t0ken');
  expect(message).not.toContain('/hooks');
  expect(message).not.toContain(`${port}/`);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => resolve(body));
  });
}

describe('a webhook request', () => {
  it('posts the body with the default headers, each once', async () => {
    let got: { body: string; raw: string[] } | undefined;
    const hook = await endpoint((req, res) => {
      void readBody(req).then((body) => {
        got = { body, raw: req.rawHeaders };
        res.end('ok');
      });
    });
    const outcome = await attemptTo(hook.url)('{"text":"é"}', new AbortController().signal);
    expect(outcome).toEqual({ status: 200, retryAfter: null, body: 'ok' });
    expect(hook.requests[0]!.method).toBe('POST');
    expect(hook.requests[0]!.url).toBe(`/hooks/${TOKEN}?${QUERY_TOKEN}`);
    expect(got!.body).toBe('{"text":"é"}');
    const named = (name: string) => got!.raw.filter((header, i) => i % 2 === 0 && header.toLowerCase() === name);
    expect(named('content-type')).toHaveLength(1);
    expect(named('user-agent')).toHaveLength(1);
    expect(hook.requests[0]!.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(hook.requests[0]!.headers['user-agent']).toBe('kube-eventline');
    expect(hook.requests[0]!.headers['content-length']).toBe(String(Buffer.byteLength('{"text":"é"}')));
  });

  it('configured headers replace the defaults whatever their case, and are sent once', async () => {
    const hook = await endpoint((req, res) => void readBody(req).then(() => res.end('ok')));
    const attempt = attemptTo(hook.url, { headers: { 'Content-Type': 'text/plain', 'USER-AGENT': 'mine', 'X-Extra': 'yes' } });
    expect(await attempt('x', new AbortController().signal)).toMatchObject({ status: 200 });
    const raw = hook.requests[0]!.rawHeaders;
    const values = (name: string) => raw.filter((_, i) => i % 2 === 1 && raw[i - 1]!.toLowerCase() === name);
    expect(values('content-type')).toEqual(['text/plain']);
    expect(values('user-agent')).toEqual(['mine']);
    expect(values('x-extra')).toEqual(['yes']);
  });

  it('passes Retry-After on', async () => {
    const hook = await endpoint((req, res) => void readBody(req).then(() => res.writeHead(429, { 'retry-after': '7' }).end('slow down')));
    expect(await attemptTo(hook.url)('x', new AbortController().signal)).toEqual({ status: 429, retryAfter: '7', body: 'slow down' });
  });

  it('reads a robot answer: errcode 0 in a 200 is success, another errcode a refusal', async () => {
    let answer = '{"errcode":0,"errmsg":"ok"}';
    const hook = await endpoint((req, res) => void readBody(req).then(() => res.end(answer)));
    const attempt = attemptTo(hook.url, { extra: '      preset: wecom\n' });
    expect(await attempt('x', new AbortController().signal)).toEqual({ status: 200 });
    answer = '{"errcode":93000,"errmsg":"invalid webhook url"}';
    expect(await attempt('x', new AbortController().signal)).toEqual({ status: 400, body: answer });
  });

  it.each([301, 302, 303, 307, 308])('does not follow a %i redirect: an error that names it, nothing sent to the new place', async (status) => {
    const elsewhere = await endpoint((_req, res) => res.end('ok'));
    const hook = await endpoint((req, res) => void readBody(req).then(() => res.writeHead(status, { location: elsewhere.url }).end()));
    const message = errorOf(await attemptTo(hook.url)('x', new AbortController().signal));
    expect(message).toBe('unexpected redirect');
    expect(hook.requests).toHaveLength(1);
    expect(elsewhere.requests).toHaveLength(0);
    expect(elsewhere.connections).toBe(0);
  });

  it('stops reading an endless answer past its cap: the first 512 characters, long before the timeout', async () => {
    let written = 0;
    let closed = false;
    const hook = await endpoint((req, res) => {
      void readBody(req).then(() => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        const piece = 'x'.repeat(64 * 1024);
        const more = () => {
          while (!closed && res.write(piece)) written += piece.length;
          if (!closed) res.once('drain', more);
        };
        res.on('close', () => (closed = true));
        more();
      });
    });
    const started = Date.now();
    const outcome = await attemptTo(hook.url, { timeoutSeconds: 8 })('x', new AbortController().signal);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(outcome).toEqual({ status: 500, retryAfter: null, body: `${'x'.repeat(512)}…` });
    // the client hung up: the server stops writing with what the socket buffers held
    await until(() => closed);
    expect(written).toBeLessThan(16 * 1024 * 1024);
  }, 20_000);

  it('a connection refused says ECONNREFUSED, not the URL', async () => {
    const hook = await endpoint(() => undefined);
    const port = hook.port;
    hook.server.close();
    servers.pop();
    const message = errorOf(await attemptTo(hook.url)('x', new AbortController().signal));
    expect(message).toMatch(/ECONNREFUSED/);
    expectNoUrl(message, port);
  });

  it('no answer within timeoutSeconds says so, not the URL, and closes the connection', async () => {
    let closed = false;
    const hook = await endpoint((req) => req.socket.on('close', () => (closed = true)));
    const message = errorOf(await attemptTo(hook.url, { timeoutSeconds: 1 })('x', new AbortController().signal));
    expect(message).toBe('no answer within 1s');
    expectNoUrl(message, hook.port);
    await until(() => closed);
  });

  it('a connection closed before the answer says what happened, not the URL', async () => {
    const hook = await endpoint((req) => void readBody(req).then(() => req.socket.destroy()));
    const message = errorOf(await attemptTo(hook.url)('x', new AbortController().signal));
    expect(message).toMatch(/socket hang up|other side closed|ECONNRESET/);
    expectNoUrl(message, hook.port);
  });

  it('the stop signal ends a request in flight at once and closes its connection', async () => {
    let closed = false;
    const hook = await endpoint((req) => req.socket.on('close', () => (closed = true)));
    const stop = new AbortController();
    const pending = attemptTo(hook.url, { timeoutSeconds: 30 })('x', stop.signal);
    await until(() => hook.requests.length === 1);
    const started = Date.now();
    stop.abort();
    expect('error' in (await pending)).toBe(true);
    expect(Date.now() - started).toBeLessThan(1_000);
    await until(() => closed);
  });

  it('a burst of messages, one after another, goes over one kept-alive connection', async () => {
    const hook = await endpoint((req, res) => void readBody(req).then(() => res.end('ok')));
    const attempt = attemptTo(hook.url);
    for (let i = 0; i < 20; i++) expect(await attempt(`m${i}`, new AbortController().signal)).toMatchObject({ status: 200 });
    expect(hook.requests).toHaveLength(20);
    expect(hook.connections).toBe(1);
  });
});

async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}
