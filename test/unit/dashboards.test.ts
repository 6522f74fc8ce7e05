// Structural checks of the rendered (committed) dashboards: import-readiness, ids and layout,
// variables, data source use, colours, links and the occurrence-counting rule.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../jsonnet/render.mjs';
import { allPanels, type Dashboard, dashboardQueries, referencedVariables } from '../support/corpus-logql.js';

const FILES = {
  'events-overview.json': 'events-overview',
  'object-history.json': 'object-history',
  'pod-lifecycle.json': 'pod-lifecycle',
  'node-problems.json': 'node-problems',
  'daily-failures.json': 'daily-failures',
  'rollouts-images.json': 'rollouts-images',
} as const;

const dashboards = Object.keys(FILES).map((file) => ({
  file,
  d: JSON.parse(readFileSync(join(REPO_ROOT, 'dashboards', file), 'utf8')) as Dashboard & Record<string, any>,
}));

/** Every object under `value` that has a `datasource` key, with its path. */
function datasourceRefs(value: unknown, path = '$'): Array<{ path: string; ref: unknown }> {
  if (Array.isArray(value)) return value.flatMap((v, i) => datasourceRefs(v, `${path}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  const out: Array<{ path: string; ref: unknown }> = [];
  for (const [k, v] of Object.entries(value)) {
    if (k === 'datasource') out.push({ path: `${path}.${k}`, ref: v });
    out.push(...datasourceRefs(v, `${path}.${k}`));
  }
  return out;
}

/** Every string under `value`. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

describe.each(dashboards)('$file', ({ file, d }) => {
  const slug = FILES[file as keyof typeof FILES];
  const vars = d.templating.list;
  const varNames = vars.map((v) => v.name as string);

  it('is import-ready: stable uid, current schema, no __inputs, no hard-coded data source', () => {
    expect(d.uid).toBe(`kube-eventline-${slug}`);
    expect(d.uid.length).toBeLessThanOrEqual(40);
    expect(d.schemaVersion).toBeGreaterThanOrEqual(39);
    expect(d).not.toHaveProperty('__inputs');
    expect(d).not.toHaveProperty('id');
    expect(d.title).toMatch(/^kube-eventline \/ /);
    expect(d.tags).toContain('kube-eventline');
    const ds = vars.find((v) => v.name === 'datasource')!;
    expect(ds).toMatchObject({ type: 'datasource', query: 'loki' });
    const refs = datasourceRefs(d);
    expect(refs.length).toBeGreaterThan(0);
    for (const { path, ref } of refs) expect(ref, path).toEqual({ type: 'loki', uid: '${datasource}' });
    expect(JSON.stringify(d)).not.toMatch(/"uid":\s*"(?!\$\{datasource\}|kube-eventline-)/);
  });

  it('has unique panel ids and a non-overlapping grid within 24 columns', () => {
    const panels = allPanels(d);
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const cells = new Set<string>();
    for (const p of panels as unknown as Array<{ title: string; gridPos: { x: number; y: number; w: number; h: number } }>) {
      const g = p.gridPos;
      expect(g.x + g.w, p.title).toBeLessThanOrEqual(24);
      expect(g.w * g.h, p.title).toBeGreaterThan(0);
      for (let x = g.x; x < g.x + g.w; x++) {
        for (let y = g.y; y < g.y + g.h; y++) {
          const key = `${x},${y}`;
          expect(cells.has(key), `${p.title} overlaps at ${key}`).toBe(false);
          cells.add(key);
        }
      }
    }
  });

  it('defines the standard variables', () => {
    const expected = ['datasource', 'cluster', 'namespace', 'level', 'reason', 'search'];
    // Pod lifecycle is about Pods: its kind is fixed, not a variable.
    if (slug !== 'pod-lifecycle') expected.push('kind');
    for (const name of expected) expect(varNames, name).toContain(name);
    expect(new Set(varNames).size).toBe(varNames.length);
    const byName = Object.fromEntries(vars.map((v) => [v.name, v]));
    expect(byName.level).toMatchObject({ type: 'custom', multi: true, includeAll: true, query: 'info,normal,warning,error,fatal' });
    expect(byName.reason).toMatchObject({ type: 'textbox', query: '' });
    expect(byName.search).toMatchObject({ type: 'textbox', query: '' });
    expect(byName.namespace).toMatchObject({ type: 'query', query: { label: 'namespace', type: 1 } });
    // One object or one pod: a single namespace; elsewhere several can be picked.
    expect(byName.namespace!.multi).toBe(!['object-history', 'pod-lifecycle'].includes(slug));
    // Panels grouping by workload apply the namespace first: no All there.
    expect(byName.namespace!.includeAll).toBe(['events-overview', 'node-problems'].includes(slug));
    expect(byName.cluster).toMatchObject({ type: 'query', query: { label: 'cluster', type: 1 } });
  });

  it('uses every variable it defines and defines every variable it uses', () => {
    const used = new Set<string>();
    for (const s of strings({ panels: d.panels, annotations: d.annotations, templating: d.templating, links: d.links })) {
      for (const name of referencedVariables(s)) if (!name.startsWith('__')) used.add(name);
    }
    // A variable counts as used only if something other than its own definition refers to it.
    const usedOutsideOwn = new Set<string>();
    for (const s of strings({ panels: d.panels, annotations: d.annotations, links: d.links })) {
      for (const name of referencedVariables(s)) if (!name.startsWith('__')) usedOutsideOwn.add(name);
    }
    for (const v of vars) {
      for (const s of strings(v.query ?? '')) for (const name of referencedVariables(s)) if (name !== v.name) usedOutsideOwn.add(name);
    }
    expect([...used].filter((n) => !varNames.includes(n))).toEqual([]);
    expect(varNames.filter((n) => !usedOutsideOwn.has(n))).toEqual([]);
    // Every panel query honours the standard filters (the per-namespace panel of Daily failures
    // compares every namespace), and reads text boxes only percent-encoded.
    const boxes = vars.filter((v) => v.type === 'textbox').map((v) => v.name as string);
    for (const q of dashboardQueries(file, d).filter((x) => x.origin === 'panel')) {
      const names = ['cluster', 'level', 'reason', 'search', ...(q.title === 'Failures per namespace per day' ? [] : ['namespace'])];
      for (const name of names) expect(referencedVariables(q.expr), `${q.title} lacks ${name}`).toContain(name);
      for (const name of boxes) {
        expect(q.expr.match(new RegExp(`\\$\\{${name}[:}]`, 'g'))?.length ?? 0, `${q.title}: ${name}`).toBe(
          q.expr.split(`\${${name}:percentencode}`).length - 1,
        );
        expect(q.expr, `${q.title}: $${name}`).not.toMatch(new RegExp(`\\$${name}\\b`));
      }
    }
  });

  it('every panel has a title, a description and at least one query', () => {
    for (const p of allPanels(d) as unknown as Array<{ title: string; description?: string; targets?: unknown[] }>) {
      expect(p.title.length).toBeGreaterThan(0);
      expect(p.description?.length ?? 0, p.title).toBeGreaterThan(10);
      expect(p.targets?.length ?? 0, p.title).toBeGreaterThan(0);
    }
  });

  it('logs panels run log queries, other panels run metric queries', () => {
    for (const p of allPanels(d) as unknown as Array<{
      type: string;
      title: string;
      targets: Array<{ expr: string }>;
      transformations?: Array<{ id: string }>;
    }>) {
      const isLogQuery = (e: string) => e.startsWith('{');
      const logTable = p.type === 'table' && p.transformations?.some((t) => t.id === 'extractFields');
      for (const t of p.targets) expect(isLogQuery(t.expr), `${p.title}`).toBe(p.type === 'logs' || Boolean(logTable));
    }
  });

  it('links to the other kube-eventline dashboards, keeping time and variables', () => {
    expect(d.links).toContainEqual(expect.objectContaining({ type: 'dashboards', tags: ['kube-eventline'], includeVars: true, keepTime: true }));
  });

  it('default time range and refresh are set', () => {
    expect(d.time.from).toMatch(/^now-/);
    // Daily failures shows whole days, today to its end, so that today's bar is on the axis.
    expect(d.time.to).toBe(slug === 'daily-failures' ? 'now/d' : 'now');
  });
});

describe('dashboard specifics', () => {
  const get = (file: string) => dashboards.find((x) => x.file === file)!.d;
  const panel = (file: string, title: string) => {
    const p = allPanels(get(file)).find((x) => x.title === title);
    if (!p) throw new Error(`${file} has no panel ${title}`);
    return p as any;
  };

  it('uids are unique across dashboards', () => {
    const uids = dashboards.map((x) => x.d.uid);
    expect(new Set(uids).size).toBe(uids.length);
  });

  it('events overview stacks occurrences by level in the level colours', () => {
    const p = panel('events-overview.json', 'Occurrences by level');
    expect(p.type).toBe('timeseries');
    expect(p.fieldConfig.defaults.custom.stacking.mode).toBe('normal');
    expect(p.targets[0].legendFormat).toBe('{{level}}');
    const colours = Object.fromEntries(
      p.fieldConfig.overrides.map((o: any) => [o.matcher.options, o.properties.find((x: any) => x.id === 'color').value.fixedColor]),
    );
    expect(colours).toEqual({ info: 'text', normal: 'green', warning: 'orange', error: 'red', fatal: 'dark-red' });
  });

  it('events overview has by reason, by namespace, by kind, top reasons, top objects and a warning-or-worse logs panel', () => {
    for (const t of ['Occurrences by reason', 'Occurrences by namespace', 'Occurrences by kind'])
      expect(panel('events-overview.json', t).type).toBe('timeseries');
    const top = panel('events-overview.json', 'Top reasons');
    expect(top.targets[0]).toMatchObject({ queryType: 'instant', instant: true });
    const objects = panel('events-overview.json', 'Top objects');
    expect(objects.targets[0]).toMatchObject({ queryType: 'instant', instant: true });
    const link = JSON.stringify(objects.fieldConfig.overrides);
    expect(link).toContain('/d/kube-eventline-object-history/');
    expect(link).toContain('var-name=${__data.fields.name}');
    const logs = panel('events-overview.json', 'Warning and worse');
    expect(logs.type).toBe('logs');
    expect(logs.targets[0].expr).toContain('| level=~"warning|error|fatal"');
  });

  it('pod lifecycle draws a state timeline coloured by level', () => {
    const p = panel('pod-lifecycle.json', 'Timeline by reason');
    expect(p.type).toBe('state-timeline');
    const options = p.fieldConfig.defaults.mappings[0].options;
    expect(Object.keys(options).map((k) => [k, options[k].text, options[k].color])).toEqual([
      ['0', 'info', 'text'],
      ['1', 'normal', 'green'],
      ['2', 'warning', 'orange'],
      ['3', 'error', 'red'],
      ['4', 'fatal', 'dark-red'],
    ]);
    expect(p.targets[0].expr).toContain('| kind="Pod"');
    expect(p.targets[0].expr).toContain('unwrap level_rank');
  });

  it('daily failures counts warning-or-worse per namespace and per workload per day, each day read back from its end', () => {
    const p = panel('daily-failures.json', 'Failures per workload per day');
    expect(p.interval).toBe('1d');
    // UTC: the point at midnight T counts (T, T + 1d], the day that starts there.
    expect(p.targets[0].expr).toContain('[1d] offset -1440m');
    expect(p.targets[0].expr).toContain('sum by (namespace, workload)');
    expect(p.fieldConfig.defaults.custom.barAlignment).toBe(1);
    expect(panel('daily-failures.json', 'Failures per namespace per day').targets[0].expr).toContain('sum by (namespace)');
    const table = panel('daily-failures.json', 'Per workload per day');
    expect(table.type).toBe('table');
    expect(JSON.stringify(table.fieldConfig.overrides)).toContain('time:YYYY-MM-DD');
  });

  it('object history and pod lifecycle list the objects to pick from, and show nothing for an empty box', () => {
    for (const [file, picker, box] of [
      ['object-history.json', 'Objects', 'name'],
      ['pod-lifecycle.json', 'Pods', 'pod'],
    ] as const) {
      const list = panel(file, picker);
      expect(list.targets[0].expr).not.toContain(`\${${box}:`);
      expect(JSON.stringify(list.fieldConfig.overrides)).toContain(`var-${box}=\${__data.fields.name}`);
      for (const p of allPanels(get(file)).filter((x) => x.title !== picker) as any[]) {
        expect(p.targets[0].expr, p.title).toContain(`(ne .name "") (eq .name (urldecode "\${${box}:percentencode}"))`);
      }
    }
  });

  it('node problems covers the NPD reasons and readiness', () => {
    const p = panel('node-problems.json', 'Node problems by node');
    for (const r of ['OOMKilling', 'TaskHung', 'KernelOops', 'ConntrackFull', 'FilesystemIsReadOnly', 'KernelDeadlock']) expect(p.targets[0].expr).toContain(r);
    expect(panel('node-problems.json', 'Readiness transitions').targets[0].expr).toContain('NodeNotReady|NodeReady');
  });

  it('rollouts and images covers scaling, creates, pulls and failed pulls', () => {
    expect(panel('rollouts-images.json', 'Scaling by deployment').targets[0].expr).toContain('reason="ScalingReplicaSet"');
    expect(panel('rollouts-images.json', 'Pods created by workload').targets[0].expr).toContain('reason="SuccessfulCreate"');
    expect(panel('rollouts-images.json', 'Image pulls').targets[0].expr).toContain('reason=~"Pulling|Pulled"');
    const failed = panel('rollouts-images.json', 'Failed image pulls by workload').targets[0].expr;
    expect(failed).toContain('(reason="BackOff" and message=~"(Back-off pulling image).*")');
    expect(failed).not.toMatch(/\|~ "\(\?i\)pull"/);
  });
});
