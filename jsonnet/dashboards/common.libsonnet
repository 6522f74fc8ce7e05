// What every kube-eventline dashboard shares: the standard variables and cross-dashboard links.
local d = import '../lib/dashboard.libsonnet';
local v = import '../lib/variables.libsonnet';

{
  // datasource, cluster, namespace (multi), level (multi), kind, reason (regex), `extra`, search.
  variables(c, q, extra=[], kind=true, namespaceMulti=true, kindMulti=true)::
    [
      v.datasource(c),
      v.labelValues('cluster', c.labels.cluster, q.variables.cluster, multi=false, title='Cluster'),
      v.labelValues('namespace', c.labels.namespace, q.variables.namespace, multi=namespaceMulti, title='Namespace'),
      v.custom('level', c.levels, title='Level'),
    ]
    + (if kind then [v.custom('kind', c.kinds, multi=kindMulti, title='Kind')] else [])
    + [v.textbox('reason', '.*', title='Reason (regex)', description='Regular expression on the Event reason')]
    + extra
    + [v.textbox('search', '', title='Search', description='Case-insensitive text (regex) searched in the whole line')],

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
