/**
 * The webhook receiver's config: a KEE config with a webhook and a layout (written here in the
 * shape KEE's README documents) loads and sends what KEE would for a real Event; templates
 * kube-eventline cannot render are config errors with file:line:col; secrets from files;
 * inline tokens draw a warning. The endpoint is a FAKE service on 127.0.0.1.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { buildLine } from '../../src/line/build-line.js';
import { compileRoute, routeLine } from '../../src/route/compile-route.js';
import { ExporterMetrics } from '../../src/serve/metrics.js';
import { createSinks } from '../../src/sinks/create-sinks.js';
import type { Sink } from '../../src/sinks/sink.js';
import { WebhookSecretError } from '../../src/sinks/webhook/secrets.js';
import { problemsOf } from '../support/config-problems.js';
import { FakeChatServer } from '../support/fake-chat-server.js';
import { realEvents, repoPath } from '../support/real-events.js';

const servers: FakeChatServer[] = [];
const opened: Sink[] = [];
afterEach(async () => {
  while (opened.length) await opened.pop()!.close();
  while (servers.length) await servers.pop()!.stop();
});

const silent = pino({ level: 'silent' });

describe('a KEE config with a webhook receiver and a layout', () => {
  // The shape of KEE's README ("Customizing Payload" and "Webhooks/HTTP"), written for this test.
  const keeConfig = (endpoint: string) => `logLevel: info
logFormat: json
route:
  routes:
    - match:
        - receiver: "hook"
receivers:
  - name: "hook"
    webhook:
      endpoint: "${endpoint}"
      headers:
        X-API-KEY: "\${HOOK_API_KEY}"
        User-Agent: kube-event-exporter 1.0
      layout:
        region: "eu-central-1"
        eventType: "kubernetes-event"
        createdAt: "{{ .GetTimestampMs }}"
        details:
          message: "{{ .Message }}"
          reason: "{{ .Reason }}"
          type: "{{ .Type }}"
          count: "{{ .Count }}"
          kind: "{{ .InvolvedObject.Kind }}"
          name: "{{ .InvolvedObject.Name }}"
          namespace: "{{ .Namespace }}"
          component: "{{ .Source.Component }}"
          host: "{{ .Source.Host }}"
          labels: "{{ toJson .InvolvedObject.Labels}}"
          owner: "{{ .InvolvedObject.Labels.owner }}"
          first: "{{ .FirstTimestamp }}"
          iso: "{{ .GetTimestampISO8601 }}"
`;

  it('loads, and sends the body KEE would for a real BackOff Event', async () => {
    const server = new FakeChatServer();
    servers.push(server);
    const url = await server.start();
    const { config, warnings } = loadConfig(keeConfig(`${url}/kee`), 'kee.yaml', { HOOK_API_KEY: 'k-123' });
    expect(warnings).toEqual([]);
    const sinks = createSinks(config.receivers, { metrics: new ExporterMetrics('t_', false), log: silent });
    const sink = sinks.get('hook')!;
    opened.push(sink);
    const event = realEvents().find((e) => e.reason === 'BackOff' && typeof e.count === 'number' && e.firstTimestamp)!;
    sink.write(buildLine(event, 'warning', 1, { clusterName: '', maxMessageBytes: 4096 }, undefined, Date.now()));
    const deadline = Date.now() + 5000;
    while (server.requests.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const request = server.requests[0]!;
    expect(request.url.pathname).toBe('/kee');
    expect(request.headers['x-api-key']).toBe('k-123');
    expect(request.headers['user-agent']).toBe('kube-event-exporter 1.0');
    // What KEE's Go templates print for this Event, worked out from the Event itself:
    // GetTimestampMs is firstTimestamp in ms; .Count the Event's count; a nil Labels map is null
    // in toJson and "<no value>" for a missing key; a metav1.Time prints as Go's time.String().
    const first = new Date(event.firstTimestamp!);
    const goTime = `${event.firstTimestamp!.slice(0, 10)} ${event.firstTimestamp!.slice(11, 19)} +0000 UTC`;
    expect(JSON.parse(request.body)).toEqual({
      region: 'eu-central-1',
      eventType: 'kubernetes-event',
      createdAt: String(first.getTime()),
      details: {
        message: event.message,
        reason: 'BackOff',
        type: event.type,
        count: String(event.count),
        kind: event.involvedObject!.kind,
        name: event.involvedObject!.name,
        namespace: event.metadata.namespace,
        component: event.source!.component,
        host: event.source!.host,
        labels: 'null',
        owner: '<no value>',
        first: goTime,
        iso: first.toISOString(),
      },
    });
  });
});

describe('templates kube-eventline cannot render are config errors at load', () => {
  it('names file, line, column and the layout key, and says what is supported', () => {
    const text = `route: { match: [{ receiver: hook }] }
receivers:
  - name: hook
    webhook:
      endpoint: http://127.0.0.1:9/x
      layout:
        a: "{{ .Reason | upper }}"
        b: "{{ if .Reason }}x{{ end }}"
        nested:
          c: "{{ .InvolvedObject.Nmae }}"
        d: "{{ .InvolvedObject }}"
        e: "{{ .Reason "
      tls: { insecureSkipVerify: true }
`;
    expect(problemsOf(() => loadConfig(text, 'c.yaml', {}))).toEqual([
      'c.yaml:7:12: receivers[0].webhook.layout.a: template: unknown function "upper" at column 14 (supported: toJson, toPrettyJson, index, and field access such as .Reason)',
      'c.yaml:8:12: receivers[0].webhook.layout.b: template: "if" is not supported, at column 4 (supported: field access, toJson, toPrettyJson, index)',
      'c.yaml:10:14: receivers[0].webhook.layout.nested.c: template: unknown field "Nmae" in .InvolvedObject.Nmae at column 4 (fields here: Kind, Namespace, Name, UID, APIVersion, ResourceVersion, FieldPath, Labels, Annotations, OwnerReferences, Deleted, Workload)',
      'c.yaml:11:12: receivers[0].webhook.layout.d: template: .InvolvedObject at column 4 is not a single value: write {{ toJson .InvolvedObject }}',
      'c.yaml:12:12: receivers[0].webhook.layout.e: template: unclosed action "{{" at column 1',
      'c.yaml:13:12: receivers[0].webhook.tls: tls is not supported: https endpoints are checked against the system CA certificates',
    ]);
  });

  it('a preset and a layout together, a secret without dingtalk, no endpoint: each said', () => {
    const text = `route: { match: [{ receiver: a }, { receiver: b }] }
receivers:
  - name: a
    webhook: { endpoint: "http://127.0.0.1:9/x", preset: slack, layout: { t: "{{ .Reason }}" }, secret: s }
  - name: b
    webhook: { preset: telegram }
`;
    expect(problemsOf(() => loadConfig(text, 'c.yaml', {}))).toEqual([
      'c.yaml:4:73: receivers[0].webhook.layout: give a preset or a layout, not both',
      'c.yaml:4:105: receivers[0].webhook.secret: a signing secret is only used by preset: dingtalk',
      'c.yaml:6:24: receivers[1].webhook.preset: unknown preset "telegram" (presets: slack, teams, dingtalk, wecom)',
    ]);
  });
});

describe('secrets', () => {
  it('an endpoint, a header and a signing secret from files (a mounted Secret), the trailing newline dropped', async () => {
    const server = new FakeChatServer(() => ({ status: 200, body: '{"errcode":0}' }));
    servers.push(server);
    const url = await server.start();
    const dir = mkdtempSync(join(tmpdir(), 'webhook-secret-'));
    writeFileSync(join(dir, 'url'), `${url}/robot/send?access_token=t0k\n`);
    writeFileSync(join(dir, 'auth'), 'Bearer abc\n');
    const { config, warnings } = loadConfig(
      `route: { match: [{ receiver: ding }] }\nreceivers:\n  - name: ding\n    webhook:\n      endpointFile: ${dir}/url\n      headerFiles: { Authorization: ${dir}/auth }\n      preset: dingtalk\n      collapseSeconds: 0\n`,
      'c.yaml',
      {},
    );
    expect(warnings).toEqual([]);
    const sink = createSinks(config.receivers, { metrics: new ExporterMetrics('t_', false), log: silent }).get('ding')!;
    opened.push(sink);
    sink.write(buildLine(realEvents()[0]!, 'normal', 1, { clusterName: '', maxMessageBytes: 4096 }, undefined, Date.now()));
    const deadline = Date.now() + 5000;
    while (server.requests.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(server.requests[0]!.url.searchParams.get('access_token')).toBe('t0k');
    expect(server.requests[0]!.headers.authorization).toBe('Bearer abc');
  });

  it('a secret file that is missing stops the start naming receiver and file, not any secret', () => {
    const { config } = loadConfig(
      'route: { match: [{ receiver: ding }] }\nreceivers:\n  - name: ding\n    webhook: { endpointFile: /nonexistent/url, preset: dingtalk, secret: "${S}" }\n',
      'c.yaml',
      { S: 'very-secret-value' },
    );
    expect(() => createSinks(config.receivers, { metrics: new ExporterMetrics('t_', false), log: silent })).toThrow(
      new WebhookSecretError('ding', 'the endpoint', '/nonexistent/url', 'file not found'),
    );
    try {
      createSinks(config.receivers, { metrics: new ExporterMetrics('t_', false), log: silent });
    } catch (err) {
      expect((err as Error).message).not.toContain('very-secret-value');
    }
  });

  it('a token written inline draws a warning; the same from ${VAR} or a file does not', () => {
    const inline = `route: { match: [{ receiver: s }, { receiver: d }] }
receivers:
  - name: s
    webhook:
      endpoint: https://hooks.slack.com/services/T000/B000/XXXXXXXX
      preset: slack
      headers: { Authorization: "Bearer abc", X-Team: payments }
  - name: d
    webhook: { endpoint: "https://oapi.dingtalk.com/robot/send?access_token=abc", preset: dingtalk, secret: SEC123 }
`;
    const { warnings } = loadConfig(inline, 'c.yaml', {});
    expect(warnings).toEqual([
      'c.yaml:5:17: receivers[0].webhook.endpoint: the endpoint holds a token written in the config: write ${VARIABLE} (from a Secret through the environment) or use the matching …File key (a mounted Secret) (endpointFile)',
      'c.yaml:7:33: receivers[0].webhook.headers.Authorization: header "Authorization" looks like a credential written in the config: write ${VARIABLE} (from a Secret through the environment) or use the matching …File key (a mounted Secret) (headerFiles)',
      'c.yaml:9:26: receivers[1].webhook.endpoint: the endpoint holds a token written in the config: write ${VARIABLE} (from a Secret through the environment) or use the matching …File key (a mounted Secret) (endpointFile)',
      'c.yaml:9:109: receivers[1].webhook.secret: the signing secret is written in the config: write ${VARIABLE} (from a Secret through the environment) or use the matching …File key (a mounted Secret) (secretFile)',
    ]);
    const fromEnv = `route: { match: [{ receiver: s }, { receiver: d }] }
receivers:
  - name: s
    webhook:
      endpoint: \${SLACK_WEBHOOK_URL}
      preset: slack
      headers: { Authorization: "Bearer \${TOKEN}" }
  - name: d
    webhook: { endpoint: "https://oapi.dingtalk.com/robot/send?access_token=\${DING}", preset: dingtalk, secret: "\${DING_SECRET}" }
`;
    const env = { SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T000/B000/XXXXXXXX', TOKEN: 'abc', DING: 'abc', DING_SECRET: 'SEC' };
    expect(loadConfig(fromEnv, 'c.yaml', env).warnings).toEqual([]);
  });
});

describe('the webhook examples in the docs', () => {
  const env = {
    SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T0/B0/x',
    DINGTALK_URL: 'https://oapi.dingtalk.com/robot/send?access_token=t',
    DINGTALK_SECRET: 'SEC1',
    WECOM_URL: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k',
    INCIDENTS_URL: 'https://incidents.example/hook',
    INCIDENTS_KEY: 'k',
  };

  /** A YAML block as a whole config: list-item fragments go under receivers, and a config without a route routes to its receivers. */
  function asConfig(block: string): string {
    let text = /^\s+- /.test(block) ? `receivers:\n${block}` : block;
    if (!/^route:/m.test(text)) {
      const names = [...text.matchAll(/- (?:\{ )?name: ([\w-]+)/g)].map((m) => m[1]);
      text = `route: { match: [${names.map((n) => `{ receiver: ${n} }`).join(', ')}] }\n${text}`;
    }
    return text;
  }

  function webhookBlocks(text: string): string[] {
    return [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((block) => block.includes('webhook:'));
  }

  it('every config example with a webhook in docs/config.md and README.md loads without problems or warnings', () => {
    const blocks = [...webhookBlocks(readFileSync(repoPath('docs', 'config.md'), 'utf8')), ...webhookBlocks(readFileSync(repoPath('README.md'), 'utf8'))];
    expect(blocks.length).toBeGreaterThanOrEqual(8);
    for (const block of blocks) {
      const { config, warnings } = loadConfig(asConfig(block), 'example.yaml', env);
      expect(warnings).toEqual([]);
      expect(config.receivers.some((r) => r.type === 'webhook')).toBe(true);
    }
  });

  it('the kube-eventer DingTalk example routes what the flag would send: Warning Pod Events of shop and payments', () => {
    const docs = readFileSync(repoPath('docs', 'config.md'), 'utf8');
    const block = webhookBlocks(docs.slice(docs.indexOf('## Coming from kube-eventer'))).find((b) => b.includes('clusterName: prod-hz'))!;
    const { config } = loadConfig(block, 'example.yaml', env);
    const route = compileRoute(
      config.route,
      config.receivers.map((r) => r.name),
    );
    const event = realEvents().find((e) => e.type === 'Warning' && e.involvedObject?.kind === 'Pod')!;
    const line = (namespace: string, type = 'Warning', kind = 'Pod') => {
      const built = buildLine(
        { ...event, type, metadata: { ...event.metadata, namespace }, involvedObject: { ...event.involvedObject, kind, namespace } },
        'warning',
        1,
        { clusterName: 'prod-hz', maxMessageBytes: 4096 },
        undefined,
        Date.now(),
      );
      return routeLine(route, built);
    };
    expect(line('shop')).toEqual(['stdout', 'dingtalk']);
    expect(line('payments')).toEqual(['stdout', 'dingtalk']);
    expect(line('shop-staging')).toEqual(['stdout']);
    expect(line('shop', 'Normal')).toEqual(['stdout']);
    expect(line('shop', 'Warning', 'Node')).toEqual(['stdout']);
    const receiver = config.receivers.find((r) => r.name === 'dingtalk');
    expect(receiver).toMatchObject({ type: 'webhook', preset: 'dingtalk', secret: 'SEC1', endpoint: env.DINGTALK_URL });
  });
});
