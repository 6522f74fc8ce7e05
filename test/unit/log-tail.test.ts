// The last log lines of a failed container (src/pods/log-tail.ts, src/pods/tail-text.ts): the cap,
// what hostile bytes become, the rate limit and how failures are counted. The pods/log answers
// here come from a plain HTTP fault server (test/support/fake-api.ts) that plays the API server
// for faults and counting; test/integration/pod-log-tail.test.ts goes through the real one.
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildLine } from '../../src/line/build-line.js';
import type { EventLine } from '../../src/line/event-line.js';
import { createLogTailFetcher, type LogTailResult, requestLimitBytes } from '../../src/pods/log-tail.js';
import { CUT_AFTER, CUT_BEFORE, tailText } from '../../src/pods/tail-text.js';
import { ExporterMetrics } from '../../src/serve/metrics.js';
import { createStdoutSink } from '../../src/sinks/stdout-sink.js';
import { kubeHttpAt, startFaultServer } from '../support/fake-api.js';
import { realEvents } from '../support/real-events.js';

const utf8 = (s: string) => Buffer.from(s, 'utf8');
const bytesOf = (s: string) => Buffer.byteLength(s, 'utf8');
/** Characters JSON must escape in a string: what may never appear raw in a written line. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to find control characters
const RAW_CONTROL = /[\u0000-\u001f]/;

describe('tailText: the cap keeps the end, whole lines first', () => {
  it('a log under the cap is returned whole, without its final newline', () => {
    expect(tailText(utf8('one\ntwo\nthree\n'), 100)).toEqual({ text: 'one\ntwo\nthree', truncated: false });
    expect(tailText(utf8('no newline at the end'), 100)).toEqual({ text: 'no newline at the end', truncated: false });
    expect(tailText(Buffer.alloc(0), 100)).toEqual({ text: '', truncated: false });
  });

  it('a log over the cap keeps its last whole lines after the marker, within the cap', () => {
    const lines = Array.from({ length: 100 }, (_, i) => `line ${String(i).padStart(3, '0')} ${'x'.repeat(20)}`);
    const raw = utf8(`${lines.join('\n')}\n`);
    for (const cap of [40, 64, 100, 333, 1000]) {
      const { text, truncated } = tailText(raw, cap);
      expect(truncated).toBe(true);
      expect(bytesOf(text), `cap ${cap}`).toBeLessThanOrEqual(cap);
      expect(text.startsWith(`${CUT_BEFORE}\n`), `cap ${cap}`).toBe(true);
      const kept = text.slice(CUT_BEFORE.length + 1).split('\n');
      // Whole lines, the last ones, in order.
      expect(kept).toEqual(lines.slice(lines.length - kept.length));
      // As many as fit: one more would not.
      expect(bytesOf(`${CUT_BEFORE}\n${lines.slice(lines.length - kept.length - 1).join('\n')}`)).toBeGreaterThan(cap);
    }
  });

  it('one line longer than the cap is cut inside it, at a UTF-8 character boundary, keeping its end', () => {
    // 1-, 2-, 3- and 4-byte characters, so every cap position lands in each kind of character.
    const line = 'aé€😀'.repeat(200);
    for (let cap = CUT_BEFORE.length + 2; cap < 120; cap++) {
      const { text, truncated } = tailText(utf8(line), cap);
      expect(truncated).toBe(true);
      expect(bytesOf(text), `cap ${cap}`).toBeLessThanOrEqual(cap);
      expect(bytesOf(text), `cap ${cap}`).toBeGreaterThanOrEqual(cap - 3);
      expect(text.startsWith(CUT_BEFORE)).toBe(true);
      const kept = text.slice(CUT_BEFORE.length);
      expect(kept).not.toContain('\uFFFD');
      expect(line.endsWith(kept), `cap ${cap}: ${kept}`).toBe(true);
    }
  });

  it('invalid UTF-8 becomes U+FFFD and the cap still holds (a replacement takes 3 bytes for 1)', () => {
    const raw = Buffer.concat([utf8('ok '), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80]), utf8(' end')]);
    const whole = tailText(raw, 1000).text;
    expect(whole.startsWith('ok \uFFFD\uFFFD\uFFFD(')).toBe(true);
    expect(whole.endsWith(' end')).toBe(true);
    expect(Buffer.from(whole, 'utf8').toString('utf8')).toBe(whole);
    const garbage = Buffer.alloc(4096, 0xff);
    const capped = tailText(garbage, 100);
    expect(bytesOf(capped.text)).toBeLessThanOrEqual(100);
    expect(capped.text).toBe(`${CUT_BEFORE}${'\uFFFD'.repeat(32)}`);
  });

  it('control characters, quotes and markup are kept; JSON escapes them and gives them back unchanged', () => {
    const hostile = 'say "hi" \\ {{ .Values }} <script>alert(1)</script>\r\n\u001b[31mred\u001b[0m\u0000\ttab\u2028\u2029';
    const { text } = tailText(utf8(hostile), 1000);
    expect(text).toBe(hostile.replace(/\n$/, ''));
    const line = JSON.stringify({ container: { logTail: text } });
    expect(line).not.toMatch(RAW_CONTROL);
    expect(line).toContain('\\u001b[31m');
    expect(JSON.parse(line).container.logTail).toBe(text);
  });

  it("through the exporter's own writer (pino, stdout sink): one line, no raw control character, the tail read back unchanged", async () => {
    const hostile = Buffer.concat([utf8('"quoted" {{ .Values }} <script>x</script>\n\u001b[31mred\u001b[0m\u0000\r\t\u2028 '), Buffer.from([0xff, 0xc3])]);
    const { text } = tailText(hostile, 4096);
    const path = join(mkdtempSync(join(tmpdir(), 'eventline-logtail-')), 'out.jsonl');
    const fd = openSync(path, 'w');
    const sink = createStdoutSink('stdout', {}, fd);
    // The pod failure line is built by src/pods/ (pods-core); here any line carrying container.logTail.
    const line = { ...buildLine(realEvents()[0]!, 'warning', 1, { clusterName: 'c', maxMessageBytes: 4096 }), container: { name: 'app', logTail: text } };
    await sink.write(line as EventLine);
    await sink.flush();
    await sink.close();
    try {
      closeSync(fd);
    } catch {
      // already closed by the sink
    }
    const written = readFileSync(path, 'utf8');
    expect(written.endsWith('\n')).toBe(true);
    expect(written.slice(0, -1)).not.toMatch(RAW_CONTROL);
    expect(JSON.parse(written).container.logTail).toBe(text);
    expect(text.endsWith(' \uFFFD\uFFFD')).toBe(true);
  });

  it('an end cut by the server (limitBytes) is marked after the text, still within the cap', () => {
    expect(tailText(utf8('a\nb\n'), 100, true)).toEqual({ text: `a\nb\n${CUT_AFTER}`, truncated: true });
    const { text } = tailText(utf8('0123456789\n'.repeat(50)), 60, true);
    expect(bytesOf(text)).toBeLessThanOrEqual(60);
    expect(text.startsWith(`${CUT_BEFORE}\n`)).toBe(true);
    expect(text.endsWith(`0123456789\n${CUT_AFTER}`)).toBe(true);
  });

  it('limitBytes asked of the server is well above the cap, bounded', () => {
    expect(requestLimitBytes(4096)).toBe(65_536);
    expect(requestLimitBytes(100)).toBe(65_536);
    expect(requestLimitBytes(200_000)).toBe(1024 * 1024);
    expect(requestLimitBytes(2 * 1024 * 1024)).toBe(2 * 1024 * 1024);
  });
});

/** Counts by result, and what was warned. */
function observe() {
  const counts = new Map<LogTailResult, number>();
  const warnings: Array<{ fields: Record<string, unknown>; message: string }> = [];
  return {
    counts,
    warnings,
    metrics: { podLogRequest: (r: LogTailResult) => counts.set(r, (counts.get(r) ?? 0) + 1) },
    log: {
      warn: (fields: Record<string, unknown>, message: string) => {
        warnings.push({ fields, message });
      },
    } as never,
  };
}

async function serve(handle: http.RequestListener) {
  const requests: URL[] = [];
  const server = await startFaultServer((req, res) => {
    requests.push(new URL(req.url ?? '/', 'http://x'));
    handle(req, res);
  });
  return { ...server, requests };
}

describe('createLogTailFetcher', () => {
  const req = { namespace: 'shop', pod: 'api-7d9f', container: 'server' };

  it('asks pods/log for the previous instance, the last N lines and limitBytes, and caps the answer', async () => {
    const lines = Array.from({ length: 30 }, (_, i) => `log line ${i}`);
    const server = await serve((_req, res) => res.end(`${lines.join('\n')}\n`));
    try {
      const o = observe();
      const fetch = createLogTailFetcher(kubeHttpAt(server.url), { lines: 30, bytes: 64, perSecond: 10, metrics: o.metrics, log: o.log });
      const tail = await fetch(req);
      const url = server.requests[0]!;
      expect(url.pathname).toBe('/api/v1/namespaces/shop/pods/api-7d9f/log');
      expect(Object.fromEntries(url.searchParams)).toEqual({ container: 'server', previous: 'true', tailLines: '30', limitBytes: '65536' });
      expect(tail).toBe(`${CUT_BEFORE}\n${lines.slice(-5).join('\n')}`);
      expect(o.counts).toEqual(new Map([['ok', 1]]));
      // A container that was never restarted: its current instance.
      await fetch({ ...req, previous: false });
      expect(server.requests[1]!.searchParams.get('previous')).toBe('false');
    } finally {
      await server.close();
    }
  });

  it('the token bucket: past the burst a request is not made, counted throttled; tokens come back with time', async () => {
    const server = await serve((_req, res) => res.end('x\n'));
    let now = 1_000_000;
    try {
      const o = observe();
      const fetch = createLogTailFetcher(kubeHttpAt(server.url), { lines: 5, bytes: 100, perSecond: 2, metrics: o.metrics, log: o.log, now: () => now });
      const first = await Promise.all([fetch(req), fetch(req), fetch(req), fetch(req)]);
      expect(first).toEqual(['x', 'x', undefined, undefined]);
      expect(server.requests).toHaveLength(2);
      now += 499;
      expect(await fetch(req)).toBeUndefined();
      now += 1;
      expect(await fetch(req)).toBe('x');
      expect(server.requests).toHaveLength(3);
      expect(o.counts).toEqual(
        new Map([
          ['ok', 3],
          ['throttled', 3],
        ]),
      );
      expect(o.warnings.map((w) => w.fields.result)).toEqual(['throttled']);
    } finally {
      await server.close();
    }
  });

  it.each([
    [404, 'not_found'],
    [400, 'bad_request'],
    [403, 'forbidden'],
    [401, 'forbidden'],
    [500, 'server_error'],
    [503, 'server_error'],
    [429, 'error'],
  ] as const)('HTTP %i gives undefined, counted %s, warned once without quoting the credentials', async (status, result) => {
    const server = await serve((_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', message: `answer ${status}` }));
    });
    try {
      const o = observe();
      const fetch = createLogTailFetcher(kubeHttpAt(server.url, 'secret-bearer-token'), {
        lines: 5,
        bytes: 100,
        perSecond: 100,
        metrics: o.metrics,
        log: o.log,
      });
      expect(await fetch(req)).toBeUndefined();
      expect(await fetch(req)).toBeUndefined();
      expect(o.counts).toEqual(new Map([[result, 2]]));
      expect(o.warnings).toHaveLength(1);
      expect(o.warnings[0]!.fields).toMatchObject({ result, namespace: 'shop', pod: 'api-7d9f', container: 'server' });
      expect(String(o.warnings[0]!.fields.reason)).toContain(`answer ${status}`);
      expect(JSON.stringify(o.warnings)).not.toContain('secret-bearer-token');
    } finally {
      await server.close();
    }
  });

  it('a server that does not finish in time gives undefined, counted timeout; headers sent and then silence too', async () => {
    const held: http.ServerResponse[] = [];
    const server = await serve((r, res) => {
      held.push(res);
      if (new URL(r.url ?? '/', 'http://x').searchParams.get('container') === 'half') res.write('started\n');
    });
    try {
      const o = observe();
      const fetch = createLogTailFetcher(kubeHttpAt(server.url), { lines: 5, bytes: 100, perSecond: 100, metrics: o.metrics, log: o.log, timeoutMs: 300 });
      const started = Date.now();
      expect(await fetch(req)).toBeUndefined();
      expect(await fetch({ ...req, container: 'half' })).toBeUndefined();
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(o.counts).toEqual(new Map([['timeout', 2]]));
    } finally {
      for (const res of held) res.destroy();
      await server.close();
    }
  });

  it('a connection refused gives undefined, counted error', async () => {
    const server = await serve((_req, res) => res.end());
    await server.close();
    const o = observe();
    const fetch = createLogTailFetcher(kubeHttpAt(server.url), { lines: 5, bytes: 100, perSecond: 100, metrics: o.metrics, log: o.log });
    expect(await fetch(req)).toBeUndefined();
    expect(o.counts).toEqual(new Map([['error', 1]]));
  });

  it('an answer longer than limitBytes is read no further and its end is marked as cut', async () => {
    // A server that ignores limitBytes (the kubelet honours it; this plays one that does not).
    let written = 0;
    const server = await serve((_req, res) => {
      const chunk = Buffer.alloc(16 * 1024, 'y\n');
      const push = () => {
        while (written < 4 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', push);
        }
        res.end();
      };
      res.on('error', () => undefined);
      push();
    });
    try {
      const o = observe();
      const fetch = createLogTailFetcher(kubeHttpAt(server.url), { lines: 1_000_000, bytes: 1000, perSecond: 100, metrics: o.metrics, log: o.log });
      const tail = (await fetch(req))!;
      expect(bytesOf(tail)).toBeLessThanOrEqual(1000);
      expect(tail.startsWith(`${CUT_BEFORE}\n`)).toBe(true);
      expect(tail.endsWith(CUT_AFTER)).toBe(true);
      expect(o.counts).toEqual(new Map([['ok', 1]]));
    } finally {
      await server.close();
    }
  });

  it('counts reach pod_log_requests_total{result} on /metrics', async () => {
    const metrics = new ExporterMetrics('test_', false);
    metrics.podLogRequest('ok');
    metrics.podLogRequest('forbidden');
    metrics.podLogRequest('forbidden');
    const text = await metrics.registry.metrics();
    expect(text).toContain('test_pod_log_requests_total{result="ok"} 1');
    expect(text).toContain('test_pod_log_requests_total{result="forbidden"} 2');
  });
});
