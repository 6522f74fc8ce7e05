// The digest's LogQL, rendered from jsonnet/queries.libsonnet by `npm run build:dashboards` into
// jsonnet/digest-queries.json: the daily failures dashboard's selector, filters and sums, never
// restated here. esbuild puts the JSON into the digest's bundle.
import rendered from '../../jsonnet/digest-queries.json' with { type: 'json' };

export interface ListQueries {
  top: string;
  count: string;
}

export interface DigestQueries {
  labels: { cluster: string; namespace: string; workload: string; reason: string; kind: string; name: string };
  failureLevels: string[];
  queries: { total: string; namespaces: string; workloads: ListQueries; reasons: ListQueries; objects: ListQueries; newKinds: ListQueries };
}

export const DIGEST_QUERIES: DigestQueries = rendered;

/** What fills the placeholders: regular expressions (as Grafana fills a variable), a duration, a number. */
export interface QueryScope {
  /** a regular expression over the cluster label */
  cluster: string;
  /** a regular expression over the namespace label */
  namespace: string;
  rangeSeconds: number;
  limit: number;
}

/** A value as a regular expression that matches it alone (RE2 syntax, which Loki's matchers use). */
export const literalRegex = (value: string) => value.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');

/**
 * The query with its placeholders filled. The regular expressions go inside a LogQL string
 * literal, whose quoting (Go's, a superset of JSON's) is applied to them here.
 */
export function fillQuery(template: string, scope: QueryScope): string {
  const inString = (re: string) => JSON.stringify(re).slice(1, -1);
  const values: Record<string, string> = {
    cluster: inString(scope.cluster),
    namespace: inString(scope.namespace),
    range: `${scope.rangeSeconds}s`,
    limit: String(scope.limit),
  };
  return template.replace(/\$\{(\w+)\}/g, (whole, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`jsonnet/digest-queries.json: unknown placeholder ${whole}`);
    return value;
  });
}
