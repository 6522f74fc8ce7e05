import { LOKI_STREAMS } from './loki-streams.js';
import type { Selection } from './select.js';

/** A LogQL string literal (LogQL reads Go's quoted-string syntax, which JSON's is a subset of). */
const quote = (s: string) => JSON.stringify(s);
const escapeRegex = (s: string) => s.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');

/**
 * The LogQL that fetches the selection's lines, or a superset of them: `selects()` decides on
 * each line, exactly as for a file, so both inputs give the same picture. Kind matches are left to
 * `selects()` because it compares kinds case-insensitively.
 */
export function lokiQuery(selection: Selection): string {
  const { labels, metadata } = LOKI_STREAMS;
  const matchers = [`job=${quote(LOKI_STREAMS.job)}`];
  if (selection.cluster !== undefined) matchers.push(`${labels.cluster}=${quote(selection.cluster)}`);
  if (selection.namespace !== undefined) matchers.push(`${labels.namespace}=${quote(selection.namespace)}`);
  if (selection.levels) matchers.push(`${labels.level}=~${quote(selection.levels.map(escapeRegex).join('|'))}`);
  let query = `{${matchers.join(', ')}}`;
  const { subject } = selection;
  if (subject.by === 'pod') query += ` | ${metadata.kind}="Pod" | ${metadata.name}=${quote(subject.name)}`;
  else if (subject.by === 'object') query += ` | ${metadata.name}=${quote(subject.name)}`;
  else query += ` | ${metadata.workload}=${quote(subject.name)} or ${metadata.name}=${quote(subject.name)}`;
  if (selection.reasons) query += ` | ${metadata.reason}=~${quote(selection.reasons.map(escapeRegex).join('|'))}`;
  return query;
}
