// Pipeline alert: the event stream went silent (exporter, Fluent Bit or Loki ingestion broken).
local alert = import 'alert.libsonnet';

function(c, q) {
  name: 'kube-eventline-pipeline',
  rules: [
    alert(
      c,
      'KubeEventlineStreamSilent',
      'silence',
      q.alerts.silence,
      if std.length(c.silenceClusters) == 0 then 'No kube-eventline lines reach Loki.'
      else 'No kube-eventline lines reach Loki from cluster {{ $labels.%s }}.' % c.labels.cluster,
      'Loki has received no line with %s%s for %s. A live cluster always has Events: the exporter, Fluent Bit or Loki ingestion is broken.'
      % [c.jobSelector, if std.length(c.silenceClusters) == 0 then '' else ' from cluster {{ $labels.%s }}' % c.labels.cluster, c.silenceWindow],
    ),
  ],
}
