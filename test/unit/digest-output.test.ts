// The digest's queries (jsonnet/digest-queries.json, the daily failures dashboard's pieces) and
// its outputs in every format, from a digest built here: shapes field by field and escaping of
// hostile names. test/integration/digest.test.ts runs the queries against the real Loki and sends
// Slack, DingTalk and plain bodies to a fake chat server.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { REPO_ROOT } from '../../jsonnet/render.mjs';
import { runDigest } from '../../src/digest/command.js';
import { digestBody } from '../../src/digest/deliver.js';
import type { Digest, DigestList } from '../../src/digest/digest.js';
import { DIGEST_QUERIES, fillQuery, literalRegex } from '../../src/digest/digest-queries.js';
import { digestJson } from '../../src/digest/digest-text.js';
import { digestMarkdown } from '../../src/digest/render-markdown.js';
import { dingtalkDigest, wecomDigest } from '../../src/digest/robot-digest.js';
import { webhookOptionsSchema, webhookReceiver } from '../../src/sinks/webhook/webhook-schema.js';
import { logqlErrors } from '../support/corpus-logql.js';

const HOSTILE = 'quote" `tick` {{ .Reason }} <script>x</script> [x](http://y) {{DATE(2026-01-01T00:00:00Z)}}\nsecond line';

const list = (title: string, columns: string[], rows: Array<[string[], number]>, total = rows.length, missing: string[] = []): DigestList => ({
  title,
  columns,
  rows: rows.map(([keys, occurrences]) => ({ keys, occurrences })),
  total,
  missing,
});

function sample(rows = 3): Digest {
  const workloads = Array.from({ length: rows }, (_, i): [string[], number] => [['shop', i === 0 ? HOSTILE : `w-${i}`], 1000 - i]);
  return {
    cluster: 'prod',
    fromMs: Date.parse('2026-12-02T08:00:00Z'),
    toMs: Date.parse('2026-12-03T08:00:00Z'),
    previousFromMs: Date.parse('2026-12-01T08:00:00Z'),
    levels: ['warning', 'error', 'fatal'],
    total: 1234,
    workloads: list('Workloads', ['namespace', 'workload'], workloads, rows + 37),
    reasons: list('Reasons', ['reason'], [[[HOSTILE], 7]]),
    objects: list('Objects', ['namespace', 'kind', 'name'], [[['shop', 'Pod', HOSTILE], 5]], 1, ['huge']),
    newKinds: list('New kinds of failure', ['reason', 'kind'], []),
  };
}

describe("the digest's queries", () => {
  it('are the committed render of jsonnet/queries.libsonnet (the drift test in mixin.test.ts keeps them so)', () => {
    const committed = JSON.parse(readFileSync(join(REPO_ROOT, 'jsonnet', 'digest-queries.json'), 'utf8'));
    expect(DIGEST_QUERIES.queries).toEqual(committed.queries);
  });

  it('parse as LogQL once filled, with hostile cluster and namespace names kept inside their strings', () => {
    const scope = { cluster: literalRegex('prod"eu\\.x'), namespace: [literalRegex('a.b'), literalRegex('c|d')].join('|'), rangeSeconds: 86_400, limit: 10 };
    const { queries } = DIGEST_QUERIES;
    const all = [
      queries.total,
      queries.namespaces,
      ...[queries.workloads, queries.reasons, queries.objects, queries.newKinds].flatMap((q) => [q.top, q.count]),
    ];
    expect(all).toHaveLength(10);
    for (const template of all) {
      const query = fillQuery(template, scope);
      expect(query).not.toContain('${');
      expect(logqlErrors(query), query).toEqual([]);
      expect(query).toContain('cluster=~"prod\\"eu\\\\\\\\\\\\.x"');
      expect(query).toContain('namespace=~"a\\\\.b|c\\\\|d"');
    }
    expect(fillQuery(queries.workloads.top, scope)).toMatch(/^topk\(10, sum by \(namespace, workload\) \(sum_over_time\(.*\[86400s\]\)\)\)$/);
    expect(fillQuery(queries.newKinds.top, scope)).toContain('[86400s] offset 86400s');
  });

  it("use the daily failures dashboard's filter: the same stages as its Worst workloads panel", () => {
    const dashboard = JSON.parse(readFileSync(join(REPO_ROOT, 'dashboards', 'daily-failures.json'), 'utf8'));
    const panel = dashboard.panels.find((p: { title: string }) => p.title === 'Worst workloads over the range');
    const expr = panel.targets[0].expr as string;
    const stages = (q: string) => q.slice(q.indexOf('} | ') + 2, q.indexOf(' | json delta'));
    // The dashboard adds its text boxes (label_format … eventline_match) after the shared filter.
    expect(stages(expr).startsWith(stages(DIGEST_QUERIES.queries.workloads.top))).toBe(true);
    expect(stages(DIGEST_QUERIES.queries.workloads.top)).toBe('| level=~"warning|error|fatal" | workload!=""');
    expect(expr).toMatch(/^topk\(10, sum by \(namespace, workload\) \(sum_over_time\(/);
  });
});

describe('the digest as markdown and JSON', () => {
  it('markdown: GitHub tables, every cell escaped, a line break a space, the cut and the missing namespace said', () => {
    const md = digestMarkdown(sample());
    expect(md).toContain('## Workloads \\(top 3 of 40\\)\n\n| namespace | workload | occurrences |\n| --- | --- | ---: |\n');
    expect(md).toContain(
      '| shop | quote" \\`tick\\` \\{\\{ \\.Reason \\}\\} \\<script\\>x\\</script\\> \\[x\\]\\(http://y\\) \\{\\{DATE\\(2026\\-01\\-01T00:00:00Z\\)\\}\\} second line | 1000 |',
    );
    expect(md).toContain('## Objects \\(incomplete: huge left out');
    expect(md).toContain('## New kinds of failure \\(none of them from 2026\\-12\\-01T08:00:00Z to 2026\\-12\\-02T08:00:00Z\\)\n\nNone.\n');
    expect(md).not.toContain('[x](');
  });

  it('JSON: rows keyed by column, values as they are, cut and missing', () => {
    const json = digestJson(sample()) as Record<string, any>;
    expect(json.workloads).toEqual({
      columns: ['namespace', 'workload', 'occurrences'],
      rows: [
        { namespace: 'shop', workload: HOSTILE, occurrences: 1000 },
        { namespace: 'shop', workload: 'w-1', occurrences: 999 },
        { namespace: 'shop', workload: 'w-2', occurrences: 998 },
      ],
      total: 40,
      cut: true,
      missing: [],
    });
    expect(json.objects.missing).toEqual(['huge']);
    expect(json.from).toBe('2026-12-02T08:00:00.000Z');
  });
});

describe("the digest in each preset's body", () => {
  const receiver = (preset?: string) =>
    webhookReceiver('chat', webhookOptionsSchema.parse({ endpoint: 'https://example.invalid/hook', ...(preset ? { preset } : {}) }));

  it('teams: one Adaptive Card 1.4, lists as ColumnSets of TextRuns, DATE() kept as text', () => {
    const body = JSON.parse(digestBody(receiver('teams'), sample())) as Record<string, any>;
    expect(body.type).toBe('message');
    expect(body.attachments).toHaveLength(1);
    const card = body.attachments[0];
    expect(card.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(card.content).toMatchObject({ type: 'AdaptiveCard', version: '1.4', $schema: 'http://adaptivecards.io/schemas/adaptive-card.json' });
    const items = card.content.body as Array<Record<string, any>>;
    expect(items[0]).toEqual({ type: 'RichTextBlock', inlines: [{ type: 'TextRun', text: 'kube-eventline digest · prod', weight: 'Bolder', size: 'Medium' }] });
    const rows = items.filter((i) => i.type === 'ColumnSet');
    // header + 3 workloads, header + 1 reason, header + 1 object; the empty list says none
    expect(rows).toHaveLength(4 + 2 + 2);
    const texts = (row: Record<string, any>) => row.columns.map((c: Record<string, any>) => c.items[0].inlines[0].text);
    expect(texts(rows[0]!)).toEqual(['namespace', 'workload', 'occurrences']);
    const hostile = texts(rows[1]!);
    expect(hostile[0]).toBe('shop');
    expect(hostile[1]).toBe(HOSTILE.replace('\n', ' ').replace('{{DATE', '{{\u2060DATE'));
    expect(hostile[2]).toBe('1000');
    for (const row of rows) for (const c of row.columns) expect(c.items[0].type).toBe('RichTextBlock');
    expect(items.at(-1)).toEqual({ type: 'RichTextBlock', inlines: [{ type: 'TextRun', text: 'none' }] });
  });

  it('slack: the notification text escaped as Slack says; headings and tables are plain text, shown as written', () => {
    const body = JSON.parse(digestBody(receiver('slack'), { ...sample(), cluster: '<!channel> & <http://x|y>' })) as {
      text: string;
      blocks: Array<Record<string, any>>;
    };
    expect(body.text.startsWith('kube-eventline digest · &lt;!channel&gt; &amp; &lt;http://x|y&gt;: 1234 occurrences')).toBe(true);
    expect(body.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'kube-eventline digest · <!channel> & <http://x|y>', emoji: false } });
    const reasons = body.blocks.filter((b) => b.type === 'rich_text')[1]!.elements[0].elements[0];
    // A cell holds at most 100 characters (this one has 103): cut with an ellipsis, the rest as written.
    const cell = `${HOSTILE.replace('\n', ' ').slice(0, 99)}…`;
    expect(reasons).toEqual({ type: 'text', text: `reason${' '.repeat(cell.length - 6)}  occurrences\n${cell}  ${' '.repeat(10)}7` });
  });

  it('slack: each table within 3000 characters, rows cut off its end and said', () => {
    const long = sample(100);
    for (const row of long.workloads.rows) row.keys[1] = `${row.keys[1]}-a-workload-name-long-enough-to-need-room`;
    const body = JSON.parse(digestBody(receiver('slack'), long)) as { blocks: Array<Record<string, any>> };
    const table = body.blocks.filter((b) => b.type === 'rich_text')[0]!.elements[0].elements[0].text as string;
    expect(table.length).toBeLessThanOrEqual(3000);
    const shown = table.split('\n').length - 1;
    expect(shown).toBeGreaterThan(20);
    expect(shown).toBeLessThan(100);
    expect(body.blocks[2]!.text.text).toBe(`Workloads (top 100 of 137; ${shown} rows here to fit Slack's block size)`);
  });

  it('wecom: markdown content within 4096 bytes, every cell escaped, rows cut to fit and said', () => {
    const body = JSON.parse(digestBody(receiver('wecom'), sample())) as { msgtype: string; markdown: { content: string } };
    expect(Object.keys(body).sort()).toEqual(['markdown', 'msgtype']);
    expect(body.msgtype).toBe('markdown');
    expect(body.markdown.content.startsWith('### kube\\-eventline digest · prod\n')).toBe(true);
    expect(body.markdown.content).toContain('\n**1000** · shop · quote" \\`tick\\` \\{\\{ \\.Reason \\}\\} \\<script\\>');
    expect(body.markdown.content).not.toContain('<script>');
    const long = sample(100);
    for (const row of long.workloads.rows) row.keys[1] = `${row.keys[1]}-a-workload-name-long-enough-to-need-room`;
    const big = wecomDigest(long) as { markdown: { content: string } };
    expect(Buffer.byteLength(big.markdown.content)).toBeLessThanOrEqual(4096);
    expect(big.markdown.content).toMatch(/\*\*Workloads \\\(top 100 of 137; \d+ rows here to fit the robot's message size\\\)\*\*/);
    const ding = dingtalkDigest(sample(100)) as { markdown: { text: string } };
    expect(ding.markdown.text.match(/^- \*\*\d+\*\* · shop · w\\-/gm)).toHaveLength(99);
  });

  it('a webhook without preset: the JSON; a layout is for event lines and refused by the command before Loki is asked', async () => {
    expect(JSON.parse(digestBody(receiver(), sample()))).toEqual(JSON.parse(JSON.stringify(digestJson(sample()))));
    const dir = mkdtempSync(join(tmpdir(), 'digest-layout-'));
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      'route: { match: [{ receiver: kee }] }\nreceivers:\n  - name: kee\n    webhook:\n      endpoint: https://example.invalid/hook\n      layout: { text: "{{ .Reason }}" }\n',
    );
    let stderr = '';
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr += String(chunk);
      return true;
    });
    try {
      expect(await runDigest(['--loki', 'http://127.0.0.1:1', '--config', config, '--receiver', 'kee'], {})).toBe(2);
    } finally {
      spy.mockRestore();
    }
    expect(stderr.split('\n')[0]).toBe(
      `kube-eventline digest: ${config}: receiver "kee" has a layout, which renders event lines; the digest sends a preset's format or, without preset, its own JSON`,
    );
  });
});
