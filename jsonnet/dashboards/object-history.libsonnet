// Object history: everything that happened to one involved object (namespace, kind, name).
local d = import '../lib/dashboard.libsonnet';
local layout = import '../lib/layout.libsonnet';
local p = import '../lib/panels.libsonnet';
local v = import '../lib/variables.libsonnet';
local common = import 'common.libsonnet';

function(c, q)
  local o = q.object;
  d.new(
    c,
    'object-history',
    'kube-eventline / Object history',
    'The Events of one involved object: when, which reasons, how severe, and the lines themselves.',
    common.variables(
      c,
      q,
      extra=[v.textbox('name', '', title='Object name (regex)', description='Name of the involved object, e.g. a pod or node name')],
      namespaceMulti=false,
      kindMulti=false,
    ),
    layout.grid([
      layout.row(8, [
        p.bars('Occurrences by reason', "Occurrences of this object's Events per interval, by reason.", [p.target(o.byReason, legend='{{%s}}' % c.metadata.reason)]),
        p.bars('Occurrences by level', "Occurrences of this object's Events per interval, by level.", [p.target(o.byLevel, legend='{{%s}}' % c.labels.level)], p.levelOverrides(c)),
      ]),
      layout.row(8, [
        layout.width(p.metricTable(
          'Reasons over the range',
          'Occurrences of each reason over the whole range.',
          [p.target(o.reasonsOverRange, instant=true)],
          [[c.metadata.reason, 'reason'], [c.labels.level, 'level'], ['Value', 'occurrences']],
        ), 8),
        layout.width(p.logTable(
          'Chronology',
          'One row per line, oldest first: count is the cumulative occurrence count of the Event, delta the occurrences this line adds.',
          [p.target(o.logs, maxLines=c.logsLimit)],
          [['time', 'time'], ['level', 'level'], ['reason', 'reason'], ['delta', 'delta'], ['count', 'count'], ['message', 'message']],
        ), 16),
      ]),
      layout.row(12, [
        p.logs('Lines', "The exporter's lines for this object, newest first.", [p.target(o.logs, maxLines=c.logsLimit)]),
      ]),
    ]),
  )
