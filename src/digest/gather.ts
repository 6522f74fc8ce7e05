/**
 * Runs the digest's queries (digest-queries.ts) at the end of the range and builds the Digest.
 *
 * Loki refuses a query once an aggregation it evaluates has more than max_query_series series
 * (500 by default), also inside `topk` or `count`, per query piece (docs/dashboards.md, Sizes).
 * The lists grouped by namespace and something else (workloads, objects) are then asked for one
 * namespace at a time: every entry belongs to one namespace, so the top entries of all
 * namespaces' top lists are the top entries overall, and the counts add up. A namespace that is
 * still too big, and a list without namespace (reasons, new kinds), are reported as incomplete.
 */
import type { LokiAccess } from '../timeline/loki-source.js';
import { LokiAnswerError } from '../timeline/loki-source.js';
import type { Digest, DigestList, DigestRow } from './digest.js';
import { DIGEST_QUERIES, fillQuery, type ListQueries, literalRegex, type QueryScope } from './digest-queries.js';
import { queryVector } from './loki-vector.js';

export interface DigestRequest {
  cluster?: string;
  /** namespaces to look at; all when empty */
  namespaces: string[];
  endMs: number;
  rangeSeconds: number;
  /** rows per list */
  limit: number;
}

const isSeriesLimit = (err: unknown) => err instanceof LokiAnswerError && /maximum (number )?of series/i.test(err.body);

const byOccurrences = (a: DigestRow, b: DigestRow) => b.occurrences - a.occurrences || a.keys.join('\0').localeCompare(b.keys.join('\0'));

export async function gatherDigest(access: LokiAccess, request: DigestRequest): Promise<Digest> {
  const { labels, queries, failureLevels } = DIGEST_QUERIES;
  const scope: QueryScope = {
    cluster: request.cluster === undefined ? '.*' : literalRegex(request.cluster),
    namespace: request.namespaces.length === 0 ? '.*' : request.namespaces.map(literalRegex).join('|'),
    rangeSeconds: request.rangeSeconds,
    limit: request.limit,
  };
  const run = (template: string, s: QueryScope = scope) => queryVector(access, fillQuery(template, s), request.endMs);
  const single = async (template: string, s?: QueryScope) => (await run(template, s))[0]?.value ?? 0;

  async function list(title: string, def: ListQueries, columns: Array<[string, string]>, perNamespace: boolean): Promise<DigestList> {
    const rowsOf = (samples: Array<{ labels: Record<string, string>; value: number }>) =>
      samples.map((s) => ({ keys: columns.map(([, label]) => s.labels[label] ?? ''), occurrences: s.value }));
    const shape = { title, columns: columns.map(([name]) => name) };
    try {
      const [top, total] = await Promise.all([run(def.top), single(def.count)]);
      return { ...shape, rows: rowsOf(top).sort(byOccurrences), total, missing: [] };
    } catch (err) {
      if (!isSeriesLimit(err)) throw err;
      if (!perNamespace) return { ...shape, rows: [], total: 0, missing: ['all namespaces'] };
    }
    let namespaces: string[];
    try {
      namespaces = (await run(queries.namespaces)).map((s) => s.labels[labels.namespace] ?? '').sort();
    } catch (err) {
      // more namespaces with failures than Loki groups: nothing left to split by
      if (!isSeriesLimit(err)) throw err;
      return { ...shape, rows: [], total: 0, missing: ['all namespaces'] };
    }
    const rows: DigestRow[] = [];
    const missing: string[] = [];
    let total = 0;
    // One namespace at a time: the queries share Loki with everyone else.
    for (const namespace of namespaces) {
      const one = { ...scope, namespace: literalRegex(namespace) };
      try {
        const [top, count] = await Promise.all([run(def.top, one), single(def.count, one)]);
        rows.push(...rowsOf(top));
        total += count;
      } catch (err) {
        if (!isSeriesLimit(err)) throw err;
        missing.push(namespace);
      }
    }
    return { ...shape, rows: rows.sort(byOccurrences).slice(0, request.limit), total, missing };
  }

  const total = await single(queries.total);
  const workloads = await list(
    'Workloads',
    queries.workloads,
    [
      ['namespace', labels.namespace],
      ['workload', labels.workload],
    ],
    true,
  );
  const reasons = await list('Reasons', queries.reasons, [['reason', labels.reason]], false);
  const objects = await list(
    'Objects',
    queries.objects,
    [
      ['namespace', labels.namespace],
      ['kind', labels.kind],
      ['name', labels.name],
    ],
    true,
  );
  const newKinds = await list(
    'New kinds of failure',
    queries.newKinds,
    [
      ['reason', labels.reason],
      ['kind', labels.kind],
    ],
    false,
  );
  const rangeMs = request.rangeSeconds * 1000;
  return {
    ...(request.cluster !== undefined ? { cluster: request.cluster } : {}),
    ...(request.namespaces.length > 0 ? { namespaces: request.namespaces } : {}),
    fromMs: request.endMs - rangeMs,
    toMs: request.endMs,
    previousFromMs: request.endMs - 2 * rangeMs,
    levels: failureLevels,
    total,
    workloads,
    reasons,
    objects,
    newKinds,
  };
}
