// What every kube-eventline dashboard shares: the standard variables and cross-dashboard links.
local d = import '../lib/dashboard.libsonnet';
local v = import '../lib/variables.libsonnet';

{
  // datasource, cluster, namespace, level (multi), kind, reason, `extra`, search.
  // namespace: 'all' (several, with All), 'one' (a single one, no All: one object's dashboards) or
  // 'some' (several, no All: the panels group by workload, and a whole cluster's workloads would
  // exceed Loki's series limit); `namespacedOnly` hides the cluster-scoped pseudo-namespace.
  variables(c, q, extra=[], kind=true, namespace='all', kindMulti=true, namespacedOnly=false)::
    assert std.member(['all', 'one', 'some'], namespace) : 'namespace must be all, one or some';
    [
      v.datasource(c),
      v.labelValues('cluster', c.labels.cluster, q.variables.cluster, multi=false, title='Cluster'),
      v.labelValues(
        'namespace',
        c.labels.namespace,
        q.variables.namespace,
        multi=namespace != 'one',
        title='Namespace',
        includeAll=namespace == 'all',
        regex=if namespacedOnly then '/^(?!%s$)/' % c.clusterScopedNamespace else '',
      ),
      v.custom('level', c.levels, title='Level'),
    ]
    + (if kind then [v.custom('kind', c.kinds, multi=kindMulti, title='Kind')] else [])
    + [v.textbox('reason', '', title='Reason', description='The exact Event reason, e.g. BackOff; empty for every reason')]
    + extra
    + [v.textbox('search', '', title='Search', description='Text searched in the whole JSON line, ignoring case, taken literally: quotes, backslashes and regex characters are plain characters')],

  // Said on every panel that groups by something a large cluster has thousands of (docs/dashboards.md).
  seriesLimitNote(what):: ' Loki counts each %s against limits_config.max_query_series (default 500) even inside topk or count: on default limits this answers while the selection has at most 500 %s with Events in each query split interval (1 h by default). Narrow the namespace, or raise the limit (docs/dashboards.md).' % [what[0], what[1]],

  // Data link from a table row (fields namespace, name) to the pod's lifecycle.
  podLink(c):: d.link('Pod lifecycle', d.url(c, 'pod-lifecycle', {
    cluster: '${cluster}',
    namespace: '${__data.fields.namespace}',
    pod: '${__data.fields.name}',
  })),

  // Data links from a table row to the object or pod pages.
  objectLinks(c):: [
    d.link('Object history', d.url(c, 'object-history', {
      cluster: '${cluster}',
      namespace: '${__data.fields.namespace}',
      kind: '${__data.fields.kind}',
      name: '${__data.fields.name}',
    })),
    d.link('Pod lifecycle (pods only)', d.url(c, 'pod-lifecycle', {
      cluster: '${cluster}',
      namespace: '${__data.fields.namespace}',
      pod: '${__data.fields.name}',
    })),
  ],
}
