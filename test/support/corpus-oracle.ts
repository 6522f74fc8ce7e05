// Expected answers of every dashboard panel, computed in TS from the corpus rows (never from a
// query result), and a checker that compares them with what Loki returns.
import { expect } from 'vitest';
import { aggregate, fullMatch, groupKey, levelRank, type Row } from './corpus.js';

export type Vars = Record<string, string>;

/** What a panel (or annotation) computes, described independently of its LogQL. */
export type PanelSpec =
  | { type: 'sum'; by: string[]; filter: (r: Row, v: Vars) => boolean; group?: (r: Row) => Record<string, string> }
  | { type: 'topk'; k: number; by: string[]; filter: (r: Row, v: Vars) => boolean }
  | { type: 'countGroups'; by: string[]; filter: (r: Row, v: Vars) => boolean }
  | { type: 'maxLevel'; by: string[]; filter: (r: Row, v: Vars) => boolean }
  | { type: 'logs'; filter: (r: Row, v: Vars) => boolean };

const FAILURE = ['warning', 'error', 'fatal'];
const NPD = [
  'OOMKilling', 'SystemOOM', 'TaskHung', 'KernelOops', 'KernelDeadlock', 'DockerHung', 'ContainerdUnhealthy',
  'UnregisterNetDevice', 'Ext4Error', 'Ext4Warning', 'IOError', 'MemoryReadError', 'FilesystemIsReadOnly',
  'ConntrackFull', 'DNSResolutionFailed', 'ClockNotSynchronized', 'Rebooted',
];
const l = (r: Row, k: string) => r.labels[k] ?? '';

/** The stream selector and standard filters every panel applies: cluster, namespace, level, search, reason (and kind). */
export function standard(r: Row, v: Vars, withKind = true): boolean {
  return (
    l(r, 'job') === 'kube-eventline' &&
    fullMatch(v.cluster!, l(r, 'cluster')) &&
    fullMatch(v.namespace!, l(r, 'namespace')) &&
    fullMatch(v.level!, l(r, 'level')) &&
    new RegExp(v.search!, 'i').test(r.raw) &&
    (!withKind || fullMatch(v.kind!, l(r, 'kind'))) &&
    fullMatch(v.reason!, l(r, 'reason'))
  );
}
const failure = (r: Row) => FAILURE.includes(l(r, 'level'));
const object = (r: Row, v: Vars) => standard(r, v) && fullMatch(v.name!, l(r, 'name'));
const pod = (r: Row, v: Vars) => standard(r, v, false) && l(r, 'kind') === 'Pod' && fullMatch(v.pod!, l(r, 'name'));
const node = (reasons: string[]) => (r: Row, v: Vars) =>
  standard(r, v) && l(r, 'kind') === 'Node' && fullMatch(v.node!, l(r, 'name')) && reasons.includes(l(r, 'reason'));
const workloadFailures = (r: Row, v: Vars) => standard(r, v) && fullMatch(v.workload!, l(r, 'workload')) && l(r, 'workload') !== '' && failure(r);
const rollout = (reasons: string[]) => (r: Row, v: Vars) => standard(r, v) && fullMatch(v.workload!, l(r, 'workload')) && reasons.includes(l(r, 'reason'));
const scaling = (r: Row, v: Vars) => standard(r, v) && fullMatch(v.workload!, l(r, 'name')) && l(r, 'reason') === 'ScalingReplicaSet';
const pullFailure = (r: Row, v: Vars) => rollout(['Failed', 'BackOff'])(r, v) && /pull/i.test(r.raw);
const imageOf = (r: Row) => /image "([^"]+)"/.exec(r.line.message)?.[1] ?? '';

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
    Rollouts: { type: 'logs', filter: (r, v) => fullMatch(v.cluster!, l(r, 'cluster')) && fullMatch(v.namespace!, l(r, 'namespace')) && l(r, 'reason') === 'ScalingReplicaSet' },
  },
  'object-history.json': {
    'Occurrences by reason': { type: 'sum', by: ['reason'], filter: object },
    'Occurrences by level': { type: 'sum', by: ['level'], filter: object },
    'Reasons over the range': { type: 'sum', by: ['reason', 'level'], filter: object },
    Chronology: { type: 'logs', filter: object },
    Lines: { type: 'logs', filter: object },
  },
  'pod-lifecycle.json': {
    'Timeline by reason': { type: 'maxLevel', by: ['reason'], filter: pod },
    'Occurrences by reason': { type: 'sum', by: ['reason'], filter: pod },
    'Reasons over the range': { type: 'sum', by: ['reason', 'level'], filter: pod },
    Lines: { type: 'logs', filter: pod },
  },
  'node-problems.json': {
    'Node problems by node': { type: 'sum', by: ['name', 'reason'], filter: node(NPD) },
    'Node problems by reason': { type: 'sum', by: ['reason'], filter: node(NPD) },
    'Readiness transitions': { type: 'sum', by: ['name', 'reason'], filter: node(['NodeNotReady', 'NodeReady']) },
    'Readiness over the range': { type: 'sum', by: ['name', 'reason'], filter: node(['NodeNotReady', 'NodeReady']) },
    'Top node problems': { type: 'topk', k: 10, by: ['name', 'reason'], filter: node(NPD) },
    'Node problem lines': { type: 'logs', filter: node([...NPD, 'NodeNotReady', 'NodeReady']) },
  },
  'daily-failures.json': {
    'Failures per workload per day': { type: 'sum', by: ['namespace', 'workload'], filter: workloadFailures },
    'Per workload per day': { type: 'sum', by: ['namespace', 'workload'], filter: workloadFailures },
    'Worst workloads over the range': { type: 'topk', k: 10, by: ['namespace', 'workload'], filter: workloadFailures },
    'Failures by workload and reason': { type: 'sum', by: ['namespace', 'workload', 'reason'], filter: workloadFailures },
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
    Rollouts: { type: 'logs', filter: (r, v) => fullMatch(v.cluster!, l(r, 'cluster')) && fullMatch(v.namespace!, l(r, 'namespace')) && l(r, 'reason') === 'ScalingReplicaSet' },
  },
};

export interface Evaluation {
  /** Instant queries: evaluation time; range queries: last step. */
  end: number;
  start: number;
  stepSeconds: number;
  /** The range ($__range, $__auto or a literal) in seconds. */
  rangeSeconds: number;
}

function keyOf(spec: { by: string[]; group?: (r: Row) => Record<string, string> }, r: Row): string {
  return groupKey(spec.group ? spec.group(r) : r.labels, spec.by);
}

/** Expected instant vector: group key → value. */
export function expectedInstant(spec: PanelSpec, rs: Row[], v: Vars, e: Evaluation): Map<string, number> {
  if (spec.type === 'logs') throw new Error('logs spec has no instant value');
  const selected = rs.filter((r) => spec.filter(r, v));
  const window = { from: e.end - e.rangeSeconds * 1000, to: e.end };
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

/** Compares one query result with the spec; returns mismatch descriptions (empty when it matches). */
export function compare(
  spec: PanelSpec,
  result: { resultType: string; result: any[] },
  rs: Row[],
  v: Vars,
  e: Evaluation,
  instant: boolean,
): string[] {
  const problems: string[] = [];
  if (spec.type === 'logs') {
    expect(result.resultType).toBe('streams');
    const wanted = rs.filter((r) => spec.filter(r, v) && r.t >= e.start && r.t <= e.end);
    if (wanted.length === 0) problems.push('the corpus has no line for this query: the check would be vacuous');
    const got = result.result.flatMap((s: { values: [string, string][] }) => s.values.map(([, line]) => JSON.parse(line) as { delta: number }));
    if (got.length !== wanted.length) problems.push(`lines: got ${got.length}, want ${wanted.length}`);
    const gotSum = got.reduce((a, x) => a + x.delta, 0);
    const wantSum = wanted.reduce((a, r) => a + r.line.delta, 0);
    if (gotSum !== wantSum) problems.push(`delta sum of lines: got ${gotSum}, want ${wantSum}`);
    return problems;
  }
  const by = spec.type === 'countGroups' ? [] : spec.by;
  if (instant) {
    expect(result.resultType).toBe('vector');
    const got = new Map<string, number>(result.result.map((s: { metric: Record<string, string>; value: [number, string] }) => [groupKey(s.metric, by), Number(s.value[1])]));
    const want = expectedInstant(spec, rs, v, e);
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
    return problems;
  }
  expect(result.resultType).toBe('matrix');
  const got = new Map<string, number>();
  for (const s of result.result as Array<{ metric: Record<string, string>; values: [number, string][] }>) {
    for (const [ts, val] of s.values) got.set(`${ts}|${groupKey(s.metric, by)}`, Number(val));
  }
  const want = new Map<string, number>();
  for (let t = e.start; t <= e.end; t += e.stepSeconds * 1000) {
    for (const [k, val] of expectedInstant(spec, rs, v, { ...e, end: t })) want.set(`${t / 1000}|${k}`, val);
  }
  if (want.size === 0) problems.push('the corpus has no data for this query: the check would be vacuous');
  const keys = new Set([...got.keys(), ...want.keys()]);
  for (const k of keys) if (got.get(k) !== want.get(k)) problems.push(`${JSON.stringify(k)}: got ${got.get(k)}, want ${want.get(k)}`);
  return problems.slice(0, 10);
}
