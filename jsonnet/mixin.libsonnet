// The kube-eventline mixin: Grafana dashboards and Loki alert rules over the exporter's lines.
//
//   local mixin = (import 'mixin.libsonnet') + { _config+:: { topN: 20 } };
//   mixin.grafanaDashboards  // { 'events-overview.json': {...}, ... }
//   mixin.lokiRules          // { groups: [...] }, the Loki ruler file
//
// Both are computed from `_config` late, so overrides apply everywhere.
(import 'config.libsonnet') + {
  local m = self,
  // libjsonnet re-evaluates an object field on every access but evaluates a local or an array
  // element once: copy config and queries into objects whose fields read cached array elements.
  local materialise(v) =
    if std.isObject(v) then
      local keys = std.objectFields(v);
      local vals = [materialise(v[k]) for k in keys];
      { [keys[i]]: vals[i] for i in std.range(0, std.length(keys) - 1) }
    else if std.isArray(v) then [materialise(x) for x in v]
    else v,
  local config = materialise(m._config),
  local queries = materialise((import 'queries.libsonnet').new(config)),
  grafanaDashboards+:: (import 'dashboards/dashboards.libsonnet')(config, queries),
  lokiRules+:: (import 'alerts/alerts.libsonnet')(config, queries),
  // The LogQL of `kube-eventline digest`, built from the daily failures dashboard's pieces.
  // Its result labels are the stream labels and metadata keys the queries group by.
  digestQueries+:: {
    labels: {
      cluster: config.labels.cluster,
      namespace: config.labels.namespace,
      workload: config.metadata.workload,
      reason: config.metadata.reason,
      kind: config.metadata.kind,
      name: config.metadata.name,
    },
    failureLevels: config.failureLevels,
    queries: queries.digest,
  },
}
