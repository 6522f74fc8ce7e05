/**
 * The webhook receiver against FAKE chat services on 127.0.0.1 (test/support/fake-chat-server.ts:
 * Slack, Teams, DingTalk and WeCom cannot run here): bodies, escaping, signing, retries,
 * Retry-After, refusals, collapsing and the bounded queue.
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import MarkdownIt from 'markdown-it';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { buildLine } from '../../src/line/build-line.js';
import type { EventLine, RawEvent } from '../../src/line/event-line.js';
import { buildExporter } from '../../src/run.js';
import { ExporterMetrics } from '../../src/serve/metrics.js';
import { createSinks } from '../../src/sinks/create-sinks.js';
import type { Sink } from '../../src/sinks/sink.js';
import type { WebhookReceiverConfig } from '../../src/sinks/webhook/webhook-schema.js';
import { createWebhookSink, type WebhookSink } from '../../src/sinks/webhook/webhook-sink.js';
import { FakeChatServer } from '../support/fake-chat-server.js';
import { logCapture } from '../support/log-capture.js';
import { realEvents } from '../support/real-events.js';

const NASTY = 'He said "stop" \'now\'\nline two `rm -rf` {{ .Reason }} <script>alert(1)</script> [x](http://y) *bold* _it_ # h & &amp; |a|b|\n    indented';

const servers: FakeChatServer[] = [];
const sinks: WebhookSink[] = [];
afterEach(async () => {
  while (sinks.length) await sinks.pop()!.close();
  while (servers.length) await servers.pop()!.stop();
});

function receiverFrom(yaml: string, env: NodeJS.ProcessEnv = {}): WebhookReceiverConfig {
  const { config } = loadConfig(yaml, 'test.yaml', env);
  const receiver = config.receivers[0]!;
  if (receiver.type !== 'webhook') throw new Error('not a webhook');
  return receiver;
}

async function started(answer?: ConstructorParameters<typeof FakeChatServer>[0]) {
  const server = new FakeChatServer(answer);
  servers.push(server);
  return { server, url: await server.start() };
}

function sinkFor(receiver: WebhookReceiverConfig) {
  const metrics = new ExporterMetrics('t_', false);
  const { log, lines } = logCapture();
  const sink = createWebhookSink(receiver, metrics, log);
  sinks.push(sink);
  return { sink, metrics, logLines: lines };
}

async function metricValue(metrics: ExporterMetrics, name: string, labels: Record<string, string>): Promise<number> {
  const metric = await metrics.registry.getSingleMetric(`t_${name}`)!.get();
  return metric.values.filter((v) => Object.entries(labels).every(([k, value]) => v.labels[k] === value)).reduce((n, v) => n + v.value, 0);
}

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const backOff = realEvents().find((e) => e.reason === 'BackOff' && e.involvedObject?.kind === 'Pod')!;

function lineOf(event: RawEvent, overrides: Partial<EventLine> = {}, delta = 1): EventLine {
  return { ...buildLine(event, 'warning', delta, { clusterName: 'prod-eu', maxMessageBytes: 4096 }, undefined, Date.now()), ...overrides };
}

const nastyLine = () => lineOf(backOff, { message: NASTY });

const receiverYaml = (webhook: string) =>
  `route: { match: [{ receiver: chat }] }\nreceivers:\n  - name: chat\n    webhook:\n${webhook.replace(/^/gm, '      ')}\n`;

/** Markdown structure no event text may create. */
const FOREIGN_STRUCTURE = [
  'link_open',
  'image',
  'code_inline',
  'code_block',
  'fence',
  'html_inline',
  'html_block',
  'em_open',
  's_open',
  'blockquote_open',
  'table_open',
  'hr',
  'ordered_list_open',
];

/** The text a CommonMark renderer shows for markdown, and the structure it found. */
function renderMarkdown(markdown: string): { text: string; structure: string[] } {
  const tokens = new MarkdownIt({ html: true, linkify: false }).parse(markdown, {});
  let text = '';
  const structure: string[] = [];
  const walk = (list: ReturnType<InstanceType<typeof MarkdownIt>['parse']>) => {
    for (const token of list) {
      if (token.children) walk(token.children);
      else if (token.type === 'text') text += token.content;
      else if (token.type === 'softbreak' || token.type === 'hardbreak') text += '\n';
      else structure.push(token.type);
      if (token.type === 'paragraph_close' || token.type === 'heading_close' || token.type === 'list_item_close') text += '\n\n';
    }
  };
  walk(tokens);
  return { text, structure };
}

describe('presets: each body as the service documents it, event text arriving as text', () => {
  it('slack: text fallback and Block Kit blocks, event text in plain_text', async () => {
    const { server, url } = await started();
    const { sink } = sinkFor(receiverFrom(receiverYaml(`endpoint: ${url}/services/T0/B0/x\npreset: slack\ncollapseSeconds: 0`)));
    sink.write(nastyLine());
    await until('one request', () => server.requests.length === 1);
    const request = server.requests[0]!;
    expect(request.method).toBe('POST');
    expect(request.headers['content-type']).toMatch(/^application\/json/);
    const body = JSON.parse(request.body);
    expect(Object.keys(body).sort()).toEqual(['blocks', 'mrkdwn', 'text']);
    expect(body.mrkdwn).toBe(false);
    // the fallback: Slack's three control characters escaped, nothing else touched
    expect(body.text).not.toMatch(/[<>]/);
    expect(body.text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')).toContain(NASTY);
    expect(body.blocks.map((b: { type: string }) => b.type)).toEqual(['header', 'section', 'section']);
    const [header, message, facts] = body.blocks;
    expect(header.text).toEqual({
      type: 'plain_text',
      text: `WARNING BackOff: Pod ${backOff.involvedObject!.namespace}/${backOff.involvedObject!.name}`,
      emoji: false,
    });
    expect(header.text.text.length).toBeLessThanOrEqual(150);
    expect(message.text).toEqual({ type: 'plain_text', text: NASTY, emoji: false });
    expect(facts.fields.length).toBeLessThanOrEqual(10);
    for (const field of facts.fields) expect(field.type).toBe('plain_text');
    expect(facts.fields.map((f: { text: string }) => f.text)).toContain('Reason: BackOff');
    expect(facts.fields.map((f: { text: string }) => f.text)).toContain('Cluster: prod-eu');
  });

  it('teams: a message with one Adaptive Card, event text in TextRuns (no markdown there)', async () => {
    const { server, url } = await started();
    const { sink } = sinkFor(receiverFrom(receiverYaml(`endpoint: ${url}/workflows/x\npreset: teams\ncollapseSeconds: 0`)));
    sink.write(nastyLine());
    await until('one request', () => server.requests.length === 1);
    const body = JSON.parse(server.requests[0]!.body);
    expect(body.type).toBe('message');
    expect(body.attachments).toHaveLength(1);
    const attachment = body.attachments[0];
    expect(attachment.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(attachment.contentUrl).toBeNull();
    const card = attachment.content;
    expect(card.type).toBe('AdaptiveCard');
    expect(card.$schema).toBe('http://adaptivecards.io/schemas/adaptive-card.json');
    expect(card.version).toBe('1.4');
    for (const block of card.body) {
      expect(block.type).toBe('RichTextBlock');
      for (const inline of block.inlines) {
        expect(inline.type).toBe('TextRun');
        expect(typeof inline.text).toBe('string');
      }
    }
    expect(card.body[0].inlines[0]).toMatchObject({ weight: 'Bolder', color: 'Warning' });
    expect(card.body[1].inlines).toEqual([{ type: 'TextRun', text: NASTY }]);
    const facts = card.body.slice(2).map((b: { inlines: Array<{ text: string }> }) => b.inlines.map((i) => i.text).join(''));
    expect(facts).toContain('Reason: BackOff');
  });

  it('dingtalk: markdown msgtype, signed with timestamp and sign = HMAC-SHA256 as DingTalk documents', async () => {
    const { server, url } = await started(() => ({ status: 200, body: '{"errcode":0,"errmsg":"ok"}' }));
    const secretDir = mkdtempSync(join(tmpdir(), 'kee-webhook-'));
    writeFileSync(join(secretDir, 'secret'), 'SECabc123\n');
    const before = Date.now();
    const { sink, metrics } = sinkFor(
      receiverFrom(
        receiverYaml(
          `endpoint: ${url}/robot/send?access_token=\${DINGTALK_TOKEN}\npreset: dingtalk\nsecretFile: ${join(secretDir, 'secret')}\ncollapseSeconds: 0`,
        ),
        { DINGTALK_TOKEN: 'tok' },
      ),
    );
    sink.write(nastyLine());
    await until('one request', () => server.requests.length === 1);
    const request = server.requests[0]!;
    expect(request.url.pathname).toBe('/robot/send');
    expect(request.url.searchParams.get('access_token')).toBe('tok');
    const timestamp = Number(request.url.searchParams.get('timestamp'));
    expect(timestamp).toBeGreaterThanOrEqual(before);
    expect(timestamp).toBeLessThanOrEqual(request.at);
    // recomputed here from DingTalk's description: base64(HMAC-SHA256(key=secret, timestamp + "\n" + secret))
    const expected = createHmac('sha256', 'SECabc123').update(`${timestamp}\nSECabc123`).digest('base64');
    expect(request.url.searchParams.get('sign')).toBe(expected);
    const body = JSON.parse(request.body);
    expect(Object.keys(body).sort()).toEqual(['markdown', 'msgtype']);
    expect(body.msgtype).toBe('markdown');
    expect(typeof body.markdown.title).toBe('string');
    expect(body.markdown.title).toContain('BackOff');
    const rendered = renderMarkdown(body.markdown.text);
    expect(rendered.text).toContain(NASTY);
    expect(rendered.structure.filter((t) => FOREIGN_STRUCTURE.includes(t))).toEqual([]);
    // the only structure is ours: a heading, paragraphs, the facts list with bold titles
    expect(new Set(rendered.structure)).toEqual(
      new Set([
        'heading_open',
        'heading_close',
        'paragraph_open',
        'paragraph_close',
        'bullet_list_open',
        'bullet_list_close',
        'list_item_open',
        'list_item_close',
        'strong_open',
        'strong_close',
      ]),
    );
    await until('counted as sent', () => sink.queued === 0);
    expect(await metricValue(metrics, 'webhook_messages_sent_total', { receiver: 'chat' })).toBe(1);
  });

  it('wecom: markdown msgtype with content within 4096 bytes, event text escaped', async () => {
    const { server, url } = await started(() => ({ status: 200, body: '{"errcode":0,"errmsg":"ok"}' }));
    const { sink } = sinkFor(
      receiverFrom(receiverYaml(`endpoint: ${url}/cgi-bin/webhook/send?key=\${WECOM_KEY}\npreset: wecom\ncollapseSeconds: 0`), { WECOM_KEY: 'k' }),
    );
    sink.write(nastyLine());
    sink.write(lineOf(backOff, { message: `${'日本語 <b>'.repeat(600)}`, reason: 'Other' }));
    await until('two requests', () => server.requests.length === 2);
    const [first, long] = server.bodies<{ msgtype: string; markdown: { content: string } }>();
    expect(first!.msgtype).toBe('markdown');
    expect(Object.keys(first!.markdown)).toEqual(['content']);
    const rendered = renderMarkdown(first!.markdown.content);
    expect(rendered.text).toContain(NASTY);
    expect(rendered.structure.filter((t) => FOREIGN_STRUCTURE.includes(t) && t !== 'html_inline')).toEqual([]);
    // our own <font> tag is the only HTML
    expect(rendered.structure.filter((t) => t === 'html_inline')).toHaveLength(2);
    expect(Buffer.byteLength(long!.markdown.content)).toBeLessThanOrEqual(4096);
    expect(renderMarkdown(long!.markdown.content).text).toContain('日本語 <b>日本語');
  });

  it('a KEE layout puts event text into JSON strings, where it stays text', async () => {
    const { server, url } = await started();
    const { sink } = sinkFor(receiverFrom(receiverYaml(`endpoint: ${url}\ncollapseSeconds: 0\nlayout:\n  text: "{{ .Message }}"\n  reason: "{{ .Reason }}"`)));
    sink.write(nastyLine());
    await until('one request', () => server.requests.length === 1);
    expect(JSON.parse(server.requests[0]!.body)).toEqual({ text: NASTY, reason: 'BackOff' });
  });

  it('without layout or preset the body is the event line itself', async () => {
    const { server, url } = await started();
    const { sink } = sinkFor(receiverFrom(receiverYaml(`endpoint: ${url}\ncollapseSeconds: 0`)));
    const line = nastyLine();
    sink.write(line);
    await until('one request', () => server.requests.length === 1);
    expect(JSON.parse(server.requests[0]!.body)).toEqual(JSON.parse(JSON.stringify(line)));
  });
});

describe('delivery', () => {
  const fast = 'retries: { max: 3, minBackoffSeconds: 0.05, maxBackoffSeconds: 0.2 }\ncollapseSeconds: 0';

  it('500 then 200: delivered once', async () => {
    const { server, url } = await started((_r, i) => (i === 0 ? { status: 500, body: 'boom' } : { status: 200 }));
    const { sink, metrics } = sinkFor(receiverFrom(receiverYaml(`endpoint: ${url}\n${fast}`)));
    sink.write(nastyLine());
    await until('two requests', () => server.requests.length === 2);
    await until('sent', () => sink.queued === 0);
    await new Promise((r) => setTimeout(r, 300)); // nothing more comes
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]!.body).toBe(server.requests[0]!.body);
    expect(await metricValue(metrics, 'webhook_messages_sent_total', { receiver: 'chat' })).toBe(1);
    expect(await metricValue(metrics, 'webhook_retries_total', { receiver: 'chat' })).toBe(1);
  });

  it('429 with Retry-After: 2 is retried no sooner than 2 s later (server timestamps)', async () => {
    const { server, url } = await started((_r, i) => (i === 0 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 200 }));
    const { sink } = sinkFor(receiverFrom(receiverYaml(`endpoint: ${url}\n${fast}`)));
    sink.write(nastyLine());
    await until('two requests', () => server.requests.length === 2, 10_000);
    expect(server.requests[1]!.at - server.requests[0]!.at).toBeGreaterThanOrEqual(2000);
  });

  it('400 is not retried; it is counted and logged once with the answer', async () => {
    const { server, url } = await started(() => ({ status: 400, body: 'invalid_payload' }));
    const { sink, metrics, logLines } = sinkFor(receiverFrom(receiverYaml(`endpoint: ${url}\n${fast}`)));
    sink.write(nastyLine());
    await until('rejected', () => logLines.some((l) => l.why === 'rejected'));
    await new Promise((r) => setTimeout(r, 400));
    expect(server.requests).toHaveLength(1);
    expect(await metricValue(metrics, 'webhook_dropped_total', { receiver: 'chat', why: 'rejected' })).toBe(1);
    const logged = logLines.filter((l) => l.why === 'rejected');
    expect(logged).toHaveLength(1);
    expect(logged[0]!.last).toContain('invalid_payload');
    expect(JSON.stringify(logLines)).not.toContain(url);
  });

  it('a DingTalk errcode in a 200 answer is a refusal, not a success', async () => {
    const { server, url } = await started(() => ({ status: 200, body: '{"errcode":310000,"errmsg":"sign not match"}' }));
    const { sink, metrics } = sinkFor(receiverFrom(receiverYaml(`endpoint: ${url}\npreset: dingtalk\nsecret: \${S}\n${fast}`), { S: 'x' }));
    sink.write(nastyLine());
    await until('rejected', () => server.requests.length === 1);
    await until('counted', () => sink.queued === 0);
    expect(await metricValue(metrics, 'webhook_dropped_total', { receiver: 'chat', why: 'rejected' })).toBe(1);
    expect(await metricValue(metrics, 'webhook_messages_sent_total', { receiver: 'chat' })).toBe(0);
  });

  it('twenty BackOff updates of one pod within the window: one message, then one "×19 more since" summary', async () => {
    const { server, url } = await started();
    const { sink, metrics } = sinkFor(
      receiverFrom(receiverYaml(`endpoint: ${url}\npreset: slack\ncollapseSeconds: 1\nrateLimit: { perMinute: 6000, burst: 10 }`)),
    );
    const first = lineOf(backOff, { count: 1, time: '2026-11-21T03:00:00.000Z' });
    for (let i = 0; i < 20; i++) sink.write({ ...first, count: i + 1, time: `2026-11-21T03:00:${String(i).padStart(2, '0')}.000Z` });
    await until('first message', () => server.requests.length === 1);
    await new Promise((r) => setTimeout(r, 2500)); // past the window, and past a second one
    expect(server.requests).toHaveLength(2);
    const [message, summary] = server.bodies<{ blocks: Array<{ text?: { text: string } }> }>();
    expect(message!.blocks[0]!.text!.text).toMatch(/^WARNING BackOff: Pod /);
    expect(summary!.blocks[0]!.text!.text).toMatch(/^×19 more since 2026-11-21T03:00:00\.000Z · WARNING BackOff: Pod /);
    expect(await metricValue(metrics, 'webhook_collapsed_occurrences_total', { receiver: 'chat' })).toBe(19);
  });

  it('a hanging endpoint: write never waits, the queue stays at its size, the rest is dropped and counted in one log line', async () => {
    const { server, url } = await started(() => 'hang');
    const { sink, metrics, logLines } = sinkFor(
      receiverFrom(
        receiverYaml(
          `endpoint: ${url}\nqueueSize: 50\ntimeoutSeconds: 30\ncollapseSeconds: 0\nstopTimeoutSeconds: 0.2\nrateLimit: { perMinute: 60000, burst: 100 }`,
        ),
      ),
    );
    const line = lineOf(backOff);
    let maxQueued = 0;
    for (let i = 0; i < 10_000; i++) {
      const pending = sink.write({ ...line, metadata: { ...line.metadata, uid: `u${i}` } });
      expect(pending).toBeUndefined();
      maxQueued = Math.max(maxQueued, sink.queued);
    }
    expect(maxQueued).toBeLessThanOrEqual(51); // 50 waiting + the one in flight
    await until('the first request arrived', () => server.requests.length === 1);
    const dropped = await metricValue(metrics, 'webhook_dropped_total', { receiver: 'chat', why: 'queue_full' });
    expect(dropped).toBeGreaterThanOrEqual(10_000 - 51);
    const fullLines = logLines.filter((l) => l.why === 'queue_full');
    expect(fullLines).toHaveLength(1); // the first drop is said at once; the rest are summed into the next line
    const closing = Date.now();
    await sink.close();
    expect(Date.now() - closing).toBeLessThan(5000);
    const total =
      (await metricValue(metrics, 'webhook_dropped_total', { receiver: 'chat' })) +
      (await metricValue(metrics, 'webhook_messages_sent_total', { receiver: 'chat' }));
    expect(total).toBe(10_000);
    expect(logLines.filter((l) => l.why === 'queue_full').reduce((n, l) => n + (l.dropped as number), 0)).toBe(dropped);
    sinks.length = 0;
  });
});

describe('delivery: timeouts, pace, stopping', () => {
  it('a request that gets no answer within timeoutSeconds is retried, and delivered once', async () => {
    const { server, url } = await started((_r, i) => (i === 0 ? 'hang' : { status: 200 }));
    const { sink, metrics } = sinkFor(
      receiverFrom(
        receiverYaml(`endpoint: ${url}\ntimeoutSeconds: 0.3\ncollapseSeconds: 0\nretries: { max: 2, minBackoffSeconds: 0.05, maxBackoffSeconds: 0.1 }`),
      ),
    );
    sink.write(nastyLine());
    await until('the retry', () => server.requests.length === 2);
    await until('sent', () => sink.queued === 0);
    // (the server stamps a request when its body has arrived, a little after the client's clock started)
    expect(server.requests[1]!.at - server.requests[0]!.at).toBeGreaterThanOrEqual(200);
    expect(await metricValue(metrics, 'webhook_messages_sent_total', { receiver: 'chat' })).toBe(1);
    expect(await metricValue(metrics, 'webhook_retries_total', { receiver: 'chat' })).toBe(1);
  });

  it('the rate limit spaces requests: 120 a minute with burst 1 is one every 500 ms (server timestamps)', async () => {
    const { server, url } = await started();
    const { sink } = sinkFor(receiverFrom(receiverYaml(`endpoint: ${url}\ncollapseSeconds: 0\nrateLimit: { perMinute: 120, burst: 1 }`)));
    for (const reason of ['A', 'B', 'C']) sink.write(lineOf(backOff, { reason }));
    await until('three requests', () => server.requests.length === 3);
    const [a, b, c] = server.requests.map((r) => r.at);
    expect(b! - a!).toBeGreaterThanOrEqual(480);
    expect(c! - b!).toBeGreaterThanOrEqual(480);
  });

  it('at stop, what is queued and the held repeat summaries still go out within stopTimeoutSeconds', async () => {
    const { server, url } = await started();
    const { sink, metrics } = sinkFor(
      receiverFrom(receiverYaml(`endpoint: ${url}\ncollapseSeconds: 300\nstopTimeoutSeconds: 5\nrateLimit: { perMinute: 6000, burst: 1 }`)),
    );
    sink.write(lineOf(backOff, { reason: 'One' }));
    sink.write(lineOf(backOff, { reason: 'Two' }));
    sink.write(lineOf(backOff, { reason: 'Two' })); // held back: its summary goes at stop
    await sink.close();
    sinks.length = 0;
    const bodies = server.bodies<{ reason: string; message: string; delta: number }>();
    expect(bodies.map((b) => b.reason)).toEqual(['One', 'Two', 'Two']);
    expect(bodies[2]!.message).toMatch(/^×1 more since \S+: /);
    expect(bodies[2]!.delta).toBe(1);
    expect(await metricValue(metrics, 'webhook_dropped_total', { receiver: 'chat' })).toBe(0);
  });

  it('teams: an Adaptive Card date function in event text stays text', async () => {
    const { server, url } = await started();
    const { sink } = sinkFor(receiverFrom(receiverYaml(`endpoint: ${url}\npreset: teams\ncollapseSeconds: 0`)));
    sink.write(lineOf(backOff, { message: 'at {{DATE(2026-01-01T00:00:00Z, SHORT)}}' }));
    await until('one request', () => server.requests.length === 1);
    const text: string = JSON.parse(server.requests[0]!.body).attachments[0].content.body[1].inlines[0].text;
    expect(text).toBe('at {{\u2060DATE(2026-01-01T00:00:00Z, SHORT)}}');
    expect(text).not.toMatch(/\{\{DATE\(/);
  });
});

describe('a hanging webhook in the pipeline', () => {
  it('100,000 Events through the Exporter: stdout gets every line, the pipeline never waits, the queue never passes its size, every notice is accounted for', async () => {
    const { url } = await started(() => 'hang');
    const { config } = loadConfig(
      `enrichment: { enabled: false }
maxEventAgeSeconds: 2592000
route: { match: [{ receiver: stdout }, { receiver: hook }] }
receivers:
  - { name: stdout, stdout: {} }
  - name: hook
    webhook: { endpoint: "${url}/hang", preset: slack, queueSize: 200, collapseSeconds: 0, timeoutSeconds: 60, stopTimeoutSeconds: 0.2, rateLimit: { perMinute: 60000, burst: 100 } }
`,
      'pipeline.yaml',
      {},
    );
    let stdoutLines = 0;
    const stdout: Sink = { name: 'stdout', write: () => void stdoutLines++, flush: async () => {}, close: async () => {} };
    const metrics = new ExporterMetrics('t_', false);
    const { log, lines: logLines } = logCapture();
    const sinks = createSinks(
      config.receivers.filter((r) => r.type === 'webhook'),
      { metrics, log },
    );
    const hook = sinks.get('hook') as WebhookSink;
    sinks.set('stdout', stdout);
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromClusterAndUser({ name: 'none', server: 'https://127.0.0.1:1', skipTLSVerify: false }, { name: 'none' });
    // built as run.ts builds the exporter, and as the webhook benchmark does; not started: fed directly
    const { exporter } = buildExporter(config, kubeConfig, log, { sinks, metrics });
    const events = realEvents();
    const total = 100_000;
    let waited = 0;
    let maxQueued = 0;
    for (let i = 0; i < total; i++) {
      const template = events[i % events.length]!;
      const event = { ...template, metadata: { ...template.metadata, uid: `uid-${i}` } };
      if (exporter.ingest('ADDED', event) !== undefined) waited++;
      if ((i & 255) === 0) {
        maxQueued = Math.max(maxQueued, hook.queued);
        if ((i & 4095) === 0) await new Promise((r) => setImmediate(r)); // let the sender run
      }
    }
    expect(stdoutLines).toBe(total);
    expect(waited).toBe(0);
    expect(maxQueued).toBeLessThanOrEqual(201);
    await hook.close();
    const dropped = await metricValue(metrics, 'webhook_dropped_total', { receiver: 'hook' });
    const sent = await metricValue(metrics, 'webhook_messages_sent_total', { receiver: 'hook' });
    expect(sent).toBe(0);
    expect(dropped).toBe(total);
    expect(await metricValue(metrics, 'webhook_dropped_total', { receiver: 'hook', why: 'queue_full' })).toBeGreaterThanOrEqual(total - 201);
    expect(await metricValue(metrics, 'lines_written_total', { receiver: 'stdout' })).toBe(total);
    // one line at the first drop, then at most one per 10 s: this ran in far less
    expect(logLines.filter((l) => l.why === 'queue_full').length).toBeLessThanOrEqual(2);
  });
});
