/**
 * The webhook receiver end to end: the real exporter watching the harness's real API server,
 * Events written as kubelet writes them, lines to a stdout stand-in (a CaptureSink) and to
 * webhook receivers built from the config, whose endpoints are FAKE chat services on 127.0.0.1
 * (test/support/fake-chat-server.ts; Slack and a KEE webhook target cannot run here).
 */

import { KubeConfig } from '@kubernetes/client-node';
import pino from 'pino';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { RawEvent } from '../../src/line/event-line.js';
import { type RunningExporter, runExporter } from '../../src/run.js';
import { ExporterMetrics } from '../../src/serve/metrics.js';
import { createSinks } from '../../src/sinks/create-sinks.js';
import { type Harness, harness } from '../harness/index.js';
import { CaptureSink, eventually } from '../support/capture-sink.js';
import { FakeChatServer } from '../support/fake-chat-server.js';
import { EventWriter } from '../support/kube-events.js';
import { realEvents } from '../support/real-events.js';
import { linesBeforeSentinel } from '../support/sentinel.js';

const quiet = pino({ level: 'warn' }, pino.destination(2));
const NASTY = 'Back-off "restarting" `failed` container\n{{ .Reason }} <script>x</script> [x](http://y)';

let h: Harness;
let writer: EventWriter;
const running: RunningExporter[] = [];
const servers: FakeChatServer[] = [];

beforeAll(async () => {
  h = await harness();
  writer = new EventWriter(h.kube.kubeConfig());
});

afterEach(async () => {
  while (running.length) await running.pop()!.stop();
  while (servers.length) await servers.pop()!.stop();
});

describe('webhook receivers in the running exporter', () => {
  it('a crash loop reaches Slack as one message and one ×N summary, a KEE layout as KEE would send it, and stdout gets every line', async () => {
    const ns = await writer.namespace('webhook');
    const slack = new FakeChatServer();
    const kee = new FakeChatServer();
    servers.push(slack, kee);
    const slackUrl = await slack.start();
    const keeUrl = await kee.start();
    const yaml = `namespaces: [${ns}]
maxEventAgeSeconds: 600
enrichment: { enabled: false }
route:
  routes:
    - match: [{ receiver: stdout }]
    - match: [{ type: "^Warning$", receiver: slack }]
    - match: [{ reason: "^Unhealthy$", receiver: kee }]
receivers:
  - { name: stdout, stdout: {} }
  - name: slack
    webhook: { endpoint: "\${SLACK_URL}", preset: slack, collapseSeconds: 3, rateLimit: { perMinute: 6000, burst: 10 } }
  - name: kee
    webhook:
      endpoint: "\${KEE_URL}"
      collapseSeconds: 0
      layout:
        createdAt: "{{ .GetTimestampMs }}"
        details:
          message: "{{ .Message }}"
          reason: "{{ .Reason }}"
          kind: "{{ .InvolvedObject.Kind }}"
          name: "{{ .InvolvedObject.Name }}"
          namespace: "{{ .Namespace }}"
          host: "{{ .Source.Host }}"
          count: "{{ .Count }}"
`;
    const { config, warnings } = loadConfig(yaml, 'webhook.yaml', { SLACK_URL: `${slackUrl}/services/T/B/x`, KEE_URL: `${keeUrl}/kee` });
    expect(warnings).toEqual([]);
    const metrics = new ExporterMetrics('kube_eventline_', false);
    const stdout = new CaptureSink('stdout');
    const sinks = createSinks(
      config.receivers.filter((r) => r.type === 'webhook'),
      { metrics, log: quiet },
    );
    sinks.set('stdout', stdout);
    const kc = new KubeConfig();
    kc.loadFromFile(h.kube.proxy.kubeconfigPath);
    const exporter = await runExporter(config, kc, quiet, { sinks, metrics, watch: { minBackoffMs: 100, maxBackoffMs: 1000, timeoutSeconds: 60 } });
    running.push(exporter);
    await eventually('exporter ready', () => exporter.exporter.ready);

    const crash = await writer.create(ns, { reason: 'BackOff', type: 'Warning', message: NASTY, objectName: 'api-0' });
    for (let i = 0; i < 19; i++) await writer.bump(crash);
    // A real Event from the fixtures, written into this namespace as kubelet would
    const real = realEvents().find((e) => e.reason === 'Unhealthy' && e.source?.host && typeof e.count === 'number' && e.firstTimestamp)!;
    const unhealthy: RawEvent = await writer.create(
      ns,
      {
        reason: real.reason!,
        type: real.type!,
        message: real.message!,
        objectName: real.involvedObject!.name!,
        source: real.source!,
        count: real.count!,
        firstTimestamp: real.firstTimestamp!,
        lastTimestamp: real.lastTimestamp!,
      },
      new Date(),
    );
    const lines = await linesBeforeSentinel(writer, ns, stdout);

    expect(lines.filter((l) => l.reason === 'BackOff').map((l) => l.count)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    await eventually('the crash loop summary', () => slack.requests.filter((r) => r.body.includes('BackOff')).length >= 2, 15_000);
    await new Promise((r) => setTimeout(r, 3500)); // one more window: nothing more comes
    const backoffBodies = slack.bodies<{ blocks: Array<{ text?: { text: string } }> }>().filter((b) => JSON.stringify(b).includes('BackOff'));
    expect(backoffBodies).toHaveLength(2);
    expect(backoffBodies[0]!.blocks[0]!.text!.text).toBe(`WARNING BackOff: Pod ${ns}/api-0`);
    expect(backoffBodies[0]!.blocks[1]!.text!.text).toBe(NASTY);
    expect(backoffBodies[1]!.blocks[0]!.text!.text).toMatch(new RegExp(`^×19 more since \\S+ · WARNING BackOff: Pod ${ns}/api-0$`));

    await eventually('the KEE body', () => kee.requests.length === 1, 15_000);
    expect(JSON.parse(kee.requests[0]!.body)).toEqual({
      createdAt: String(Date.parse(unhealthy.firstTimestamp!)),
      details: {
        message: real.message,
        reason: 'Unhealthy',
        kind: 'Pod',
        name: real.involvedObject!.name,
        namespace: ns,
        host: real.source!.host,
        count: String(real.count),
      },
    });
    const sent = await metrics.registry.getSingleMetric('kube_eventline_webhook_messages_sent_total')!.get();
    expect(Object.fromEntries(sent.values.map((v) => [v.labels.receiver, v.value]))).toMatchObject({ kee: 1 });
  });
});
