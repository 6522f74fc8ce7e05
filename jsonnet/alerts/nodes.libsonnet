// Node alerts: OOM kills, kernel and node problems from Node Problem Detector, NodeNotReady.
local alert = import 'alert.libsonnet';

function(c, q) {
  name: 'kube-eventline-nodes',
  rules: [
    alert(
      c,
      'KubeEventlineOOMKills',
      'oomKill',
      q.alerts.oomKills,
      'OOM kills on {{ $labels.%s }} {{ $labels.%s }}.' % [c.metadata.kind, c.metadata.name],
      '{{ $value }} OOM kill occurrences (%s) in %s on {{ $labels.%s }} {{ $labels.%s }} in cluster {{ $labels.%s }}.'
      % [std.join(', ', c.oomReasons), c.oomWindow, c.metadata.kind, c.metadata.name, c.labels.cluster],
    ),
    alert(
      c,
      'KubeEventlineNodeProblem',
      'nodeProblem',
      q.alerts.nodeProblem,
      'Node {{ $labels.%s }} reports {{ $labels.%s }}.' % [c.metadata.name, c.metadata.reason],
      'Node Problem Detector reported {{ $labels.%s }} {{ $value }} times in %s on node {{ $labels.%s }} in cluster {{ $labels.%s }}.'
      % [c.metadata.reason, c.nodeProblemWindow, c.metadata.name, c.labels.cluster],
    ),
    alert(
      c,
      'KubeEventlineNodeNotReady',
      'nodeNotReady',
      q.alerts.nodeNotReady,
      'Node {{ $labels.%s }} is not ready.' % c.metadata.name,
      'Node {{ $labels.%s }} in cluster {{ $labels.%s }} reported NodeNotReady at {{ $value | humanizeTimestamp }} and no %s since. Kubernetes writes NodeNotReady once, when the node goes not ready, so the rule compares the last NodeNotReady with the last of %s over the last %s: it holds until one of those comes, or until the NodeNotReady is %s old. It cannot see a node that was not ready for longer than that, nor a NodeReady the exporter missed.'
      % [c.metadata.name, c.labels.cluster, std.join(' or ', c.nodeNotReadyEndReasons), std.join(', ', c.nodeNotReadyEndReasons), c.nodeNotReadyLookback, c.nodeNotReadyLookback],
    ),
  ],
}
