// Workload alerts: crash-loop back-off storms, containers OOMKilled again and again, pods that cannot
// be scheduled.
local alert = import 'alert.libsonnet';

function(c, q) {
  name: 'kube-eventline-workloads',
  rules: [
    alert(
      c,
      'KubeEventlineCrashLoopStorm',
      'crashLoop',
      q.alerts.crashLoop,
      'Workload {{ $labels.namespace }}/{{ $labels.%s }} is crash-looping.' % c.metadata.workload,
      'More than %d "%s" occurrences in %s for workload {{ $labels.namespace }}/{{ $labels.%s }} in cluster {{ $labels.%s }} (now {{ $value }}).'
      % [c.crashLoopThreshold, c.crashLoopMessage, c.crashLoopWindow, c.metadata.workload, c.labels.cluster],
    ),
    alert(
      c,
      'KubeEventlineContainersOOMKilled',
      'containerOom',
      q.alerts.containerOom,
      "Workload {{ $labels.namespace }}/{{ $labels.%s }}'s containers are OOMKilled again and again." % c.metadata.workload,
      '{{ $value }} container restarts with reason %s in %s (the alert fires from %d) in workload {{ $labels.namespace }}/{{ $labels.%s }} in cluster {{ $labels.%s }}: its containers exceed their memory limit.'
      % [c.containerOomReason, c.containerOomWindow, c.containerOomThreshold, c.metadata.workload, c.labels.cluster],
    ),
    alert(
      c,
      'KubeEventlinePodUnschedulable',
      'unschedulable',
      q.alerts.unschedulable,
      'Pod {{ $labels.namespace }}/{{ $labels.%s }} cannot be scheduled.' % c.metadata.name,
      'Pod {{ $labels.namespace }}/{{ $labels.%s }} in cluster {{ $labels.%s }} has had FailedScheduling Events and no Scheduled Event for %s.'
      % [c.metadata.name, c.labels.cluster, c.alertFor.unschedulable],
    ),
  ],
}
