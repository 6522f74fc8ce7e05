// Node problems: Node Problem Detector reasons and node readiness, per node.
local d = import '../lib/dashboard.libsonnet';
local layout = import '../lib/layout.libsonnet';
local p = import '../lib/panels.libsonnet';
local v = import '../lib/variables.libsonnet';
local common = import 'common.libsonnet';

function(c, q)
  local o = q.node;
  d.new(
    c,
    'node-problems',
    'kube-eventline / Node problems',
    'Kernel and node problems reported by Node Problem Detector (%s) and NodeNotReady/NodeReady transitions, per node.' % std.join(', ', c.nodeProblemReasons),
    common.variables(
      c,
      q,
      extra=[v.textbox('node', '', title='Node', description='Exact node name; empty for every node')],
    ),
    layout.grid([
      layout.row(9, [
        p.bars('Node problems by node', 'Occurrences of Node Problem Detector reasons per interval, by node (the reasons are split in the next panel and the table below).', [p.target(o.problemsByNode, legend='{{%s}}' % c.metadata.name)]),
        p.bars('Node problems by reason', 'Occurrences of Node Problem Detector reasons per interval, by reason.', [p.target(o.problemsByReason, legend='{{%s}}' % c.metadata.reason)]),
      ]),
      layout.row(8, [
        layout.width(p.bars('Readiness transitions', 'NodeNotReady (red) and NodeReady (green) occurrences per interval, by node.', [p.target(o.readiness, legend='{{%s}} {{%s}}' % [c.metadata.name, c.metadata.reason])], [
          { matcher: { id: 'byRegexp', options: '.* NodeNotReady' }, properties: [{ id: 'color', value: { mode: 'fixed', fixedColor: c.levelColors['error'] } }] },
          { matcher: { id: 'byRegexp', options: '.* NodeReady' }, properties: [{ id: 'color', value: { mode: 'fixed', fixedColor: c.levelColors.normal } }] },
        ]), 12),
        layout.width(p.metricTable(
          'Readiness over the range',
          'NodeNotReady and NodeReady occurrences per node over the whole range.',
          [p.target(o.readinessOverRange, instant=true)],
          [[c.metadata.name, 'node'], [c.metadata.reason, 'reason'], ['Value', 'occurrences']],
        ), 12),
      ]),
      layout.row(8, [
        layout.width(p.metricTable(
          'Top node problems',
          'The %d (node, reason) pairs with most occurrences over the whole range.' % c.topN,
          [p.target(o.topNodes, instant=true)],
          [[c.metadata.name, 'node'], [c.metadata.reason, 'reason'], ['Value', 'occurrences']],
        ), 10),
        layout.width(p.logs('Node problem lines', 'Node problem and readiness lines, newest first.', [p.target(o.logs, maxLines=c.logsLimit)]), 14),
      ]),
    ]),
  )
