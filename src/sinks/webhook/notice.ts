/**
 * What a webhook sends: one line, or the summary of the repeats that a collapse window held
 * back (the newest of them, with `delta` the number of occurrences held back since `since`).
 */
import type { EventLine } from '../../line/event-line.js';

export interface Notice {
  line: EventLine;
  repeat?: { occurrences: number; since: string };
}

/** `×19 more since 2026-11-21T03:12:09.000Z` */
export function repeatText(repeat: NonNullable<Notice['repeat']>): string {
  return `×${repeat.occurrences} more since ${repeat.since}`;
}

/** The line a raw or layout body is made of: a summary's message says what it stands for. */
export function noticeLine(notice: Notice): EventLine {
  if (!notice.repeat) return notice.line;
  return { ...notice.line, delta: notice.repeat.occurrences, message: `${repeatText(notice.repeat)}: ${notice.line.message}` };
}

/** `WARNING BackOff: Pod shop/api-7d9c-x2x` */
export function noticeTitle(notice: Notice): string {
  const { line } = notice;
  const object = line.involvedObject;
  const where = object.namespace ? `${object.namespace}/${object.name ?? ''}` : (object.name ?? '');
  const title = `${line.level.toUpperCase()} ${line.reason}: ${object.kind ?? ''} ${where}`.trim();
  return notice.repeat ? `${repeatText(notice.repeat)} · ${title}` : title;
}

/** The facts every preset shows under the message, in this order; empty ones left out. */
export function noticeFacts(notice: Notice): Array<{ title: string; value: string }> {
  const { line } = notice;
  const object = line.involvedObject;
  const facts = [
    { title: 'Cluster', value: line.clusterName },
    { title: 'Namespace', value: line.namespace },
    { title: 'Object', value: `${object.kind ?? ''}/${object.name ?? ''}` },
    { title: 'Workload', value: object.workload ? `${object.workload.kind}/${object.workload.name}` : '' },
    { title: 'Reason', value: line.reason },
    { title: 'Level', value: line.level },
    { title: 'Count', value: String(line.count) },
    { title: 'Node', value: line.source.host ?? '' },
    { title: 'Time', value: line.time },
  ];
  return facts.filter((fact) => fact.value !== '');
}
