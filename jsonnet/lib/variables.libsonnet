// Template variables. Label values come from Loki's label API, which reads the stream index:
// stream labels only. Structured metadata (reason, kind, name, workload, node) has no values API,
// so those are custom lists or text boxes.
// The current value 'All', in the shape Grafana stores for multi- and single-value variables.
local all(multi) = if multi then { selected: true, text: ['All'], value: ['$__all'] } else { selected: true, text: 'All', value: '$__all' };
{
  datasource(c):: {
    type: 'datasource',
    name: c.datasourceName,
    label: 'Data source',
    query: 'loki',
    regex: '',
    hide: 0,
    refresh: 1,
    current: {},
    options: [],
  },

  // Values of the stream label `label` among the streams `stream`. Without `includeAll` Grafana
  // starts on the first value; `regex` (a JavaScript /regex/) hides values.
  labelValues(name, label, stream, multi=true, title=null, includeAll=true, regex=''):: {
    type: 'query',
    name: name,
    label: if title == null then name else title,
    datasource: { type: 'loki', uid: '${datasource}' },
    query: { label: label, stream: stream, type: 1, refId: 'LokiVariableQueryEditor-VariableQuery' },
    definition: 'label_values(%s, %s)' % [stream, label],
    refresh: 2,
    sort: 1,
    hide: 0,
    multi: multi,
    includeAll: includeAll,
    options: [],
    regex: regex,
  } + (if includeAll then { allValue: '.*', current: all(multi) } else { current: {} }),

  custom(name, values, multi=true, title=null):: {
    type: 'custom',
    name: name,
    label: if title == null then name else title,
    query: std.join(',', values),
    multi: multi,
    includeAll: true,
    allValue: '.*',
    current: all(multi),
    hide: 0,
    options: [{ selected: false, text: v, value: v } for v in values],
  },

  // A text box. Queries read it as `${name:percentencode}` and compare it as a literal (see
  // queries.libsonnet), so any character can be typed.
  textbox(name, default, title=null, description=''):: {
    type: 'textbox',
    name: name,
    label: if title == null then name else title,
    description: description,
    query: default,
    current: { selected: false, text: default, value: default },
    hide: 0,
    options: [{ selected: true, text: default, value: default }],
  },
}
