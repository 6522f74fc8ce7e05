import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { harness } from '../harness/index.js';
import { type LokiClient, startLoki } from '../harness/loki.js';

// Every test labels its streams with its own run id so that lines pushed by
// other test files into the shared Loki never change the counts asserted here.
const run = () => randomUUID().slice(0, 8);
const secondsAgo = (s: number) => new Date(Date.now() - s * 1000);

function scalar(data: { resultType: string; result: Array<{ value: [number, string] }> }): number {
  expect(data.resultType).toBe('vector');
  expect(data.result).toHaveLength(1);
  return Number(data.result[0]!.value[1]);
}

function eventLine(reason: string, name: string): string {
  return JSON.stringify({ level: 'warning', reason, involvedObject: { kind: 'Pod', name }, delta: 1 });
}

let loki: LokiClient;

beforeAll(async () => {
  loki = (await harness()).loki;
});

describe('test Loki from the harness', () => {
  it('reads pushed JSON lines back with a json-parsed count', async () => {
    const id = run();
    await loki.push([
      {
        labels: { job: 'test', run: id },
        entries: [
          { time: secondsAgo(30), line: eventLine('BackOff', 'web-1') },
          { time: secondsAgo(20), line: eventLine('BackOff', 'web-2') },
          { time: secondsAgo(10), line: eventLine('Pulled', 'web-1') },
        ],
      },
    ]);

    const all = await loki.queryInstant(`sum(count_over_time({job="test", run="${id}"} | json [5m]))`);
    expect(scalar(all)).toBe(3);

    // The json parser really ran: its extracted field can be filtered on.
    const backOff = await loki.queryInstant(`sum(count_over_time({job="test", run="${id}"} | json | reason="BackOff" [5m]))`);
    expect(scalar(backOff)).toBe(2);
  });

  it('filters and groups by structured metadata without a parser', async () => {
    const id = run();
    await loki.push([
      {
        labels: { job: 'test', run: id },
        entries: [
          { time: secondsAgo(40), line: 'first', metadata: { reason: 'X', name: 'pod-a' } },
          { time: secondsAgo(30), line: 'second', metadata: { reason: 'X', name: 'pod-b' } },
          { time: secondsAgo(20), line: 'third', metadata: { reason: 'Y', name: 'pod-a' } },
        ],
      },
    ]);

    const logs = await loki.queryRange(`{job="test", run="${id}"} | reason="X"`, secondsAgo(300), new Date(), 15);
    expect(logs.resultType).toBe('streams');
    const lines = logs.result.flatMap((s: { values: Array<[string, string]> }) => s.values.map((v) => v[1]));
    expect(lines.sort()).toEqual(['first', 'second']);
    // Structured metadata comes back attached to each stream of the result.
    for (const stream of logs.result as Array<{ stream: Record<string, string> }>) {
      expect(stream.stream.reason).toBe('X');
    }

    const byReason = await loki.queryInstant(`sum by (reason) (count_over_time({job="test", run="${id}"} [5m]))`);
    const counts = Object.fromEntries(
      byReason.result.map((r: { metric: { reason: string }; value: [number, string] }) => [r.metric.reason, Number(r.value[1])]),
    );
    expect(counts).toEqual({ X: 2, Y: 1 });
  });

  it('accepts backdated and out-of-order lines and finds them in range queries', async () => {
    const id = run();
    const newest = secondsAgo(60);
    const threeHoursAgo = secondsAgo(3 * 3600);
    // Newest first, then an older line: out of order within the stream.
    await loki.push([{ labels: { job: 'test', run: id }, entries: [{ time: newest, line: 'new' }] }]);
    await loki.push([{ labels: { job: 'test', run: id }, entries: [{ time: threeHoursAgo, line: 'old' }] }]);

    const matrix = await loki.queryRange(`sum(count_over_time({job="test", run="${id}"} [1h]))`, secondsAgo(4 * 3600), new Date(), 3600);
    expect(matrix.resultType).toBe('matrix');
    const total = matrix.result[0].values.map((v: [number, string]) => Number(v[1])).reduce((a: number, b: number) => a + b, 0);
    expect(total).toBe(2);

    const old = await loki.queryInstant(`sum(count_over_time({job="test", run="${id}"} [10m]))`, new Date(threeHoursAgo.getTime() + 60_000));
    expect(scalar(old)).toBe(1);
  });

  it('lists label values of pushed streams', async () => {
    const id = run();
    await loki.push([{ labels: { job: 'test', run: id, namespace: `ns-${id}` }, entries: [{ time: secondsAgo(5), line: 'x' }] }]);
    const values = await loki.labelValues('namespace', {
      start: secondsAgo(600),
      end: new Date(),
      query: `{run="${id}"}`,
    });
    expect(values).toEqual([`ns-${id}`]);
  });

  it('fires an alert from a loaded rule file and forgets it when the file is removed', async () => {
    const id = run();
    const alertname = `HarnessBackOff_${id}`;
    const fileName = `harness-${id}.yaml`;
    await loki.push([
      {
        labels: { job: 'test', run: id },
        entries: [{ time: secondsAgo(5), line: 'crash', metadata: { reason: 'BackOff' } }],
      },
    ]);
    await loki.loadRules(
      fileName,
      [
        'groups:',
        `  - name: harness-${id}`,
        '    rules:',
        `      - alert: ${alertname}`,
        `        expr: sum(count_over_time({job="test", run="${id}"} | reason="BackOff" [5m])) > 0`,
        '        labels:',
        '          severity: warning',
        '        annotations:',
        `          summary: BackOff seen in run ${id}`,
        '',
      ].join('\n'),
    );

    const alert = await loki.waitForAlert(alertname, { timeoutMs: 30_000 });
    expect(alert.state).toBe('firing');
    expect(alert.labels.severity).toBe('warning');
    expect(alert.annotations.summary).toBe(`BackOff seen in run ${id}`);

    await loki.removeRules(fileName);
    expect((await loki.alerts()).some((a) => a.labels.alertname === alertname)).toBe(false);
  });

  it("rejects a rule file with a bad LogQL expression with Loki's message, and keeps the ruler working", async () => {
    const id = run();
    const broken = `broken-${id}.yaml`;
    await expect(
      loki.loadRules(
        broken,
        ['groups:', `  - name: broken-${id}`, '    rules:', '      - alert: Broken', '        expr: sum(count_over_time({job="test"} [5m]) > 0', ''].join('\n'),
      ),
    ).rejects.toThrow(/parse error/);

    // A file Loki cannot parse stops every rule sync, so the client takes it out
    // again: a good file must still load afterwards.
    const good = `good-${id}.yaml`;
    await loki.loadRules(
      good,
      [
        'groups:',
        `  - name: good-${id}`,
        '    rules:',
        `      - record: harness:lines_${id}:count5m`,
        '        expr: sum(count_over_time({job="test"} [5m]))',
        '',
      ].join('\n'),
    );
    await loki.removeRules(good);
  });

  it("throws Loki's error text for a bad query and a bad push", async () => {
    await expect(loki.queryInstant('sum(count_over_time({job="test"} [5m])')).rejects.toThrow(/HTTP 400: parse error/);
    // A label name with a dash is not a valid Prometheus-style label name.
    await expect(loki.push([{ labels: { job: 'test', 'bad-name': 'x' }, entries: [{ time: new Date(), line: 'bad label' }] }])).rejects.toThrow(
      /HTTP 400: couldn't parse labels/,
    );
    // Loki refuses lines more than its creation grace period (10 min) in the future.
    await expect(loki.push([{ labels: { job: 'test' }, entries: [{ time: new Date(Date.now() + 3600_000), line: 'future' }] }])).rejects.toThrow(
      /HTTP 400: .*timestamp too new/,
    );
  });

  it("fails to start with the tail of Loki's log when Loki refuses its config", async () => {
    const workDir = mkdtempSync(join(tmpdir(), 'harness-loki-bad-'));
    try {
      const start = startLoki({ workDir, extraConfig: { limits_config: { no_such_limit: true } } });
      await expect(start).rejects.toThrow(/exited \(1\) before it was ready[\s\S]*no_such_limit/);
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  });
});
