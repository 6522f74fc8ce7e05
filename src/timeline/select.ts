import type { Level } from '../grade/levels.js';
import type { TimelineLine } from './occurrence.js';

/** Whose history: one pod, any object by kind and name, or a workload and everything it owned. */
export type Subject = { by: 'pod'; name: string } | { by: 'object'; kind: string; name: string } | { by: 'workload'; kind: string; name: string };

export interface Selection {
  subject: Subject;
  /** Absent: any namespace. */
  namespace?: string;
  /** Absent: any cluster. */
  cluster?: string;
  /** Absent: every level. */
  levels?: Level[];
  /** Absent: every reason. */
  reasons?: string[];
  /** Occurrence times in [fromMs, toMs]; absent: unbounded. */
  fromMs?: number;
  toMs?: number;
}

const sameKind = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** Whether a line belongs to the selection. Loki queries narrow with the same terms; this decides. */
export function selects(selection: Selection, line: TimelineLine): boolean {
  const { subject } = selection;
  if (subject.by === 'pod') {
    if (line.kind !== 'Pod' || line.name !== subject.name) return false;
  } else if (subject.by === 'object') {
    if (!sameKind(line.kind, subject.kind) || line.name !== subject.name) return false;
  } else {
    // The workload's own Events, and those of every object whose owning workload it is
    // (docs/event-line.md: involvedObject.workload, resolved Pod → ReplicaSet → Deployment, Job → CronJob).
    const itself = sameKind(line.kind, subject.kind) && line.name === subject.name;
    const owned = sameKind(line.workloadKind, subject.kind) && line.workloadName === subject.name;
    if (!itself && !owned) return false;
  }
  if (selection.namespace !== undefined && line.namespace !== selection.namespace) return false;
  if (selection.cluster !== undefined && line.cluster !== selection.cluster) return false;
  if (selection.levels && !selection.levels.includes(line.level)) return false;
  if (selection.reasons && !selection.reasons.includes(line.reason)) return false;
  if (selection.fromMs !== undefined && line.timeMs < selection.fromMs) return false;
  if (selection.toMs !== undefined && line.timeMs > selection.toMs) return false;
  return true;
}

/** "Pod shop/api-1", "Deployment shop/api and what it owned": the picture's title. */
export function describeSubject(selection: Selection): string {
  const ns = selection.namespace === undefined ? '' : `${selection.namespace}/`;
  const { subject } = selection;
  if (subject.by === 'pod') return `Pod ${ns}${subject.name}`;
  if (subject.by === 'object') return `${subject.kind} ${ns}${subject.name}`;
  return `${subject.kind} ${ns}${subject.name} and what it owned`;
}
