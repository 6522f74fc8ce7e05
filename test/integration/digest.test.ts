// `kube-eventline digest` against the harness's real Loki (default limits: max_query_series 500)
// over a seeded day and the day before, lines built like the exporter's (test/support/corpus.ts).
// Every number is checked against Σdelta computed here from the seeded lines; the workloads also
// against the Daily failures dashboard's own panel query, run as Grafana runs it. Webhook bodies
// go to a FAKE chat service on 127.0.0.1 (test/support/fake-chat-server.ts: Slack and DingTalk
// cannot run here); a FAKE Loki answering 401 plays an authenticating proxy in front of Loki.
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { REPO_ROOT } from '../../jsonnet/render.mjs';
import { runDigest } from '../../src/digest/command.js';
import type { Level } from '../../src/grade/levels.js';
import type { EventLine } from '../../src/line/event-line.js';
import { escapeMarkdown } from '../../src/sinks/webhook/escape.js';
import { type Harness, harness } from '../harness/index.js';
import { type EventSpec, linesOf, pushAndAwaitCorpus, rng } from '../support/corpus.js';
import { ALL, allPanels, type Dashboard, grafanaRequest, type VariableDefinition } from '../support/corpus-logql.js';
import { FakeChatServer } from '../support/fake-chat-server.js';

const DAY = 86_400_000;
const FAILURE: ReadonlySet<string> = new Set(['warning', 'error', 'fatal']);
/** A reason and an object name that hold everything that is structure in some body format. */
const HOSTILE_REASON = 'Bad"Reason`<script>alert(1)</script>[x](http://y){{ .Reason }}*_~|';
const HOSTILE_NAME = 'evil-pod\n# <b>[x](http://y)</b> `{{ .Name }}` | *a* _b_';

let h: Harness;
let cluster: string;
let end: number;
let lines: EventLine[];
let dir: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the command in-process and captures what it writes. */
async function digest(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await runDigest(args, env);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

const scope = () => ['--loki', h.loki.url, '--cluster', cluster, '--end', new Date(end).toISOString()];

// ---- the seeded days ---------------------------------------------------------------------------

function seed(): EventLine[] {
  const r = rng(1215);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const out: EventLine[] = [];
  /** One Event with `deltas.length` lines at random times in (lo, hi), at `level`. */
  const add = (s: Omit<EventSpec, 'observations' | 'message' | 'component'> & { level: Level; deltas: number[]; lo: number; hi: number }) => {
    const observations = s.deltas.map((d) => {
      const t = s.lo + Math.floor(r() * (s.hi - s.lo - 60_000)) + int(1, 999);
      return Array.from({ length: d }, (_, i) => t + i * 7);
    });
    observations.sort((a, b) => a[0]! - b[0]!);
    const spec: EventSpec = { ...s, message: `${s.reason} happened`, component: 'kubelet', observations };
    for (const line of linesOf(spec, cluster, r)) out.push({ ...line, level: s.level });
  };
  const today = { lo: end - DAY + 60_000, hi: end - 60_000 };
  const before = { lo: end - 2 * DAY + 60_000, hi: end - DAY - 60_000 };
  const levels: Level[] = ['warning', 'error', 'fatal', 'normal', 'info'];
  const deltas = () => Array.from({ length: int(1, 4) }, () => (r() < 0.2 ? int(10, 60) : int(1, 5)));

  // Small namespaces: a few workloads and reasons at every level.
  const small = [
    { ns: 'shop', workloads: ['api', 'web', 'cart'] },
    { ns: 'pay', workloads: ['ledger', 'gateway'] },
  ];
  for (const { ns, workloads } of small) {
    for (const workload of workloads) {
      for (let p = 0; p < 4; p++) {
        for (const reason of ['BackOff', 'Unhealthy', 'FailedMount', 'Pulled']) {
          const level = reason === 'Pulled' ? 'normal' : levels[int(0, 4)]!;
          add({
            kind: 'Pod',
            namespace: ns,
            name: `${workload}-${p}`,
            reason,
            type: 'Warning',
            workload: { kind: 'Deployment', name: workload },
            level,
            deltas: deltas(),
            ...today,
          });
        }
      }
      // The day before: BackOff and Unhealthy failed then too; FailedMount did not (only at info).
      add({
        kind: 'Pod',
        namespace: ns,
        name: `${workload}-0`,
        reason: 'BackOff',
        type: 'Warning',
        workload: { kind: 'Deployment', name: workload },
        level: 'warning',
        deltas: deltas(),
        ...before,
      });
      add({
        kind: 'Pod',
        namespace: ns,
        name: `${workload}-1`,
        reason: 'Unhealthy',
        type: 'Warning',
        workload: { kind: 'Deployment', name: workload },
        level: 'error',
        deltas: deltas(),
        ...before,
      });
      add({
        kind: 'Pod',
        namespace: ns,
        name: `${workload}-2`,
        reason: 'FailedMount',
        type: 'Warning',
        workload: { kind: 'Deployment', name: workload },
        level: 'info',
        deltas: deltas(),
        ...before,
      });
    }
  }
  // The hostile Event, new today.
  add({
    kind: 'Pod',
    namespace: 'shop',
    name: HOSTILE_NAME,
    reason: HOSTILE_REASON,
    type: 'Warning',
    workload: { kind: 'Deployment', name: 'api' },
    level: 'fatal',
    deltas: [97, 3],
    ...today,
  });
  // Nodes: cluster-scoped, no workload; NodeNotReady failed today only (the day before it was normal).
  for (const node of ['node-1', 'node-2', 'node-3']) {
    add({ kind: 'Node', namespace: '', name: node, reason: 'NodeNotReady', type: 'Normal', level: 'error', deltas: deltas(), ...today });
    add({ kind: 'Node', namespace: '', name: node, reason: 'NodeNotReady', type: 'Normal', level: 'normal', deltas: deltas(), ...before });
  }
  // Two namespaces of 300 failing pods each, within ten minutes: 600 objects, more than Loki
  // groups in one query, fewer than 500 per namespace.
  for (const ns of ['wide-a', 'wide-b']) {
    const at = { lo: end - 5 * 3_600_000, hi: end - 5 * 3_600_000 + 11 * 60_000 };
    for (let p = 0; p < 300; p++) {
      add({
        kind: 'Pod',
        namespace: ns,
        name: `job-${p}`,
        reason: 'FailedScheduling',
        type: 'Warning',
        workload: { kind: 'Job', name: `batch-${p % 20}` },
        level: 'warning',
        deltas: [int(1, 9)],
        ...at,
      });
    }
    add({
      kind: 'Pod',
      namespace: ns,
      name: 'job-0',
      reason: 'FailedScheduling',
      type: 'Warning',
      workload: { kind: 'Job', name: 'batch-0' },
      level: 'warning',
      deltas: [2],
      ...before,
    });
  }
  // One namespace of 1,100 failing pods within two minutes: more than 500 however Loki splits it.
  {
    const at = { lo: end - 3 * 3_600_000, hi: end - 3 * 3_600_000 + 3 * 60_000 };
    for (let p = 0; p < 1100; p++) {
      add({
        kind: 'Pod',
        namespace: 'huge',
        name: `fleet-pod-${p}`,
        reason: 'Evicted',
        type: 'Warning',
        workload: { kind: 'DaemonSet', name: `fleet-${p % 4}` },
        level: 'warning',
        deltas: [int(1, 3)],
        ...at,
      });
    }
  }
  // Just outside the two ranges: after the end, and before the day before.
  const edge = (t: number, name: string) => {
    const spec: EventSpec = {
      kind: 'Pod',
      namespace: 'shop',
      name,
      reason: 'OutOfRange',
      type: 'Warning',
      message: 'outside',
      component: 'kubelet',
      workload: { kind: 'Deployment', name: 'api' },
      observations: [[t]],
    };
    for (const line of linesOf(spec, cluster, r)) out.push({ ...line, level: 'fatal' });
  };
  edge(end + 20_123, 'after-end');
  edge(end - 2 * DAY - 20_123, 'before-start');
  return out.sort((a, b) => a.time.localeCompare(b.time));
}

// ---- the oracle: Σdelta from the seeded lines ---------------------------------------------------

const inRange = (l: EventLine, from: number, to: number) => {
  const t = Date.parse(l.time);
  return t > from && t <= to;
};

function sums(key: (l: EventLine) => string | undefined, from = end - DAY, to = end): Map<string, number> {
  const out = new Map<string, number>();
  for (const l of lines) {
    if (!FAILURE.has(l.level) || !inRange(l, from, to)) continue;
    const k = key(l);
    if (k !== undefined) out.set(k, (out.get(k) ?? 0) + l.delta);
  }
  return out;
}

const workloadKey = (l: EventLine) => (l.involvedObject.workload ? `${l.namespace}\0${l.involvedObject.workload.name}` : undefined);
const objectKey = (l: EventLine) => `${l.namespace}\0${l.involvedObject.kind}\0${l.involvedObject.name}`;
const kindKey = (l: EventLine) => `${l.reason}\0${l.involvedObject.kind}`;

interface JsonList {
  columns: string[];
  rows: Array<Record<string, string | number>>;
  total: number;
  cut: boolean;
  missing: string[];
}
interface JsonDigest {
  cluster: string;
  from: string;
  to: string;
  previousFrom: string;
  total: number;
  workloads: JsonList;
  reasons: JsonList;
  objects: JsonList;
  newKinds: JsonList;
}

const rowKey = (list: JsonList, row: Record<string, string | number>) =>
  list.columns
    .filter((c) => c !== 'occurrences')
    .map((c) => row[c])
    .join('\0');

/** The list matches the oracle: every row's number, the top values, the total count. */
function expectList(list: JsonList, expected: Map<string, number>, top: number) {
  expect(expected.size).toBeGreaterThan(0);
  for (const row of list.rows) expect(row.occurrences, rowKey(list, row)).toBe(expected.get(rowKey(list, row)));
  const values = [...expected.values()].sort((a, b) => b - a);
  expect(list.rows.map((r) => r.occurrences)).toEqual(values.slice(0, top));
  expect(list.total).toBe(expected.size);
  expect(list.cut).toBe(expected.size > top);
}

beforeAll(async () => {
  h = await harness();
  cluster = `digest-${randomBytes(4).toString('hex')}`;
  end = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
  lines = seed();
  dir = mkdtempSync(join(tmpdir(), 'digest-'));
  await pushAndAwaitCorpus(h.loki, lines, cluster, end + 60_000, 49);
});

describe('digest against Loki: Σdelta of the seeded day', () => {
  let json: JsonDigest;
  beforeAll(async () => {
    const r = await digest([...scope(), '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    json = JSON.parse(r.stdout) as JsonDigest;
  });

  it('the seed is what the test needs: more than 500 objects, one namespace past 500 alone, varied deltas', () => {
    const objects = sums(objectKey);
    expect(objects.size).toBeGreaterThan(1700);
    expect([...objects.keys()].filter((k) => k.startsWith('huge\0')).length).toBe(1100);
    expect(new Set(lines.map((l) => l.delta)).size).toBeGreaterThan(20);
    expect(json.from).toBe(new Date(end - DAY).toISOString());
    expect(json.to).toBe(new Date(end).toISOString());
  });

  it('total: warning-or-worse occurrences in (end - 24h, end]', () => {
    const total = [...sums(() => 'all').values()][0]!;
    expect(json.total).toBe(total);
    // The lines outside the range and below warning are real and left out.
    expect(lines.filter((l) => l.reason === 'OutOfRange')).toHaveLength(2);
    expect(lines.reduce((a, l) => a + l.delta, 0)).toBeGreaterThan(total);
  });

  it('per workload, cut to the top 10 and saying so', () => {
    expectList(json.workloads, sums(workloadKey), 10);
    expect(json.workloads.missing).toEqual([]);
  });

  it('top reasons', () => {
    expectList(
      json.reasons,
      sums((l) => l.reason),
      10,
    );
  });

  it('top objects: past 500 objects asked per namespace, exact; the namespace Loki refuses alone is named', () => {
    const withoutHuge = new Map([...sums(objectKey)].filter(([k]) => !k.startsWith('huge\0')));
    expect(withoutHuge.size).toBeGreaterThan(500);
    expectList(json.objects, withoutHuge, 10);
    expect(json.objects.missing).toEqual(['huge']);
  });

  it('new kinds of failure: (reason, kind) failing today and not the day before', async () => {
    const r = await digest([...scope(), '--format', 'json', '--top', '100']);
    const all = JSON.parse(r.stdout) as JsonDigest;
    const yesterday = sums(kindKey, end - 2 * DAY, end - DAY);
    const fresh = new Map([...sums(kindKey)].filter(([k]) => !yesterday.has(k)));
    expect([...fresh.keys()].sort()).toEqual([`FailedMount\0Pod`, `${HOSTILE_REASON}\0Pod`, `Evicted\0Pod`, `NodeNotReady\0Node`].sort());
    expectList(all.newKinds, fresh, 100);
    expect(json.newKinds.total).toBe(4);
  });

  it('the same numbers as the Daily failures dashboard\'s "Worst workloads over the range", run as Grafana runs it', async () => {
    const dashboard = JSON.parse(readFileSync(join(REPO_ROOT, 'dashboards', 'daily-failures.json'), 'utf8')) as Dashboard;
    const panel = allPanels(dashboard).find((p) => p.title === 'Worst workloads over the range')!;
    const target = (panel.targets as Array<{ expr: string; queryType?: string }>)[0]!;
    const namespaces = [...new Set(lines.map((l) => l.namespace))];
    const req = grafanaRequest(
      { expr: target.expr, instant: target.queryType === 'instant' },
      { from: end - DAY, to: end, intervalMs: 60_000 },
      dashboard.templating.list as unknown as VariableDefinition[],
      { datasource: 'loki', cluster, namespace: namespaces, level: ALL, kind: ALL, reason: '', search: '', workload: '' },
    );
    const panelRows = (await h.loki.queryInstant(req.expr, new Date(req.end))).result as Array<{ metric: Record<string, string>; value: [number, string] }>;
    const fromPanel = new Map(panelRows.map((s) => [`${s.metric.namespace}\0${s.metric.workload}`, Number(s.value[1])]));
    expect(fromPanel.size).toBe(10);
    for (const row of json.workloads.rows) expect(fromPanel.get(rowKey(json.workloads, row)), rowKey(json.workloads, row)).toBe(row.occurrences);
  });

  it('markdown on stdout: the same tables, every cell escaped, the cut and the missing namespace said', async () => {
    const r = await digest(scope());
    expect(r.code, r.stderr).toBe(0);
    const md = r.stdout;
    expect(md).toContain(`# kube\\-eventline digest · ${escapeMarkdown(cluster)}\n`);
    expect(md).toContain(`${json.total} occurrences at level warning, error, fatal from`);
    expect(md).toContain(`## Workloads \\(top 10 of ${json.workloads.total}\\)`);
    expect(md).toMatch(/## Objects \\\(top 10 of \d+; incomplete: huge left out/);
    const top = json.workloads.rows[0]!;
    expect(md).toContain(`| ${escapeMarkdown(String(top.namespace))} | ${escapeMarkdown(String(top.workload))} | ${top.occurrences} |`);
    // The hostile reason is one cell of the reasons table, as text.
    const hostile = `| ${escapeMarkdown(HOSTILE_REASON)} | ${sums((l) => l.reason).get(HOSTILE_REASON)} |`;
    expect(md).toContain(hostile);
    expect(md).not.toContain('<script>');
    expect(md).not.toContain('[x](http://y)');
  });
});

describe('digest to webhook receivers (FAKE chat services on 127.0.0.1)', () => {
  const chat = new FakeChatServer((req) =>
    req.url.pathname.startsWith('/ding') ? { status: 200, body: '{"errcode":0,"errmsg":"ok"}' } : { status: 200, body: 'ok' },
  );
  let base: string;
  let config: string;
  const SECRET = 'SEC-digest-signing-secret';
  const TOKEN = 'robot-access-token-42';

  beforeAll(async () => {
    base = await chat.start();
    config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      `route: { match: [{ receiver: slack }, { receiver: ding }, { receiver: plain }, { receiver: flaky }, { receiver: refusing }, { receiver: stdout }] }
receivers:
  - name: slack
    webhook: { endpoint: "\${SLACK_URL}", preset: slack }
  - name: ding
    webhook: { endpoint: "\${DING_URL}", secret: "\${DING_SECRET}", preset: dingtalk }
  - name: plain
    webhook: { endpoint: "${base}/plain" }
  - name: flaky
    webhook: { endpoint: "${base}/flaky", retries: { max: 2, minBackoffSeconds: 0.05, maxBackoffSeconds: 0.1 } }
  - name: refusing
    webhook: { endpoint: "${base}/refusing", retries: { max: 3, minBackoffSeconds: 0.05, maxBackoffSeconds: 0.1 } }
  - name: stdout
    stdout: {}
`,
    );
  });
  afterAll(() => chat.stop());

  const env = () => ({ SLACK_URL: `${base}/slack/T1/B1/${TOKEN}`, DING_URL: `${base}/ding?access_token=${TOKEN}`, DING_SECRET: SECRET });
  const sent = async (receiver: string) => {
    const before = chat.requests.length;
    const r = await digest([...scope(), '--config', config, '--receiver', receiver], env());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`sent to receiver "${receiver}"`);
    expect(r.stderr).not.toContain(TOKEN);
    expect(chat.requests.length).toBe(before + 1);
    return chat.requests[chat.requests.length - 1]!;
  };

  it('slack: Block Kit, each list a preformatted table of literal text; the fallback escaped', async () => {
    const req = await sent('slack');
    expect(req.url.pathname).toBe(`/slack/T1/B1/${TOKEN}`);
    expect(req.headers['content-type']).toBe('application/json; charset=utf-8');
    const body = JSON.parse(req.body) as { text: string; blocks: Array<Record<string, any>> };
    expect(Object.keys(body).sort()).toEqual(['blocks', 'text']);
    expect(body.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: `kube-eventline digest · ${cluster}`, emoji: false } });
    expect(body.blocks[1]!.type).toBe('section');
    expect(body.blocks[1]!.text.type).toBe('plain_text');
    expect(body.blocks[1]!.text.text).toMatch(/^\d+ occurrences at level warning, error, fatal from /);
    expect(body.blocks).toHaveLength(2 + 4 * 2);
    const tables = body.blocks.filter((b) => b.type === 'rich_text');
    expect(tables).toHaveLength(4);
    for (const t of tables) {
      expect(t.elements).toHaveLength(1);
      expect(t.elements[0].type).toBe('rich_text_preformatted');
      expect(t.elements[0].elements).toHaveLength(1);
      expect(t.elements[0].elements[0].type).toBe('text');
    }
    const headings = body.blocks.filter((b, i) => i > 1 && b.type === 'section').map((b) => b.text);
    expect(headings.every((t) => t.type === 'plain_text')).toBe(true);
    expect(headings.map((t) => t.text.replace(/ \(.*$/, ''))).toEqual(['Workloads', 'Reasons', 'Objects', 'New kinds of failure']);
    // The reasons table holds the hostile reason as written, its number beside it.
    const reasons = tables[1]!.elements[0].elements[0].text as string;
    const expected = sums((l) => l.reason).get(HOSTILE_REASON)!;
    expect(reasons).toMatch(new RegExp(`^${HOSTILE_REASON.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')} +${expected}$`, 'm'));
    // The object with the line break in its name: one row, the break a space.
    const objects = tables[2]!.elements[0].elements[0].text as string;
    expect(objects.split('\n')[0]).toMatch(/^namespace +kind +name +occurrences$/);
    expect(body.text).toBe(`kube-eventline digest · ${cluster}: ${body.blocks[1]!.text.text}`);
    // Tables are exact: the first workload row is the digest's first row.
    const top = (await digest([...scope(), '--format', 'json'])).stdout;
    const first = (JSON.parse(top) as JsonDigest).workloads.rows[0]!;
    expect((tables[0]!.elements[0].elements[0].text as string).split('\n')[1]).toMatch(
      new RegExp(`^${first.namespace} +${first.workload} +${first.occurrences}$`),
    );
  });

  it('slack: the hostile object name is one row of literal text', async () => {
    const r = await digest(
      ['--loki', h.loki.url, '--cluster', cluster, '--namespace', 'shop', '--end', new Date(end).toISOString(), '--config', config, '--receiver', 'slack'],
      env(),
    );
    expect(r.code, r.stderr).toBe(0);
    const body = JSON.parse(chat.requests.at(-1)!.body) as { text: string; blocks: Array<Record<string, any>> };
    expect(body.blocks[0]!.text.text).toBe(`kube-eventline digest · ${cluster} · shop`);
    const objects = (body.blocks.filter((b) => b.type === 'rich_text')[2]!.elements[0].elements[0].text as string).split('\n');
    // One row, the line break a space, the rest as written (cut at 60 characters).
    const row = objects.find((l) => l.includes('evil-pod'));
    expect(row).toMatch(/^shop +Pod +evil-pod # <b>\[x\]\(http:\/\/y\)<\/b> `\{\{ \.Name \}\}` \| \*a\* _b_ +\d+$/);
    expect(objects.filter((l) => l.startsWith('#'))).toEqual([]);
  });

  it('dingtalk: markdown with title and text, every value escaped, signed with timestamp and sign', async () => {
    const before = Date.now();
    const req = await sent('ding');
    expect(req.url.pathname).toBe('/ding');
    expect(req.url.searchParams.get('access_token')).toBe(TOKEN);
    const timestamp = Number(req.url.searchParams.get('timestamp'));
    expect(timestamp).toBeGreaterThanOrEqual(before);
    expect(timestamp).toBeLessThanOrEqual(Date.now());
    expect(req.url.searchParams.get('sign')).toBe(createHmac('sha256', SECRET).update(`${timestamp}\n${SECRET}`).digest('base64'));
    const body = JSON.parse(req.body) as { msgtype: string; markdown: { title: string; text: string } };
    expect(Object.keys(body).sort()).toEqual(['markdown', 'msgtype']);
    expect(body.msgtype).toBe('markdown');
    expect(Object.keys(body.markdown).sort()).toEqual(['text', 'title']);
    expect(body.markdown.title).toBe(`kube-eventline digest · ${cluster}`);
    const text = body.markdown.text;
    expect(text.startsWith(`#### kube\\-eventline digest · ${escapeMarkdown(cluster)}\n`)).toBe(true);
    expect(text).toContain(`- **${sums((l) => l.reason).get(HOSTILE_REASON)}** · ${escapeMarkdown(HOSTILE_REASON)}\n`);
    expect(text).not.toContain('<script>');
    expect(text).not.toContain('[x](http://y)');
    expect(text).not.toContain('{{ .Reason }}');
    expect(text).toContain('**Objects \\(top 10 of');
    expect(text).toContain('incomplete: huge left out');
  });

  it('dingtalk: the hostile object name is one escaped list item', async () => {
    const r = await digest(
      ['--loki', h.loki.url, '--cluster', cluster, '--namespace', 'shop', '--end', new Date(end).toISOString(), '--config', config, '--receiver', 'ding'],
      env(),
    );
    expect(r.code, r.stderr).toBe(0);
    const text = (JSON.parse(chat.requests.at(-1)!.body) as { markdown: { text: string } }).markdown.text;
    const name = escapeMarkdown(HOSTILE_NAME.replace('\n', ' '));
    const item = text.split('\n').find((l) => l.includes(name));
    expect(item).toMatch(/^- \*\*\d+\*\* · shop · Pod · /);
    expect(text).not.toContain('<b>');
    expect(text).not.toContain('\n# ');
  });

  it('a webhook without preset gets the digest JSON', async () => {
    const req = await sent('plain');
    const body = JSON.parse(req.body) as JsonDigest;
    expect(body.cluster).toBe(cluster);
    expectList(body.workloads, sums(workloadKey), 10);
  });

  it('500 then 200: delivered once, after a retry', async () => {
    chat.answerWith((req) =>
      req.url.pathname === '/flaky' && chat.requests.filter((r) => r.url.pathname === '/flaky').length === 1
        ? { status: 500, body: 'busy' }
        : { status: 200, body: 'ok' },
    );
    const r = await digest([...scope(), '--config', config, '--receiver', 'flaky'], env());
    expect(r.code, r.stderr).toBe(0);
    expect(chat.requests.filter((q) => q.url.pathname === '/flaky')).toHaveLength(2);
    expect(r.stderr).toMatch(/receiver "flaky": HTTP 500: busy; retrying in [\d.]+s\n/);
  });

  it('a delivery that finally fails: exit 1 and one clear line; 500s retried, a 400 not', async () => {
    chat.answerWith(() => ({ status: 500, body: 'down' }));
    const failing = await digest([...scope(), '--config', config, '--receiver', 'flaky'], env());
    expect(failing.code).toBe(1);
    expect(failing.stderr.split('\n').at(-2)).toBe(
      'kube-eventline digest: receiver "flaky": the digest was not delivered, the endpoint kept failing: HTTP 500: down, after 3 attempts',
    );
    chat.answerWith(() => ({ status: 400, body: 'invalid payload' }));
    const before = chat.requests.length;
    const refused = await digest([...scope(), '--config', config, '--receiver', 'refusing'], env());
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      'kube-eventline digest: receiver "refusing": the digest was not delivered, the endpoint refused it: HTTP 400: invalid payload\n',
    );
    expect(chat.requests.length).toBe(before + 1);
    chat.answerWith((req) => (req.url.pathname.startsWith('/ding') ? { status: 200, body: '{"errcode":0}' } : { status: 200, body: 'ok' }));
  });

  it('config mistakes: exit 2 naming the receiver', async () => {
    const unknown = await digest([...scope(), '--config', config, '--receiver', 'nope'], env());
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`${config}: no receiver named "nope" (its webhook receivers are "slack", "ding", "plain", "flaky", "refusing")`);
    const notWebhook = await digest([...scope(), '--config', config, '--receiver', 'stdout'], env());
    expect(notWebhook.code).toBe(2);
    expect(notWebhook.stderr).toContain(`${config}: receiver "stdout" is a stdout receiver, not a webhook`);
  });
});

describe('digest when Loki cannot answer', () => {
  it('Loki down: exit 1 naming the URL, no stack; a URL with a password refused unprinted', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const r = await digest(['--loki', `http://127.0.0.1:${port}`, '--cluster', 'x']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`kube-eventline digest: cannot reach Loki at http://127.0.0.1:${port}/loki/api/v1/query: ECONNREFUSED\n`);
    // A password in the URL is refused without being printed (fetch's own error quotes the URL).
    const withPassword = await digest(['--loki', `http://user:hunter2@127.0.0.1:${port}`, '--cluster', 'x']);
    expect(withPassword.code).toBe(2);
    expect(withPassword.stderr.split('\n')[0]).toBe(
      'kube-eventline digest: the Loki URL holds a user or password: give them in a file (--basic-auth-file) or $LOKI_BASIC_AUTH, never in the URL',
    );
    expect(withPassword.stderr).not.toContain('hunter2');
  });

  it('401 (a FAKE Loki: an authenticating proxy): exit 1 with its answer, the token never printed; the tenant and token are sent', async () => {
    const seen: Array<Record<string, string | string[] | undefined>> = [];
    const server = createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(401, { 'content-type': 'text/plain' });
      res.end('no org id or bad token\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 's3cret-token\n');
    try {
      const r = await digest(['--loki', url, '--tenant', 'team-a', '--bearer-token-file', tokenFile]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`kube-eventline digest: Loki at ${url}/loki/api/v1/query answered 401 Unauthorized: no org id or bad token\n`);
      expect(seen[0]!['x-scope-orgid']).toBe('team-a');
      expect(seen[0]!.authorization).toBe('Bearer s3cret-token');
      const basic = await digest(['--loki', url], { LOKI_BASIC_AUTH: 'me:pa55', LOKI_TENANT: 'team-b' });
      expect(basic.code).toBe(1);
      expect(seen[1]!.authorization).toBe(`Basic ${Buffer.from('me:pa55').toString('base64')}`);
      expect(seen[1]!['x-scope-orgid']).toBe('team-b');
      expect(basic.stderr).not.toContain('pa55');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('a bad URL or range: exit 2 with the usage', async () => {
    const bad = await digest(['--loki', 'loki:3100']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.split('\n')[0]).toBe('kube-eventline digest: --loki must be an http:// or https:// URL such as http://loki:3100');
    const none = await digest([]);
    expect(none.code).toBe(2);
    expect(none.stderr.split('\n')[0]).toBe('kube-eventline digest: give Loki: --loki URL or $LOKI_URL');
    const range = await digest(['--loki', h.loki.url, '--range', '1w']);
    expect(range.code).toBe(2);
    expect(range.stderr.split('\n')[0]).toBe('kube-eventline digest: --range must be a duration such as 24h, 90m or 7d, got "1w"');
  });
});
