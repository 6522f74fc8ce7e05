// Pod lifecycle: one pod, from scheduling to its end, readable with hundreds of Events.
local d = import '../lib/dashboard.libsonnet';
local layout = import '../lib/layout.libsonnet';
local p = import '../lib/panels.libsonnet';
local v = import '../lib/variables.libsonnet';
local common = import 'common.libsonnet';

function(c, q)
  local o = q.pod;
  d.new(
    c,
    'pod-lifecycle',
    'kube-eventline / Pod lifecycle',
    "One pod's Events: a timeline per reason coloured by the worst level in each interval, occurrence counts and the lines.",
    common.variables(
      c,
      q,
      extra=[v.textbox('pod', '', title='Pod (regex)', description='Pod name')],
      kind=false,
      namespaceMulti=false,
    ),
    layout.grid([
      layout.row(10, [
        p.levelTimeline(
          'Timeline by reason',
          'One row per reason; each interval is coloured by the worst level seen in it (info grey, normal green, warning orange, error red, fatal dark red). Intervals grow with the range, so hundreds of Events stay readable.',
          [p.target(o.levelByReason, legend='{{%s}}' % c.metadata.reason)],
          c,
        ),
      ]),
      layout.row(8, [
        layout.width(p.bars('Occurrences by reason', 'Occurrences per interval by reason.', [p.target(o.byReason, legend='{{%s}}' % c.metadata.reason)]), 16),
        layout.width(p.metricTable(
          'Reasons over the range',
          'Occurrences of each reason over the whole range.',
          [p.target(o.reasonsOverRange, instant=true)],
          [[c.metadata.reason, 'reason'], [c.labels.level, 'level'], ['Value', 'occurrences']],
        ), 8),
      ]),
      layout.row(12, [
        p.logs('Lines', "The exporter's lines for this pod, oldest first.", [p.target(o.logs, maxLines=c.logsLimit)], ascending=true),
      ]),
    ]),
  )
