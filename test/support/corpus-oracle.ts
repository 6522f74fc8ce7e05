// Expected answers of every dashboard panel, computed in TS from the corpus rows (never from a
// query result), and a checker that compares them with what Loki returns.
import { expect } from 'vitest';
import { aggregate, groupKey, levelRank, type Row } from './corpus.js';
import { ALL, type LokiRequest, lokiSteps, type Selection } from './corpus-logql.js';
import type { PodFailureLine } from './corpus-pods.js';

/** The user's selection of every dashboard variable: text boxes as typed, the others as values or ALL. */
export type Vars = Record<string, Selection>;

/** What a panel (or annotation) computes, described independently of its LogQL. */
export type PanelSpec =
  | { type: 'sum'; by: string[]; filter: (r: Row, v: Vars) => boolean; group?: (r: Row) => Record<string, string> }
  | { type: 'topk'; k: number; by: string[]; filter: (r: Row, v: Vars) => boolean; group?: (r: Row) => Record<string, string> }
  | { type: 'countGroups'; by: string[]; filter: (r: Row, v: Vars) => boolean }
  | { type: 'maxLevel'; by: string[]; filter: (r: Row, v: Vars) => boolean }
  | { type: 'logs'; filter: (r: Row, v: Vars) => boolean };

const FAILURE = ['warning', 'error', 'fatal'];
const NPD = [
  'OOMKilling',
  'SystemOOM',
  'TaskHung',
  'KernelOops',
  'KernelDeadlock',
  'DockerHung',
  'ContainerdUnhealthy',
  'UnregisterNetDevice',
  'Ext4Error',
  'Ext4Warning',
  'IOError',
  'MemoryReadError',
  'FilesystemIsReadOnly',
  'ConntrackFull',
  'DNSResolutionFailed',
  'ClockNotSynchronized',
  'Rebooted',
];
const l = (r: Row, k: string) => r.labels[k] ?? '';

/** Whether `value` is selected: ALL, one of the values, or the value. */
export function selected(s: Selection | undefined, value: string): boolean {
  if (s === undefined) throw new Error('a variable the panel uses has no selection');
  if (s === ALL || (Array.isArray(s) && s[0] === ALL)) return true;
  return Array.isArray(s) ? s.includes(value) : s === value;
}
const text = (v: Vars, name: string): string => {
  const s = v[name];
  if (typeof s !== 'string') throw new Error(`text box ${name} has no text`);
  return s;
};
/** A text box compared with a label: empty matches everything (or, when `required`, nothing). */
const box = (v: Vars, name: string, value: string, required = false) => {
  const t = text(v, name);
  return t === '' ? !required : value === t;
};

/** The stream selector and standard filters every panel applies: cluster, namespace, level, search, reason (and kind). */
export function standard(r: Row, v: Vars, withKind = true, withNamespace = true): boolean {
  return (
    l(r, 'job') === 'kube-eventline' &&
    selected(v.cluster, l(r, 'cluster')) &&
    (!withNamespace || selected(v.namespace, l(r, 'namespace'))) &&
    selected(v.level, l(r, 'level')) &&
    // The search box is a literal, compared ignoring case with the whole JSON line.
    r.raw.toLowerCase().includes(text(v, 'search').toLowerCase()) &&
    (!withKind || selected(v.kind, l(r, 'kind'))) &&
    box(v, 'reason', l(r, 'reason'))
  );
}
const failure = (r: Row) => FAILURE.includes(l(r, 'level'));
const object = (r: Row, v: Vars) => standard(r, v) && box(v, 'name', l(r, 'name'), true);
const pod = (r: Row, v: Vars) => standard(r, v, false) && l(r, 'kind') === 'Pod' && box(v, 'pod', l(r, 'name'), true);
const node = (reasons: string[]) => (r: Row, v: Vars) =>
  standard(r, v) && l(r, 'kind') === 'Node' && box(v, 'node', l(r, 'name')) && reasons.includes(l(r, 'reason'));
const workloadFailures = (withNamespace: boolean) => (r: Row, v: Vars) =>
  standard(r, v, true, withNamespace) && box(v, 'workload', l(r, 'workload')) && l(r, 'workload') !== '' && failure(r);
const rollout = (reasons: string[]) => (r: Row, v: Vars) => standard(r, v) && box(v, 'workload', l(r, 'workload')) && reasons.includes(l(r, 'reason'));
const scaling = (r: Row, v: Vars) => standard(r, v) && box(v, 'workload', l(r, 'name')) && l(r, 'reason') === 'ScalingReplicaSet';
/** An image pull failure, told by reason and, for the kubelet's generic Failed and BackOff, by the message. */
export function isPullFailure(reason: string, message: string): boolean {
  if (['ErrImagePull', 'ImagePullBackOff', 'ErrImageNeverPull', 'InspectFailed'].includes(reason)) return true;
  if (reason === 'Failed') return ['Failed to pull image', 'Error: ErrImagePull', 'Error: ImagePullBackOff'].some((p) => message.startsWith(p));
  if (reason === 'BackOff') return message.startsWith('Back-off pulling image');
  return false;
}
const pullFailure = (r: Row, v: Vars) => standard(r, v) && box(v, 'workload', l(r, 'workload')) && isPullFailure(l(r, 'reason'), r.line.message);
const imageOf = (r: Row) => /image "([^"]+)"/.exec(r.line.message)?.[1] ?? '';
/** kube-eventline's own line about a failed container (issue #14): told by its source, whatever its reason. */
export const isPodFailure = (r: Row) => r.line.source.component === 'kube-eventline' && l(r, 'kind') === 'Pod';
const containerOf = (r: Row) => (r.line as PodFailureLine).container;
/** The exit code as Loki's json parser gives it: the number's text, '' when the line has none. */
export const exitCodeOf = (r: Row) => (containerOf(r)?.exitCode === undefined ? '' : String(containerOf(r).exitCode));
const podContainerFailure = (r: Row, v: Vars) => pod(r, v) && isPodFailure(r);
const workloadContainerFailure = (r: Row, v: Vars) => workloadFailures(true)(r, v) && isPodFailure(r);
const rolloutAnnotation = (r: Row, v: Vars) =>
  selected(v.cluster, l(r, 'cluster')) && selected(v.namespace, l(r, 'namespace')) && l(r, 'reason') === 'ScalingReplicaSet';

/** dashboard file → panel (or annotation) title → what it computes. */
export const PANEL_SPECS: Record<string, Record<string, PanelSpec>> = {
  'events-overview.json': {
    Occurrences: { type: 'sum', by: [], filter: standard },
    'Warning or worse': { type: 'sum', by: [], filter: (r, v) => standard(r, v) && failure(r) },
    'Objects involved': { type: 'countGroups', by: ['namespace', 'kind', 'name'], filter: standard },
    'Occurrences by level': { type: 'sum', by: ['level'], filter: standard },
    'Occurrences by reason': { type: 'sum', by: ['reason'], filter: standard },
    'Occurrences by namespace': { type: 'sum', by: ['namespace'], filter: standard },
    'Occurrences by kind': { type: 'sum', by: ['kind'], filter: standard },
    'Top reasons': { type: 'topk', k: 10, by: ['reason'], filter: standard },
    'Top objects': { type: 'topk', k: 10, by: ['namespace', 'kind', 'name'], filter: standard },
    'Warning and worse': { type: 'logs', filter: (r, v) => standard(r, v) && failure(r) },
    Rollouts: { type: 'logs', filter: rolloutAnnotation },
  },
  'object-history.json': {
    Objects: { type: 'sum', by: ['namespace', 'kind', 'name'], filter: standard },
    'Occurrences by reason': { type: 'sum', by: ['reason'], filter: object },
    'Occurrences by level': { type: 'sum', by: ['level'], filter: object },
    'Reasons over the range': { type: 'sum', by: ['reason', 'level'], filter: object },
    Chronology: { type: 'logs', filter: object },
    Lines: { type: 'logs', filter: object },
  },
  'pod-lifecycle.json': {
    Pods: { type: 'sum', by: ['namespace', 'name'], filter: (r, v) => standard(r, v, false) && l(r, 'kind') === 'Pod' },
    'Timeline by reason': { type: 'maxLevel', by: ['reason'], filter: pod },
    'Occurrences by reason': { type: 'sum', by: ['reason'], filter: pod },
    'Reasons over the range': { type: 'sum', by: ['reason', 'level'], filter: pod },
    Lines: { type: 'logs', filter: pod },
    'Container failures': {
      type: 'sum',
      by: ['container', 'reason', 'exitCode'],
      filter: podContainerFailure,
      group: (r) => ({ container: containerOf(r).name, reason: l(r, 'reason'), exitCode: exitCodeOf(r) }),
    },
    'Latest container failures': { type: 'logs', filter: podContainerFailure },
  },
  'node-problems.json': {
    'Node problems by node': { type: 'sum', by: ['name'], filter: node(NPD) },
    'Node problems by reason': { type: 'sum', by: ['reason'], filter: node(NPD) },
    'Readiness transitions': { type: 'sum', by: ['name', 'reason'], filter: node(['NodeNotReady', 'NodeReady']) },
    'Readiness over the range': { type: 'sum', by: ['name', 'reason'], filter: node(['NodeNotReady', 'NodeReady']) },
    'Top node problems': { type: 'topk', k: 10, by: ['name', 'reason'], filter: node(NPD) },
    'Node problem lines': { type: 'logs', filter: node([...NPD, 'NodeNotReady', 'NodeReady']) },
  },
  'daily-failures.json': {
    'Failures per namespace per day': { type: 'sum', by: ['namespace'], filter: workloadFailures(false) },
    'Failures per workload per day': { type: 'sum', by: ['namespace', 'workload'], filter: workloadFailures(true) },
    'Per workload per day': { type: 'sum', by: ['namespace', 'workload'], filter: workloadFailures(true) },
    'Worst workloads over the range': { type: 'topk', k: 10, by: ['namespace', 'workload'], filter: workloadFailures(true) },
    'Failures by workload and reason': { type: 'sum', by: ['namespace', 'workload', 'reason'], filter: workloadFailures(true) },
    'Container failures per workload per day': { type: 'sum', by: ['namespace', 'workload'], filter: workloadContainerFailure },
    'OOMKilled containers per workload per day': {
      type: 'sum',
      by: ['namespace', 'workload'],
      filter: (r, v) => workloadContainerFailure(r, v) && l(r, 'reason') === 'OOMKilled',
    },
    'Exit codes by workload': {
      type: 'topk',
      k: 10,
      by: ['namespace', 'workload', 'reason', 'exitCode'],
      filter: (r, v) => workloadContainerFailure(r, v) && exitCodeOf(r) !== '',
      group: (r) => ({ namespace: l(r, 'namespace'), workload: l(r, 'workload'), reason: l(r, 'reason'), exitCode: exitCodeOf(r) }),
    },
    'Latest container failures': { type: 'logs', filter: workloadContainerFailure },
  },
  'rollouts-images.json': {
    'Scaling by deployment': { type: 'sum', by: ['namespace', 'name'], filter: scaling },
    'Pods created by workload': { type: 'sum', by: ['namespace', 'workload'], filter: rollout(['SuccessfulCreate']) },
    'Image pulls': { type: 'sum', by: ['reason'], filter: rollout(['Pulling', 'Pulled']) },
    'Failed image pulls by workload': { type: 'sum', by: ['namespace', 'workload'], filter: pullFailure },
    'Images pulled': {
      type: 'sum',
      by: ['namespace', 'workload', 'image'],
      filter: rollout(['Pulled']),
      group: (r) => ({ namespace: l(r, 'namespace'), workload: l(r, 'workload'), image: imageOf(r) }),
    },
    'Rollout lines': { type: 'logs', filter: scaling },
    'Failed pull lines': { type: 'logs', filter: pullFailure },
    Rollouts: { type: 'logs', filter: rolloutAnnotation },
  },
};

/** The window a query's range aggregation reads at evaluation time t: (t - offset - range, t - offset]. */
export interface Window {
  rangeMs: number;
  offsetMs: number;
}

/** The (single) range and offset of an interpolated metric query. */
export function windowOf(expr: string): Window {
  const ranges = [...expr.matchAll(/\[(\d+)(ms|s|m|h|d)\](?: offset (-?\d+)(ms|s|m|h|d))?/g)];
  if (ranges.length === 0) throw new Error(`no range in ${expr}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
  const windows = ranges.map((m) => ({
    rangeMs: Number(m[1]) * unit[m[2] as keyof typeof unit],
    offsetMs: m[3] ? Number(m[3]) * unit[m[4] as keyof typeof unit] : 0,
  }));
  if (windows.some((w) => w.rangeMs !== windows[0]!.rangeMs || w.offsetMs !== windows[0]!.offsetMs)) throw new Error(`several windows in ${expr}`);
  return windows[0]!;
}

function keyOf(spec: { by: string[]; group?: (r: Row) => Record<string, string> }, r: Row): string {
  return groupKey(spec.group ? spec.group(r) : r.labels, spec.by);
}

/** Expected instant vector at time `t`: group key → value. `selected`: rows that pass the spec's filter. */
function expectedAtSelected(spec: PanelSpec, selected: Row[], t: number, w: Window): Map<string, number> {
  if (spec.type === 'logs') throw new Error('logs spec has no instant value');
  const window = { from: t - w.offsetMs - w.rangeMs, to: t - w.offsetMs };
  if (spec.type === 'countGroups') {
    const groups = aggregate(selected, { ...window, key: (r) => groupKey(r.labels, spec.by) });
    return groups.size === 0 ? new Map() : new Map([['', groups.size]]);
  }
  if (spec.type === 'maxLevel') {
    return aggregate(selected, { ...window, key: (r) => groupKey(r.labels, spec.by), value: (r) => levelRank(r.line.level), combine: 'max' });
  }
  const all = aggregate(selected, { ...window, key: (r) => keyOf(spec, r) });
  if (spec.type === 'sum') return spec.by.length === 0 && all.size > 0 ? new Map([['', [...all.values()].reduce((a, b) => a + b, 0)]]) : all;
  return all; // topk: the caller compares against the ranking
}

/** Expected instant vector at time `t`: group key → value. */
export function expectedAt(spec: PanelSpec, rs: Row[], v: Vars, t: number, w: Window): Map<string, number> {
  return expectedAtSelected(
    spec,
    rs.filter((r) => spec.filter(r, v)),
    t,
    w,
  );
}

/** The lines a log query returns (Loki's range is [start, end] here: no line sits on either end). */
export function expectedLines(spec: PanelSpec, rs: Row[], v: Vars, req: LokiRequest): Row[] {
  return rs.filter((r) => spec.filter(r, v) && r.t >= req.start && r.t <= req.end);
}

/** The points a range query returns: `time (s)|group key` → value. */
export function expectedMatrix(spec: PanelSpec, rs: Row[], v: Vars, req: LokiRequest): Map<string, number> {
  const w = windowOf(req.expr);
  const selected = rs.filter((r) => spec.filter(r, v));
  const want = new Map<string, number>();
  for (const t of lokiSteps(req)) for (const [k, val] of expectedAtSelected(spec, selected, t, w)) want.set(`${t / 1000}|${k}`, val);
  return want;
}

/** Compares one query result with the spec; returns mismatch descriptions (empty when it matches). */
export function compare(spec: PanelSpec, result: { resultType: string; result: any[] }, rs: Row[], v: Vars, req: LokiRequest): string[] {
  const problems: string[] = [];
  if (spec.type === 'logs') {
    expect(result.resultType).toBe('streams');
    const wanted = expectedLines(spec, rs, v, req);
    if (wanted.length === 0) problems.push('the corpus has no line for this query: the check would be vacuous');
    const got = result.result.flatMap((s: { values: [string, string][] }) => s.values.map(([, line]) => JSON.parse(line) as { delta: number }));
    if (got.length !== wanted.length) problems.push(`lines: got ${got.length}, want ${wanted.length}`);
    const gotSum = got.reduce((a, x) => a + x.delta, 0);
    const wantSum = wanted.reduce((a, r) => a + r.line.delta, 0);
    if (gotSum !== wantSum) problems.push(`delta sum of lines: got ${gotSum}, want ${wantSum}`);
    return problems;
  }
  const by = spec.type === 'countGroups' ? [] : spec.by;
  if (req.instant) {
    expect(result.resultType).toBe('vector');
    const got = new Map<string, number>(
      result.result.map((s: { metric: Record<string, string>; value: [number, string] }) => [groupKey(s.metric, by), Number(s.value[1])]),
    );
    const want = expectedAt(spec, rs, v, req.end, windowOf(req.expr));
    if (want.size === 0) problems.push('the corpus has no data for this query: the check would be vacuous');
    if (spec.type === 'topk') {
      const ranked = [...want.values()].sort((a, b) => b - a).slice(0, spec.k);
      const gotValues = [...got.values()].sort((a, b) => b - a);
      if (JSON.stringify(gotValues) !== JSON.stringify(ranked)) problems.push(`top ${spec.k} values: got ${gotValues}, want ${ranked}`);
      for (const [k, val] of got) if (want.get(k) !== val) problems.push(`top ${k}: got ${val}, want ${want.get(k)}`);
      if (got.size !== Math.min(spec.k, want.size)) problems.push(`top size: got ${got.size}, want ${Math.min(spec.k, want.size)}`);
    } else {
      const keys = new Set([...got.keys(), ...want.keys()]);
      for (const k of keys) if (got.get(k) !== want.get(k)) problems.push(`${JSON.stringify(k)}: got ${got.get(k)}, want ${want.get(k)}`);
    }
    return problems.slice(0, 10);
  }
  expect(result.resultType).toBe('matrix');
  const got = new Map<string, number>();
  for (const s of result.result as Array<{ metric: Record<string, string>; values: [number, string][] }>) {
    for (const [ts, val] of s.values) got.set(`${ts}|${groupKey(s.metric, by)}`, Number(val));
  }
  const want = expectedMatrix(spec, rs, v, req);
  if (want.size === 0) problems.push('the corpus has no data for this query: the check would be vacuous');
  const keys = new Set([...got.keys(), ...want.keys()]);
  for (const k of keys) if (got.get(k) !== want.get(k)) problems.push(`${JSON.stringify(k)}: got ${got.get(k)}, want ${want.get(k)}`);
  return problems.slice(0, 10);
}
