/**
 * The words every output of the digest shares: its title, the sentence about the range, and
 * each list as rows of cell text. Cells are raw text here; each format escapes them its way.
 */
import { cutNote, type Digest, type DigestList } from './digest.js';

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

export function digestTitle(digest: Digest): string {
  const where = [digest.cluster, digest.namespaces?.join(', ')].filter((x) => x !== undefined && x !== '').join(' · ');
  return `kube-eventline digest${where ? ` · ${where}` : ''}`;
}

export function rangeSentence(digest: Digest): string {
  return `${digest.total} occurrences at level ${digest.levels.join(', ')} from ${iso(digest.fromMs)} to ${iso(digest.toMs)}`;
}

export function newKindsNote(digest: Digest): string {
  return `none of them from ${iso(digest.previousFromMs)} to ${iso(digest.fromMs)}`;
}

/** A list's heading: its title, and what was cut or is missing (`extra`: what the format left out). */
export function listHeading(digest: Digest, list: DigestList, extra?: string): string {
  const notes = [list === digest.newKinds ? newKindsNote(digest) : undefined, cutNote(list), extra].filter(Boolean);
  return notes.length > 0 ? `${list.title} (${notes.join('; ')})` : list.title;
}

/** A cell holds one line: a line break in a name would end a table row, so it becomes a space. */
export const oneLine = (text: string) => text.replace(/\r\n|[\r\n\u2028\u2029]/g, ' ');

/** Header and rows of a list, occurrences last. */
export function listTable(list: DigestList, rows = list.rows.length): { header: string[]; rows: string[][] } {
  return {
    header: [...list.columns, 'occurrences'],
    rows: list.rows.slice(0, rows).map((r) => [...r.keys.map(oneLine), String(r.occurrences)]),
  };
}

export const digestLists = (digest: Digest): DigestList[] => [digest.workloads, digest.reasons, digest.objects, digest.newKinds];

/** The digest as JSON: what a webhook without preset receives and `--format json` prints. */
export function digestJson(digest: Digest): unknown {
  const list = (l: DigestList) => ({
    columns: [...l.columns, 'occurrences'],
    rows: l.rows.map((r) => ({ ...Object.fromEntries(l.columns.map((c, i) => [c, r.keys[i] ?? ''])), occurrences: r.occurrences })),
    total: l.total,
    cut: l.total > l.rows.length,
    missing: l.missing,
  });
  return {
    ...(digest.cluster !== undefined ? { cluster: digest.cluster } : {}),
    ...(digest.namespaces ? { namespaces: digest.namespaces } : {}),
    from: new Date(digest.fromMs).toISOString(),
    to: new Date(digest.toMs).toISOString(),
    previousFrom: new Date(digest.previousFromMs).toISOString(),
    levels: digest.levels,
    total: digest.total,
    workloads: list(digest.workloads),
    reasons: list(digest.reasons),
    objects: list(digest.objects),
    newKinds: list(digest.newKinds),
  };
}
