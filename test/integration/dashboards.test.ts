// Every panel, annotation and variable query of the rendered dashboards, run against the real Loki
// on a seeded corpus, with the numbers checked against values computed from the corpus in TS.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../jsonnet/render.mjs';
import { harness, type Harness } from '../harness/index.js';
import { makeCorpus, pushAndAwaitCorpus, rows, type Corpus, type Row } from '../support/corpus.js';
import { dashboardQueries, substitute, type CollectedQuery, type Dashboard } from '../support/corpus-logql.js';
import { compare, PANEL_SPECS, type Evaluation, type Vars } from '../support/corpus-oracle.js';

const HOURS = 26;
const STEP_SECONDS = 1800;
const FILES = Object.keys(PANEL_SPECS);

let h: Harness;
let corpus: Corpus;
let rs: Row[];
let base: Vars;
let evaluation: Evaluation;

const dashboards = Object.fromEntries(
  FILES.map((f) => [f, JSON.parse(readFileSync(join(REPO_ROOT, 'dashboards', f), 'utf8')) as Dashboard]),
);

function durationSeconds(d: string): number {
  const m = /^(\d+)([smhd])$/.exec(d);
  if (!m) throw new Error(`unsupported duration ${d}`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

/** Runs one collected panel/annotation query as Grafana would, and compares it with the corpus. */
async function check(q: CollectedQuery, vars: Vars): Promise<string[]> {
  const spec = PANEL_SPECS[q.source]?.[q.title];
  if (!spec) return [`no oracle for ${q.source} / ${q.title}`];
  const step = q.step ? durationSeconds(q.step) : STEP_SECONDS;
  const e: Evaluation = { ...evaluation, stepSeconds: step };
  // The range the query uses: $__range for instant queries, $__auto (= the step) or a literal.
  const literal = /\[(\d+[smhd])\]/.exec(q.expr)?.[1];
  e.rangeSeconds = q.expr.includes('[$__range]') ? HOURS * 3600 : literal ? durationSeconds(literal) : step;
  const expr = substitute(q.expr, { ...vars, __range: `${HOURS * 3600}s`, __auto: `${step}s` });
  const result = q.instant
    ? await h.loki.queryInstant(expr, new Date(evaluation.end))
    : await h.loki.queryRange(expr, new Date(evaluation.start), new Date(evaluation.end), step);
  // Loki (like Grafana) aligns a range query's start down and its end up to multiples of the step.
  const stepMs = step * 1000;
  const aligned = q.instant || spec.type === 'logs'
    ? e
    : { ...e, start: Math.floor(e.start / stepMs) * stepMs, end: Math.ceil(e.end / stepMs) * stepMs };
  return compare(spec, result, rs, vars, aligned, Boolean(q.instant)).map((p) => `${q.source} / ${q.title}: ${p}\n    ${expr}`);
}

beforeAll(async () => {
  h = await harness();
  const cluster = `dash-${randomBytes(4).toString('hex')}`;
  // Whole minutes, so that every step falls between the corpus' millisecond timestamps.
  const end = Math.floor(Date.now() / 60_000) * 60_000;
  corpus = makeCorpus({ cluster, seed: 7, end: new Date(end), hours: HOURS });
  rs = rows(corpus.lines);
  evaluation = { start: end - HOURS * 3_600_000, end, stepSeconds: STEP_SECONDS, rangeSeconds: STEP_SECONDS };
  base = { datasource: 'loki', cluster, namespace: '.*', level: '.*', kind: '.*', reason: '.*', search: '', node: '.*', workload: '.*', name: '.*', pod: '.*' };
  await pushAndAwaitCorpus(h.loki, corpus.lines, cluster, end, HOURS);
});

describe('the corpus', () => {
  it('counts occurrences, not lines: more occurrences than lines, and an Event of count 40 in three lines', () => {
    const occurrences = corpus.lines.reduce((a, l) => a + l.delta, 0);
    expect(occurrences).toBeGreaterThan(corpus.lines.length);
    expect(corpus.forty.lines.map((l) => l.count)).toEqual([4, 15, 40]);
    expect(corpus.forty.lines.reduce((a, l) => a + l.delta, 0)).toBe(40);
  });
});

describe.each(FILES)('%s against Loki', (file) => {
  const queries = () => dashboardQueries(file, dashboards[file]!).filter((q) => q.origin !== 'variable');

  it('has an oracle for every panel and annotation query', () => {
    const titles = new Set(queries().map((q) => q.title));
    expect([...titles].filter((t) => !PANEL_SPECS[file]![t])).toEqual([]);
  });

  it('every panel query returns the numbers computed from the corpus (all variables at All)', async () => {
    const vars = { ...base };
    if (file === 'object-history.json') Object.assign(vars, { namespace: corpus.forty.namespace, kind: 'Pod', name: corpus.forty.name });
    if (file === 'pod-lifecycle.json') Object.assign(vars, { namespace: corpus.forty.namespace, pod: corpus.forty.name });
    const problems: string[] = [];
    for (const q of queries()) problems.push(...(await check(q, vars)));
    expect(problems).toEqual([]);
  });
});

describe('dashboards with narrowed variables', () => {
  it('events overview honours namespace, level, kind, reason and search', async () => {
    const vars = { ...base, namespace: 'shop|batch', level: 'warning|error', kind: 'Pod', reason: 'BackOff|Unhealthy|Failed', search: 'container' };
    const problems: string[] = [];
    for (const q of dashboardQueries('events-overview.json', dashboards['events-overview.json']!).filter((x) => x.origin === 'panel')) {
      problems.push(...(await check(q, vars)));
    }
    expect(problems).toEqual([]);
  });

  it('node problems and daily failures honour node and workload', async () => {
    const problems: string[] = [];
    for (const q of dashboardQueries('node-problems.json', dashboards['node-problems.json']!).filter((x) => x.origin === 'panel')) {
      problems.push(...(await check(q, { ...base, node: 'node-2|node-4' })));
    }
    for (const q of dashboardQueries('daily-failures.json', dashboards['daily-failures.json']!).filter((x) => x.origin === 'panel')) {
      problems.push(...(await check(q, { ...base, workload: 'api' })));
    }
    expect(problems).toEqual([]);
  });

  it('object history of the count-40 Event shows 40 occurrences of its reason', async () => {
    const d = dashboards['object-history.json']!;
    const q = dashboardQueries('object-history.json', d).find((x) => x.title === 'Reasons over the range')!;
    const vars = { ...base, namespace: corpus.forty.namespace, kind: 'Pod', name: corpus.forty.name, reason: corpus.forty.reason, search: 'Liveness' };
    const r = await h.loki.queryInstant(substitute(q.expr, { ...vars, __range: `${HOURS * 3600}s` }), new Date(evaluation.end));
    expect(r.result.map((s: { metric: Record<string, string>; value: [number, string] }) => [s.metric.reason, Number(s.value[1])])).toEqual([[corpus.forty.reason, 40]]);
  });
});

describe('variable queries', () => {
  it('cluster and namespace variables list the label values of the corpus', async () => {
    const range = { start: new Date(evaluation.start), end: new Date(evaluation.end) };
    for (const file of FILES) {
      const vars = dashboards[file]!.templating.list.filter((v) => v.type === 'query');
      expect(vars.map((v) => v.name)).toEqual(['cluster', 'namespace']);
      const cluster = vars[0]!;
      const clusters = await h.loki.labelValues(cluster.query.label, { ...range, query: substitute(cluster.query.stream, base) });
      expect(clusters).toContain(corpus.cluster);
      const ns = vars[1]!;
      const namespaces = await h.loki.labelValues(ns.query.label, { ...range, query: substitute(ns.query.stream, base) });
      expect(namespaces.sort()).toEqual([...new Set(corpus.lines.map((l) => l.namespace))].sort());
    }
  });
});
