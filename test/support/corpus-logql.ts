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

/** Replaces `${name}`, `${name:fmt}` and `$name` with `values[name]` (then macro defaults), ignoring formats. Throws on an unknown name. */
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

// ---- Grafana, as it turns a dashboard query into a Loki request --------------------------------
// A model of what Grafana 11/12 does, from its sources: the dashboard variables are interpolated in
// the browser (grafana-scenes' sceneInterpolator and formatRegistry, the Loki data source's
// interpolateQueryExpr), the time macros and the step in the backend (pkg/tsdb/loki parse_query.go
// and step.go). Tests send what this returns, so that they see what Grafana users see.

/** The value Grafana stores for "All". */
export const ALL = '$__all';
/** What the user selected: a text box's text, a variable's value(s), or ALL. */
export type Selection = string | string[];

export interface VariableDefinition {
  name: string;
  type: string;
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string;
  options?: Array<{ value: string }>;
}

// grafana-scenes' variable regex: $name, [[name:fmt]], ${name.fieldPath:fmt}.
const VARIABLE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;

/** encodeURIComponent, plus the sub-delimiters it leaves alone (grafana-scenes encodeURIComponentStrict). */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
// The Loki data source's escapes (public/app/plugins/datasource/loki/datasource.ts).
const lokiRegularEscape = (value: string) => value.replace(/'/g, "\\\\'");
const lokiSpecialRegexEscape = (value: string) => lokiRegularEscape(value.replace(/\\/g, '\\\\\\\\').replace(/[$^*{}[\]+?.()|]/g, '\\\\$&'));

function formatExplicit(value: string | string[], format: string): string {
  switch (format) {
    case 'percentencode':
      return percentEncode(Array.isArray(value) ? `{${value.join(',')}}` : value);
    case 'raw':
      return String(value);
    case 'pipe':
      return Array.isArray(value) ? value.join('|') : value;
    default:
      throw new Error(`the Grafana model does not know the variable format ${format}`);
  }
}

/** The Loki data source's formatter, used when a query names no format. */
function formatForLoki(value: string | string[], v: VariableDefinition): string {
  if (!v.multi && !v.includeAll) return lokiRegularEscape(String(value));
  if (typeof value === 'string') return lokiSpecialRegexEscape(value);
  return value.map(lokiSpecialRegexEscape).join('|');
}

/**
 * Interpolates the dashboard variables of `expr` as Grafana's frontend does. Macros ($__range …)
 * are left to the backend step (`backendMacros`); an unknown variable is left as it is.
 */
export function interpolateVariables(expr: string, definitions: VariableDefinition[], selection: Record<string, Selection>): string {
  const byName = new Map(definitions.map((v) => [v.name, v]));
  return expr.replace(VARIABLE, (match, var1?: string, var2?: string, fmt2?: string, var3?: string, _path?: string, fmt3?: string) => {
    const name = (var1 ?? var2 ?? var3)!;
    const v = byName.get(name);
    if (name.startsWith('__') || !v) return match;
    const chosen = selection[name];
    if (chosen === undefined) throw new Error(`no selection for variable ${name} in ${expr}`);
    const format = fmt2 ?? fmt3;
    const isAll = chosen === ALL || (Array.isArray(chosen) && chosen[0] === ALL);
    if (isAll) {
      if (!v.includeAll) throw new Error(`variable ${name} has no All`);
      // A custom "all value" goes in as it is (except for percentencode and text).
      if (v.allValue !== undefined) return format === 'percentencode' ? percentEncode(v.allValue) : v.allValue;
      const all = (v.options ?? []).map((o) => o.value);
      return format ? formatExplicit(all, format) : formatForLoki(all, v);
    }
    return format ? formatExplicit(chosen, format) : formatForLoki(chosen, v);
  });
}

/** gtime.FormatInterval: the largest whole unit, truncated (90 minutes is "1h"). */
export function formatInterval(ms: number): string {
  const units: Array<[string, number]> = [
    ['y', 365 * 86_400_000],
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
    ['ms', 1],
  ];
  for (const [unit, size] of units) if (ms >= size) return `${Math.floor(ms / size)}${unit}`;
  return '1ms';
}

export function durationMs(d: string): number {
  const m = /^(\d+)(ms|s|m|h|d|w)$/.exec(d);
  if (!m) throw new Error(`unsupported duration ${d}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as 'ms'];
}

/** The step Grafana's backend sends: the query's own step, else max(interval, range / 11000) (step.go). */
export function grafanaStepMs(intervalMs: number, rangeMs: number, queryStep?: string): number {
  if (queryStep) return durationMs(queryStep);
  return Math.ceil(Math.max(intervalMs, rangeMs / 11_000));
}

/** The backend's macro replacement (parse_query.go interpolateVariables). */
export function backendMacros(expr: string, o: { intervalMs: number; rangeMs: number; stepMs: number; instant: boolean }): string {
  const rangeS = String(Math.round(o.rangeMs / 1000));
  let e = expr;
  for (const [from, to] of [
    ['$__interval_ms', String(o.intervalMs)],
    ['$__interval', formatInterval(o.intervalMs)],
    ['$__range_ms', String(o.rangeMs)],
    ['$__range_s', rangeS],
    ['$__range', `${rangeS}s`],
    ['$__auto', o.instant ? `${rangeS}s` : formatInterval(o.stepMs)],
    ['${__interval_ms}', String(o.intervalMs)],
    ['${__interval}', formatInterval(o.intervalMs)],
    ['${__range_ms}', String(o.rangeMs)],
    ['${__range_s}', rangeS],
    ['${__range}', `${rangeS}s`],
  ] as const) {
    e = e.replaceAll(from, to);
  }
  return e;
}

/**
 * Grafana's relative time (`now`, `now-6h`, `now-6d/d`, `now/d`) in a dashboard time zone given as
 * its UTC offset in minutes. `to` rounds up: `now/d` as the end of a range is the day's last millisecond.
 */
export function grafanaTime(text: string, nowMs: number, utcOffsetMinutes: number, roundUp: boolean): number {
  const m = /^now(?:-(\d+)([smhdw]))?(?:\/([dh]))?$/.exec(text);
  if (!m) throw new Error(`the Grafana model does not read the time ${text}`);
  let t = nowMs - (m[1] ? durationMs(`${m[1]}${m[2]}`) : 0);
  if (m[3]) {
    const unit = durationMs(`1${m[3]}`);
    const local = t + utcOffsetMinutes * 60_000;
    const start = local - (((local % unit) + unit) % unit);
    t = (roundUp ? start + unit - 1 : start) - utcOffsetMinutes * 60_000;
  }
  return t;
}

/** The request Grafana sends to Loki for one panel target. */
export interface LokiRequest {
  expr: string;
  instant: boolean;
  /** Range queries: start and end as Grafana sends them (Loki aligns them to the step); instant: `end` is the evaluation time. */
  start: number;
  end: number;
  stepMs: number;
}

export function grafanaRequest(
  target: { expr: string; instant?: boolean; step?: string },
  range: { from: number; to: number; intervalMs: number },
  definitions: VariableDefinition[],
  selection: Record<string, Selection>,
): LokiRequest {
  const instant = Boolean(target.instant);
  const rangeMs = range.to - range.from;
  const stepMs = grafanaStepMs(range.intervalMs, rangeMs, target.step);
  const expr = backendMacros(interpolateVariables(target.expr, definitions, selection), { intervalMs: range.intervalMs, rangeMs, stepMs, instant });
  return { expr, instant, start: range.from, end: range.to, stepMs };
}

/** Loki aligns a range query's start down and its end up to multiples of the step (splitters.go alignStartEnd): the evaluation times. */
export function lokiSteps(req: LokiRequest): number[] {
  const start = Math.floor(req.start / req.stepMs) * req.stepMs;
  const end = Math.ceil(req.end / req.stepMs) * req.stepMs;
  const out: number[] = [];
  for (let t = start; t <= end; t += req.stepMs) out.push(t);
  return out;
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
