// Object history: everything that happened to one involved object (namespace, kind, name).
local d = import '../lib/dashboard.libsonnet';
local layout = import '../lib/layout.libsonnet';
local p = import '../lib/panels.libsonnet';
local v = import '../lib/variables.libsonnet';
local common = import 'common.libsonnet';

function(c, q)
  local o = q.object;
  // Until a name is chosen the object's panels stay empty, never the whole namespace.
  local chosen = ' Empty until an object is chosen in Objects (or its name pasted in the Object name box).';
  d.new(
    c,
    'object-history',
    'kube-eventline / Object history',
    'The Events of one involved object: when, which reasons, how severe, and the lines themselves. Pick the object in the Objects table (or paste its exact name); with no object chosen the other panels stay empty.',
    common.variables(
      c,
      q,
      extra=[v.textbox('name', '', title='Object name', description='Exact name of the involved object, e.g. a pod or node name; or click one in the Objects table')],
      namespace='one',
      kindMulti=false,
    ),
    layout.grid([
      layout.row(8, [
        layout.width(p.metricTable(
          'Objects',
          'The objects of the selected namespace and kind with Events in the range, most occurrences first. Click a name to show its history.' + common.seriesLimitNote(['object', 'objects']),
          [p.target(o.objects, instant=true)],
          [[c.labels.namespace, 'namespace'], [c.metadata.kind, 'kind'], [c.metadata.name, 'name'], ['Value', 'occurrences']],
          links={ name: common.objectLinks(c) },
        ), 8),
        layout.width(p.bars('Occurrences by reason', "Occurrences of this object's Events per interval, by reason." + chosen, [p.target(o.byReason, legend='{{%s}}' % c.metadata.reason)]), 8),
        layout.width(p.bars('Occurrences by level', "Occurrences of this object's Events per interval, by level." + chosen, [p.target(o.byLevel, legend='{{%s}}' % c.labels.level)], p.levelOverrides(c)), 8),
      ]),
      layout.row(8, [
        layout.width(p.metricTable(
          'Reasons over the range',
          'Occurrences of each reason of this object over the whole range.' + chosen,
          [p.target(o.reasonsOverRange, instant=true)],
          [[c.metadata.reason, 'reason'], [c.labels.level, 'level'], ['Value', 'occurrences']],
        ), 8),
        layout.width(p.logTable(
          'Chronology',
          'One row per line, oldest first: count is the cumulative occurrence count of the Event, delta the occurrences this line adds.' + chosen,
          [p.target(o.logs, maxLines=c.logsLimit)],
          [['time', 'time'], ['level', 'level'], ['reason', 'reason'], ['delta', 'delta'], ['count', 'count'], ['message', 'message']],
        ), 16),
      ]),
      layout.row(12, [
        p.logs('Lines', "The exporter's lines for this object, newest first." + chosen, [p.target(o.logs, maxLines=c.logsLimit)]),
      ]),
    ]),
  )
