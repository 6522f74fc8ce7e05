// LogQL helpers for the mixin tests: collect every expression of the rendered dashboards and rules,
// replace Grafana macros and variables with literal values, and parse with @grafana/lezer-logql.
import { parser } from '@grafana/lezer-logql';

export type QueryOrigin = 'panel' | 'variable' | 'annotation' | 'rule';

export interface CollectedQuery {
  origin: QueryOrigin;
  /** Dashboard file name or rule group name. */
  source: string;
  /** Panel title, variable name, annotation name or alert name. */
  title: string;
  panelType?: string;
  refId?: string;
  instant?: boolean;
  step?: string;
  expr: string;
}

interface Target {
  expr: string;
  refId: string;
  instant?: boolean;
  queryType?: string;
  step?: string;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  targets?: Target[];
  panels?: Panel[];
  [k: string]: any;
}
export interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Array<Record<string, any>> };
  annotations: { list: Array<Record<string, any>> };
  [k: string]: unknown;
}

export function allPanels(d: Dashboard): Panel[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

export function dashboardQueries(file: string, d: Dashboard): CollectedQuery[] {
  const out: CollectedQuery[] = [];
  for (const p of allPanels(d)) {
    for (const t of p.targets ?? []) {
      out.push({
        origin: 'panel',
        source: file,
        title: p.title,
        panelType: p.type,
        refId: t.refId,
        instant: t.queryType === 'instant',
        ...(t.step !== undefined ? { step: t.step } : {}),
        expr: t.expr,
      });
    }
  }
  for (const v of d.templating.list) {
    if (v.type === 'query') out.push({ origin: 'variable', source: file, title: v.name, expr: v.query.stream });
  }
  for (const a of d.annotations.list) {
    if (typeof a.expr === 'string') out.push({ origin: 'annotation', source: file, title: a.name, expr: a.expr });
  }
  return out;
}

export function ruleQueries(rules: { groups: Array<{ name: string; rules: Array<{ alert: string; expr: string }> }> }): CollectedQuery[] {
  return rules.groups.flatMap((g) => g.rules.map((r) => ({ origin: 'rule' as const, source: g.name, title: r.alert, expr: r.expr })));
}

export const MACRO_DEFAULTS: Record<string, string> = {
  __range: '6h',
  __auto: '5m',
  __interval: '5m',
  __rate_interval: '5m',
};

/** Replaces `${name}`, `${name:fmt}` and `$name` with `values[name]` (then macro defaults). Throws on an unknown name. */
export function substitute(expr: string, values: Record<string, string>): string {
  const lookup = (name: string): string => {
    const v = values[name] ?? MACRO_DEFAULTS[name];
    if (v === undefined) throw new Error(`no value for variable ${name} in ${expr}`);
    return v;
  };
  return expr
    .replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::[^}]*)?\}/g, (_m, name: string) => lookup(name))
    .replace(/\$([A-Za-z_][A-Za-z0-9_]*)/g, (_m, name: string) => lookup(name));
}

/** Names of the variables an expression (or any string) refers to, macros included. */
export function referencedVariables(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}|\$([A-Za-z_][A-Za-z0-9_]*)/g)) names.add((m[1] ?? m[2])!);
  return [...names];
}

/** Syntax errors of a LogQL expression as "offset: context" strings; empty when it parses. */
export function logqlErrors(expr: string): string[] {
  const errors: string[] = [];
  parser.parse(expr).iterate({
    enter(node) {
      if (node.type.isError) errors.push(`${node.from}: …${expr.slice(Math.max(0, node.from - 20), node.from + 20)}…`);
    },
  });
  return errors;
}

/** The fenced ```logql blocks of a markdown text, with the heading each sits under. */
export function logqlBlocks(markdown: string): Array<{ heading: string; query: string }> {
  const out: Array<{ heading: string; query: string }> = [];
  let heading = '';
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^#{1,6} /.test(line)) heading = line.replace(/^#+ /, '').trim();
    if (line.trim() === '```logql') {
      const body: string[] = [];
      for (i++; i < lines.length && lines[i]!.trim() !== '```'; i++) body.push(lines[i]!);
      out.push({ heading, query: body.join('\n').trim() });
    }
  }
  return out;
}
