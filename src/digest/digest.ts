/** A daily digest: warning-or-worse occurrences (Σ delta) in one range, by what failed. */

export interface DigestRow {
  /** the grouping labels' values, in the list's column order */
  keys: string[];
  occurrences: number;
}

export interface DigestList {
  title: string;
  /** column names of `keys` */
  columns: string[];
  rows: DigestRow[];
  /** how many entries the whole list has; more than rows.length when the list was cut */
  total: number;
  /**
   * Namespaces whose entries are missing (or 'all namespaces') because Loki refused to group them:
   * more series than its max_query_series in one query piece. Empty when the list is complete.
   */
  missing: string[];
}

export interface Digest {
  cluster?: string;
  namespaces?: string[];
  /** the range (from, to] in ms, and the range before it that "new" compares with */
  fromMs: number;
  toMs: number;
  previousFromMs: number;
  levels: string[];
  total: number;
  workloads: DigestList;
  reasons: DigestList;
  objects: DigestList;
  newKinds: DigestList;
}

/** `top 10 of 734`, what is missing, or nothing for a complete list. */
export function cutNote(list: DigestList): string | undefined {
  const parts: string[] = [];
  if (list.total > list.rows.length) parts.push(`top ${list.rows.length} of ${list.total}`);
  if (list.missing.length > 0)
    parts.push(
      `incomplete: ${list.missing.join(', ')} left out, Loki refused to group more series than its max_query_series (raise limits_config.max_query_series)`,
    );
  return parts.length > 0 ? parts.join('; ') : undefined;
}
