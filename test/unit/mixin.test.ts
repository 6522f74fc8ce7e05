// The mixin as a whole: rendering, drift against the committed files, the config contract,
// overrides, and that every LogQL expression parses.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { DIGEST_QUERIES_FILE, drift, evaluateMixin, REPO_ROOT, RULES_FILE, render } from '../../jsonnet/render.mjs';
import { DEFAULT_REASON_LEVELS } from '../../src/grade/default-levels.js';
import { WAITING_FAILURE_REASONS } from '../../src/pods/pod-failures.js';
import {
  ALL,
  backendMacros,
  type CollectedQuery,
  type Dashboard,
  dashboardQueries,
  grafanaRequest,
  logqlBlocks,
  logqlErrors,
  percentEncode,
  ruleQueries,
  type Selection,
  substitute,
  type VariableDefinition,
} from '../support/corpus-logql.js';

const streams = JSON.parse(readFileSync(join(REPO_ROOT, 'jsonnet/loki-streams.json'), 'utf8')) as {
  job: string;
  labels: Record<string, string>;
  structuredMetadata: Record<string, string>;
};

/** Rendering runs go-jsonnet (jsonnet/engine.mjs): under a second, more on a loaded machine. */
const TIMEOUT = 120_000;

const DASHBOARD_FILES = [
  'daily-failures.json',
  'events-overview.json',
  'node-problems.json',
  'object-history.json',
  'pod-lifecycle.json',
  'rollouts-images.json',
];

/** Sample values for every variable and macro, as Grafana would interpolate them. */
const SAMPLE_VALUES: Record<string, string> = {
  datasource: 'loki-uid',
  cluster: 'prod-eu',
  namespace: 'shop|payments',
  level: 'warning|error',
  kind: 'Pod',
  reason: 'BackOff',
  search: 'api',
  name: 'api-7d9c-x2x',
  pod: 'api-7d9c-x2x',
  node: 'node-3',
  workload: 'api',
  __range: '6h',
  __auto: '1m',
  __interval: '1m',
};

let mixin: Awaited<ReturnType<typeof evaluateMixin>>;
let queries: CollectedQuery[];
let rendered: Map<string, string>;

beforeAll(async () => {
  [mixin, rendered] = await Promise.all([evaluateMixin(), render()]);
  queries = [...Object.entries(mixin.dashboards).flatMap(([file, d]) => dashboardQueries(file, d as Dashboard)), ...ruleQueries(mixin.rules)];
}, TIMEOUT);

describe('mixin rendering', () => {
  it("renders the six dashboards, the rules file and the digest's queries", () => {
    const files = rendered;
    expect([...files.keys()].sort()).toEqual([...DASHBOARD_FILES.map((f) => `dashboards/${f}`), RULES_FILE, DIGEST_QUERIES_FILE].sort());
    for (const [path, content] of files) {
      expect(content.endsWith('\n'), path).toBe(true);
      expect(content.endsWith('\n\n'), path).toBe(false);
    }
  });

  it(
    'is deterministic: two renders are byte-identical and keys are sorted',
    async () => {
      const [a, b] = [rendered, await render()];
      expect([...a.entries()]).toEqual([...b.entries()]);
      const overview = a.get('dashboards/events-overview.json')!;
      const keys = Object.keys(JSON.parse(overview));
      expect(keys).toEqual([...keys].sort());
    },
    TIMEOUT,
  );

  it("committed dashboards/, rules/ and the digest's queries match a fresh render (no drift)", () => {
    expect(drift(rendered)).toEqual([]);
  });

  it('drift() reports a changed and a missing file', () => {
    const changed = new Map(rendered);
    changed.set('dashboards/events-overview.json', '{}\n');
    changed.set('dashboards/not-there.json', '{}\n');
    const problems = drift(changed);
    expect(problems).toContain('differs: dashboards/events-overview.json');
    expect(problems).toContain('missing: dashboards/not-there.json');
  });

  it('the rules file is Loki ruler YAML with groups', () => {
    const text = readFileSync(join(REPO_ROOT, RULES_FILE), 'utf8');
    const parsed = YAML.parse(text) as { groups: Array<{ name: string; rules: unknown[] }> };
    expect(parsed.groups.map((g) => g.name)).toEqual(mixin.rules.groups.map((g) => g.name));
    expect(parsed).toEqual(JSON.parse(JSON.stringify(mixin.rules)));
  });
});

describe('config contract', () => {
  it('config.libsonnet imports loki-streams.json instead of restating names', () => {
    const text = readFileSync(join(REPO_ROOT, 'jsonnet/config.libsonnet'), 'utf8');
    expect(text).toContain("import 'loki-streams.json'");
    // No label or metadata name appears as a quoted literal in the config.
    for (const name of [...Object.keys(streams.labels), ...Object.keys(streams.structuredMetadata)]) {
      expect(text, name).not.toMatch(new RegExp(`: '${name}'`));
    }
  });

  it('label and structured metadata names in _config are those of loki-streams.json', () => {
    const c = mixin.config;
    expect(c.job).toBe(streams.job);
    expect(Object.values(c.labels).sort()).toEqual(Object.keys(streams.labels).sort());
    expect(Object.values(c.metadata).sort()).toEqual(Object.keys(streams.structuredMetadata).sort());
  });

  it('every query selects the job of loki-streams.json and matches only its stream labels', () => {
    const allowedLabels = new Set(['job', ...Object.keys(streams.labels)]);
    for (const q of queries) {
      const selectors = [...substitute(q.expr, SAMPLE_VALUES).matchAll(/\{([^{}]*=[^{}]*)\}/g)].map((m) => m[1]!).filter((s) => s.includes('job='));
      expect(selectors.length, `${q.source} ${q.title}`).toBeGreaterThan(0);
      for (const sel of selectors) {
        expect(sel, q.title).toContain(`job="${streams.job}"`);
        for (const m of sel.matchAll(/([A-Za-z_]+)\s*(=~|!~|!=|=)/g)) expect(allowedLabels.has(m[1]!), `${q.title}: ${m[1]}`).toBe(true);
      }
    }
  });

  it('reasons named by the config are graded in src/grade/default-levels.ts', () => {
    const c = mixin.config;
    for (const r of [...c.nodeProblemReasons, ...c.alertNodeProblemReasons, ...c.oomReasons, ...c.nodeReadinessReasons, c.containerOomReason]) {
      expect(DEFAULT_REASON_LEVELS[r], r).toBeDefined();
    }
    expect(c.alertNodeProblemReasons.every((r: string) => c.nodeProblemReasons.includes(r))).toBe(true);
  });

  it('the pod failure reasons the dashboards and rules filter on are graded by the built-in levels', () => {
    // The reasons of pod failure lines, as docs/event-line.md documents them and src/pods/ writes them.
    const reasonRow = readFileSync(join(REPO_ROOT, 'docs/event-line.md'), 'utf8')
      .split('\n')
      .find((l) => l.startsWith('| `reason` | for a terminated container'));
    expect(reasonRow, 'docs/event-line.md: the reason row of pod failure lines').toBeDefined();
    const podFailureReasons = new Set([...[...reasonRow!.matchAll(/`([A-Z][A-Za-z]+)`/g)].map((m) => m[1]!), ...WAITING_FAILURE_REASONS]);
    const filtered = new Set<string>();
    for (const q of queries) {
      for (const m of q.expr.matchAll(/\breason\s*(?:=~|=)\s*"([^"]*)"/g)) {
        for (const r of m[1]!.split('|')) if (podFailureReasons.has(r)) filtered.add(r);
      }
    }
    // The OOM panels and alert, and the image pull failures, at least: or this checks nothing.
    expect([...filtered]).toEqual(expect.arrayContaining([mixin.config.containerOomReason, 'ErrImagePull', 'ImagePullBackOff']));
    for (const r of filtered) expect(DEFAULT_REASON_LEVELS[r], r).toBeDefined();
  });

  it('colours levels info grey, normal green, warning orange, error red, fatal dark red', () => {
    expect(mixin.config.levels).toEqual(['info', 'normal', 'warning', 'error', 'fatal']);
    expect(mixin.config.levelColors).toEqual({ info: 'text', normal: 'green', warning: 'orange', error: 'red', fatal: 'dark-red' });
  });
});

describe('overriding _config', () => {
  it(
    'a jsonnet override reaches dashboards and rules, leaving the rest alone',
    async () => {
      const m = await evaluateMixin({ config: "{ topN: 3, alertFor+: { oomKill: '7s' }, oomWindow: '2m', silenceClusters: ['a', 'b'] }" });
      const oom = m.rules.groups.flatMap((g) => g.rules).find((r) => r.alert === 'KubeEventlineOOMKills')!;
      expect(oom.for).toBe('7s');
      expect(oom.expr).toContain('[2m]');
      const crash = m.rules.groups.flatMap((g) => g.rules).find((r) => r.alert === 'KubeEventlineCrashLoopStorm')!;
      expect(crash.for).toBe(mixin.rules.groups.flatMap((g) => g.rules).find((r) => r.alert === 'KubeEventlineCrashLoopStorm')!.for);
      const silent = m.rules.groups.flatMap((g) => g.rules).find((r) => r.alert === 'KubeEventlineStreamSilent')!;
      expect(silent.expr).toBe(`absent_over_time({job="${streams.job}", cluster="a"}[15m]) or absent_over_time({job="${streams.job}", cluster="b"}[15m])`);
      const top = (m.dashboards['events-overview.json'] as Dashboard).panels.find((p) => p.title === 'Top reasons')!;
      expect(top.targets![0]!.expr.startsWith('topk(3, ')).toBe(true);
    },
    TIMEOUT,
  );

  it(
    'an extra selector narrows every query',
    async () => {
      const m = await evaluateMixin({ config: { extraSelector: 'env="prod"' } });
      const all = [...Object.entries(m.dashboards).flatMap(([f, d]) => dashboardQueries(f, d as Dashboard)), ...ruleQueries(m.rules)];
      for (const q of all) expect(q.expr, q.title).toContain(`job="${streams.job}", env="prod"`);
    },
    TIMEOUT,
  );
});

describe('LogQL', () => {
  it('collects queries from every dashboard and every rule', () => {
    for (const f of DASHBOARD_FILES) expect(queries.filter((q) => q.source === f && q.origin === 'panel').length, f).toBeGreaterThan(3);
    expect(queries.filter((q) => q.origin === 'rule').length).toBe(7);
    expect(queries.filter((q) => q.origin === 'variable').length).toBe(12);
  });

  it('every panel, variable, annotation and rule expression parses once macros are replaced', () => {
    const failures: string[] = [];
    for (const q of queries) {
      const expr = substitute(q.expr, SAMPLE_VALUES);
      expect(expr).not.toContain('$');
      const errors = logqlErrors(expr);
      if (errors.length > 0) failures.push(`${q.source} / ${q.title}: ${errors.join('; ')}\n  ${expr}`);
    }
    expect(failures).toEqual([]);
  });

  it('the parser does reject broken LogQL and unreplaced macros', () => {
    expect(logqlErrors('sum(sum_over_time({job="x"} | json delta | unwrap delta [5m])')).not.toEqual([]);
    expect(logqlErrors('sum(sum_over_time({job="x"} | json delta | unwrap delta [$__auto]))')).not.toEqual([]);
    expect(logqlErrors('sum(sum_over_time({job="x"} | json delta | unwrap delta [5m]))')).toEqual([]);
  });

  it('counts occurrences: no count_over_time or rate anywhere, every sum_over_time unwraps delta', () => {
    for (const q of queries) {
      expect(q.expr, q.title).not.toMatch(/count_over_time|bytes_over_time|\brate\(|bytes_rate/);
      for (const m of q.expr.matchAll(/sum_over_time\(/g)) {
        // The argument, up to the matching parenthesis.
        let depth = 0;
        let i = m.index + 'sum_over_time'.length;
        for (; i < q.expr.length; i++) {
          if (q.expr[i] === '(') depth++;
          if (q.expr[i] === ')' && --depth === 0) break;
        }
        const body = q.expr.slice(m.index + 'sum_over_time('.length, i);
        // Either `… | unwrap delta | __error__="" [range]` or, with an offset, `{…} [range] offset o … | unwrap delta | __error__=""`.
        expect(body, q.title).toMatch(
          /^\{.*?"\}( \[\d+[smhdw]\] offset -?\d+[smhd])? .*\| json delta(="delta")?(, \w+(="[\w.]+")?)* .*\| unwrap delta \| __error__=""( \[(\$__\w+|\d+[smhdw])\])?$/,
        );
        expect(body, q.title).toMatch(/\[(\$__\w+|\d+[smhdw])\]/);
      }
    }
  });

  it('text boxes reach LogQL as literals: every panel parses, whatever a user types', async () => {
    const hostile = ['"host":"node-3"', '`', '\\', '\\d+.*(x)', '}', '{{ end }}', "it's", '%41', '$1', 'a"b`c\\d}e'];
    const failures: string[] = [];
    for (const [file, d] of Object.entries(mixin.dashboards) as Array<[string, Dashboard]>) {
      const defs = d.templating.list as unknown as VariableDefinition[];
      for (const text of hostile) {
        const selection: Record<string, Selection> = {};
        for (const v of d.templating.list) selection[v.name] = v.type === 'textbox' ? text : v.includeAll ? ALL : v.multi ? ['shop'] : 'shop';
        for (const q of dashboardQueries(file, d).filter((x) => x.origin !== 'variable')) {
          const req = grafanaRequest({ expr: q.expr, instant: q.instant ?? false }, { from: 0, to: 3_600_000, intervalMs: 60_000 }, defs, selection);
          const errors = logqlErrors(req.expr);
          if (errors.length > 0) failures.push(`${file} / ${q.title} with ${JSON.stringify(text)}: ${errors[0]}`);
          // The text reaches Loki only percent-encoded: no raw character of it is in the query.
          if (/:percentencode\}/.test(q.expr) && !req.expr.includes(percentEncode(text)))
            failures.push(`${file} / ${q.title}: ${JSON.stringify(text)} not percent-encoded`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('filters reason/kind/name/workload/node as structured metadata, parsing only delta (and message for image names, the source and container facts of container failures)', () => {
    for (const q of queries) {
      for (const m of q.expr.matchAll(/\| json([^|]*)/g)) {
        const params = m[1]!.trim();
        if (params.includes('=')) {
          // Container failures: the source and the `container` field of the line, under names of their own.
          for (const p of params.split(', ').filter((x) => x !== 'delta'))
            expect(p, `${q.title}: ${m[0]}`).toMatch(/^(component="source\.component"|\w+="container\.\w+")$/);
        } else expect(['delta', 'delta, message'], `${q.title}: ${m[0]}`).toContain(params);
      }
      expect(q.expr, q.title).not.toMatch(/\| logfmt|\| json\s*\|/);
    }
  });

  it('rankings over the range are instant queries with topk outside the aggregation', () => {
    for (const q of queries.filter((x) => x.origin === 'panel')) {
      if (q.expr.includes('topk(')) {
        expect(q.expr.startsWith('topk('), q.title).toBe(true);
        expect(q.expr, q.title).toContain('[$__range]');
      }
      if (q.expr.includes('[$__range]')) expect(q.instant, `${q.source} ${q.title}`).toBe(true);
      if (q.expr.includes('[$__auto]')) expect(q.instant, `${q.source} ${q.title}`).toBe(false);
    }
  });
});

describe('alert rules', () => {
  const rulesOf = () => mixin.rules.groups.flatMap((g) => g.rules);

  it('cover OOM kills, containers OOMKilled again and again, crash loops, unschedulable pods, node problems, NodeNotReady and a silent stream', () => {
    expect(
      rulesOf()
        .map((r) => r.alert)
        .sort(),
    ).toEqual([
      'KubeEventlineContainersOOMKilled',
      'KubeEventlineCrashLoopStorm',
      'KubeEventlineNodeNotReady',
      'KubeEventlineNodeProblem',
      'KubeEventlineOOMKills',
      'KubeEventlinePodUnschedulable',
      'KubeEventlineStreamSilent',
    ]);
    const byName = Object.fromEntries(rulesOf().map((r) => [r.alert, r.expr]));
    expect(byName.KubeEventlineOOMKills).toContain('reason=~"OOMKilling|SystemOOM"');
    expect(byName.KubeEventlineCrashLoopStorm).toContain('|= "Back-off restarting failed container"');
    expect(byName.KubeEventlineCrashLoopStorm).toContain('sum by (cluster, namespace, workload)');
    // The exporter's own OOMKilled lines (by source.component), per workload, never a Kubernetes Event saying so.
    expect(byName.KubeEventlineContainersOOMKilled).toContain('sum by (cluster, namespace, workload)');
    expect(byName.KubeEventlineContainersOOMKilled).toContain(
      '| kind="Pod" | reason="OOMKilled" | json delta, component="source.component" | component="kube-eventline"',
    );
    expect(byName.KubeEventlinePodUnschedulable).toContain('reason="FailedScheduling"');
    expect(byName.KubeEventlineNodeProblem).toContain(
      'reason=~"ConntrackFull|KernelOops|TaskHung|DockerHung|ContainerdHung|ContainerdUnhealthy|XfsHasShutdown|FilesystemIsReadOnly"',
    );
    expect(byName.KubeEventlineNodeNotReady).toContain('reason="NodeNotReady"');
    expect(byName.KubeEventlineStreamSilent).toMatch(/^absent_over_time\(/);
  });

  it('each has for, a severity label, summary, description and a runbook_url to its section of docs/runbook.md', () => {
    const runbook = readFileSync(join(REPO_ROOT, 'docs/runbook.md'), 'utf8');
    const anchors = new Set(
      [...runbook.matchAll(/^## (.+)$/gm)].map((m) =>
        m[1]!
          .trim()
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, '')
          .replace(/ /g, '-'),
      ),
    );
    for (const r of rulesOf()) {
      expect(r.for, r.alert).toMatch(/^\d+[smh]$/);
      expect(['warning', 'critical'], r.alert).toContain(r.labels.severity);
      expect(r.annotations.summary?.length, r.alert).toBeGreaterThan(10);
      expect(r.annotations.description?.length, r.alert).toBeGreaterThan(20);
      const url = r.annotations.runbook_url ?? '';
      expect(url, r.alert).toMatch(/\/docs\/runbook\.md#[a-z]+$/);
      expect(anchors, r.alert).toContain(url.split('#')[1]);
    }
  });

  it('group the alerts by cluster, so that clusters alert separately', () => {
    for (const r of rulesOf().filter((x) => x.alert !== 'KubeEventlineStreamSilent')) {
      for (const m of r.expr.matchAll(/sum by \(([^)]*)\)/g)) expect(m[1]!.split(', ')[0], r.alert).toBe('cluster');
    }
  });
});

describe('docs', () => {
  it('docs/dashboards.md names every dashboard file and every alert', () => {
    const text = readFileSync(join(REPO_ROOT, 'docs/dashboards.md'), 'utf8');
    for (const f of DASHBOARD_FILES) expect(text, f).toContain(`(\`${f}\`)`);
    for (const r of mixin.rules.groups.flatMap((g) => g.rules)) expect(text, r.alert).toContain(`\`${r.alert}\``);
  });
});

describe('render.mjs command line', () => {
  const run = (args: string[]) => spawnSync(process.execPath, [join(REPO_ROOT, 'jsonnet/render.mjs'), ...args], { encoding: 'utf8' });

  it(
    'writes the files into --root, then --check passes there and fails after a change',
    () => {
      const root = mkdtempSync(join(tmpdir(), 'kube-eventline-render-'));
      try {
        const write = run(['--root', root]);
        expect(write.status, write.stderr).toBe(0);
        expect(readdirSync(join(root, 'dashboards')).sort()).toEqual(DASHBOARD_FILES);
        const clean = run(['--check', '--root', root]);
        expect(clean.status, clean.stderr).toBe(0);
        const file = join(root, 'dashboards/node-problems.json');
        writeFileSync(file, readFileSync(file, 'utf8').replace('"schemaVersion": 39', '"schemaVersion": 38'));
        const drifted = run(['--check', '--root', root]);
        expect(drifted.status).toBe(1);
        expect(drifted.stderr).toContain('differs: dashboards/node-problems.json');
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
    TIMEOUT,
  );
});

describe('docs/explore.md', () => {
  it('every ```logql block parses', () => {
    const blocks = logqlBlocks(readFileSync(join(REPO_ROOT, 'docs/explore.md'), 'utf8'));
    expect(blocks.length).toBeGreaterThanOrEqual(10);
    // Explore replaces $__auto with the step, as it does in dashboards.
    for (const b of blocks) {
      const q = backendMacros(b.query, { intervalMs: 60_000, rangeMs: 3_600_000, stepMs: 60_000, instant: false });
      expect(logqlErrors(q), `${b.heading}: ${b.query}`).toEqual([]);
    }
  });
});
