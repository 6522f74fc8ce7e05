// docs/explore.md: every ```logql block parses and runs against the real Loki on a seeded corpus;
// the metric recipes return the numbers computed from the corpus in TS.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../jsonnet/render.mjs';
import { harness, type Harness } from '../harness/index.js';
import { aggregate, groupKey, makeCorpus, pushAndAwaitCorpus, rows, type Corpus, type Row } from '../support/corpus.js';
import { logqlBlocks, logqlErrors } from '../support/corpus-logql.js';

const HOURS = 26;
const DAY = 86_400_000;
const blocks = logqlBlocks(readFileSync(join(REPO_ROOT, 'docs/explore.md'), 'utf8'));

let h: Harness;
let corpus: Corpus;
let rs: Row[];
let end: number;

const l = (r: Row, k: string) => r.labels[k] ?? '';
const within = (days: number) => ({ from: end - days * DAY, to: end });

/** Expected results of the metric recipes, keyed by a phrase unique to the recipe's query. */
const ORACLES: Array<{ contains: string; by: string[]; expected: () => Map<string, number> }> = [
  {
    contains: 'sum by (reason, level) (sum_over_time({job="kube-eventline", namespace="shop"} | kind="Pod" | name="api-7d9c5b-x2x4q"',
    by: ['reason', 'level'],
    expected: () =>
      aggregate(rs.filter((r) => l(r, 'namespace') === 'shop' && l(r, 'kind') === 'Pod' && l(r, 'name') === 'api-7d9c5b-x2x4q'), {
        ...within(1),
        key: (r) => groupKey(r.labels, ['reason', 'level']),
      }),
  },
  {
    contains: 'topk(10, sum by (namespace, workload)',
    by: ['namespace', 'workload'],
    expected: () => {
      const all = aggregate(rs.filter((r) => r.line.message.includes('Back-off restarting failed container') && l(r, 'reason') === 'BackOff'), {
        ...within(7),
        key: (r) => groupKey(r.labels, ['namespace', 'workload']),
      });
      return new Map([...all].sort((a, b) => b[1] - a[1]).slice(0, 10));
    },
  },
  {
    contains: 'reason="ConntrackFull"',
    by: ['cluster', 'name'],
    expected: () =>
      aggregate(rs.filter((r) => l(r, 'namespace') === '_cluster' && l(r, 'kind') === 'Node' && l(r, 'reason') === 'ConntrackFull'), {
        ...within(7),
        key: (r) => groupKey(r.labels, ['cluster', 'name']),
      }),
  },
  {
    contains: '  and\n',
    by: ['node'],
    expected: () => {
      const ooms = aggregate(rs.filter((r) => l(r, 'namespace') === '_cluster' && /^(OOMKilling|SystemOOM)$/.test(l(r, 'reason'))), {
        ...within(1),
        key: (r) => groupKey(r.labels, ['node']),
      });
      const nodes = aggregate(rs.filter((r) => l(r, 'namespace') === 'payments' && l(r, 'kind') === 'Pod' && l(r, 'node') !== ''), {
        ...within(1),
        key: (r) => groupKey(r.labels, ['node']),
      });
      return new Map([...ooms].filter(([k]) => nodes.has(k)));
    },
  },
  {
    contains: '| workload="api" or name="api"',
    by: ['reason'],
    expected: () => new Map(), // a range query: checked for series only
  },
  {
    contains: 'sum by (reason) (sum_over_time({job="kube-eventline"} | json delta | unwrap delta [1d]))',
    by: ['reason'],
    expected: () => aggregate(rs, { ...within(1), key: (r) => groupKey(r.labels, ['reason']) }),
  },
  {
    contains: 'count_over_time',
    by: ['reason'],
    expected: () => aggregate(rs, { ...within(1), key: (r) => groupKey(r.labels, ['reason']), value: () => 1 }),
  },
  {
    contains: 'json count | unwrap count',
    by: ['namespace', 'name', 'reason'],
    expected: () =>
      aggregate(rs.filter((r) => l(r, 'kind') === 'Pod'), {
        ...within(1),
        key: (r) => groupKey(r.labels, ['namespace', 'name', 'reason']),
        value: (r) => r.line.count,
        combine: 'max',
      }),
  },
];

/** The recipe narrowed to the test's cluster: every selector of the job gets `cluster="…"`. */
const narrow = (q: string) => q.replaceAll('{job="kube-eventline"', `{job="kube-eventline", cluster="${corpus.cluster}"`);

beforeAll(async () => {
  h = await harness();
  end = Math.floor(Date.now() / 60_000) * 60_000;
  corpus = makeCorpus({ cluster: `explore-${randomBytes(4).toString('hex')}`, seed: 11, end: new Date(end), hours: HOURS });
  rs = rows(corpus.lines);
  await pushAndAwaitCorpus(h.loki, corpus.lines, corpus.cluster, end, HOURS);
});

describe('docs/explore.md', () => {
  it('has the recipes the issue asks for', () => {
    const headings = new Set(blocks.map((b) => b.heading));
    for (const h of [
      'What happened to this pod?',
      'Which workloads crash-loop most this week?',
      'Which nodes hit conntrack limits?',
      'All OOM kills in a namespace',
      'Events around a deploy',
      'True occurrence counts vs lines',
    ]) {
      expect(headings, h).toContain(h);
    }
    expect(blocks.length).toBeGreaterThanOrEqual(10);
  });

  it('every logql block parses', () => {
    for (const b of blocks) expect(logqlErrors(b.query), b.query).toEqual([]);
  });

  it('every metric recipe has an oracle, and every oracle a recipe', () => {
    const metric = blocks.filter((b) => !b.query.startsWith('{'));
    for (const b of metric) expect(ORACLES.filter((o) => b.query.includes(o.contains)).length, b.query).toBe(1);
    for (const o of ORACLES) expect(metric.filter((b) => b.query.includes(o.contains)).length, o.contains).toBe(1);
  });

  it.each(blocks.map((b, i) => ({ i, ...b })))('block $i ($heading) runs against Loki with the corpus\' answer', async ({ query }) => {
    const q = narrow(query);
    if (query.startsWith('{')) {
      const res = await h.loki.queryRange(q, new Date(end - HOURS * 3_600_000), new Date(end), 60);
      expect(res.resultType).toBe('streams');
      const lines = res.result.flatMap((s: { values: [string, string][] }) => s.values);
      expect(lines.length).toBeGreaterThan(0);
      return;
    }
    const oracle = ORACLES.find((o) => query.includes(o.contains))!;
    if (query.includes('[5m]')) {
      // A range recipe: per-5-minute sums add up to the workload's occurrences.
      const res = await h.loki.queryRange(q, new Date(end - HOURS * 3_600_000), new Date(end), 300);
      expect(res.resultType).toBe('matrix');
      const got = res.result.reduce((a: number, s: { values: [number, string][] }) => a + s.values.reduce((b, [, v]) => b + Number(v), 0), 0);
      const want = rs
        .filter((r) => l(r, 'namespace') === 'shop' && (l(r, 'workload') === 'api' || l(r, 'name') === 'api') && r.t > end - HOURS * 3_600_000 && r.t <= end)
        .reduce((a, r) => a + r.line.delta, 0);
      expect(want).toBeGreaterThan(0);
      expect(got).toBe(want);
      return;
    }
    const res = await h.loki.queryInstant(q, new Date(end));
    expect(res.resultType).toBe('vector');
    const got = new Map(res.result.map((s: { metric: Record<string, string>; value: [number, string] }) => [groupKey(s.metric, oracle.by), Number(s.value[1])]));
    const want = oracle.expected();
    expect(want.size).toBeGreaterThan(0);
    expect(got).toEqual(want);
  });
});
