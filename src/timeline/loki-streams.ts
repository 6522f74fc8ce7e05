// How exporter lines are stored in Loki: read from jsonnet/loki-streams.json, the one definition
// that Fluent Bit's config and the dashboards follow too. esbuild puts it into the bundle.
import streams from '../../jsonnet/loki-streams.json' with { type: 'json' };

/** The Loki name (key) under which loki-streams.json stores the line field `field`. */
function keyFor(map: Record<string, string>, field: string): string {
  const keys = Object.keys(map).filter((k) => map[k] === field);
  if (keys.length !== 1) throw new Error(`jsonnet/loki-streams.json: expected exactly one key for line field ${field}, found ${keys.join(', ') || 'none'}`);
  return keys[0]!;
}

export const LOKI_STREAMS = {
  job: streams.job,
  labels: {
    cluster: keyFor(streams.labels, 'clusterName'),
    namespace: keyFor(streams.labels, 'namespace'),
    level: keyFor(streams.labels, 'level'),
  },
  metadata: {
    reason: keyFor(streams.structuredMetadata, 'reason'),
    kind: keyFor(streams.structuredMetadata, 'involvedObject.kind'),
    name: keyFor(streams.structuredMetadata, 'involvedObject.name'),
    workload: keyFor(streams.structuredMetadata, 'involvedObject.workload.name'),
  },
};
