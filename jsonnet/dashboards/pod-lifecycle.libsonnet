// Pod lifecycle: one pod, from scheduling to its end, readable with hundreds of Events.
local d = import '../lib/dashboard.libsonnet';
local layout = import '../lib/layout.libsonnet';
local p = import '../lib/panels.libsonnet';
local v = import '../lib/variables.libsonnet';
local common = import 'common.libsonnet';

function(c, q)
  local o = q.pod;
  // Until a pod is chosen the pod's panels stay empty, never the whole namespace.
  local chosen = ' Empty until a pod is chosen in Pods (or its name pasted in the Pod box).';
  d.new(
    c,
    'pod-lifecycle',
    'kube-eventline / Pod lifecycle',
    "One pod's Events: a timeline per reason coloured by the worst level in each interval, occurrence counts, its containers' failures (exit codes, OOMKilled) and the lines. Pick the pod in the Pods table (or paste its exact name); with no pod chosen the other panels stay empty.",
    common.variables(
      c,
      q,
      extra=[v.textbox('pod', '', title='Pod', description='Exact pod name; or click one in the Pods table')],
      kind=false,
      namespace='one',
      namespacedOnly=true,
    ),
    layout.grid([
      layout.row(10, [
        layout.width(p.metricTable(
          'Pods',
          'The pods of the selected namespace with Events in the range, most occurrences first. Click a name to show its lifecycle.' + common.seriesLimitNote(['pod', 'pods']),
          [p.target(o.pods, instant=true)],
          [[c.labels.namespace, 'namespace'], [c.metadata.name, 'name'], ['Value', 'occurrences']],
          links={ name: [common.podLink(c)] },
        ), 6),
        layout.width(p.levelTimeline(
          'Timeline by reason',
          'One row per reason; each interval is coloured by the worst level seen in it (info grey, normal green, warning orange, error red, fatal dark red). Intervals grow with the range, so hundreds of Events stay readable.' + chosen,
          [p.target(o.levelByReason, legend='{{%s}}' % c.metadata.reason)],
          c,
        ), 18),
      ]),
      layout.row(8, [
        layout.width(p.bars('Occurrences by reason', 'Occurrences per interval by reason.' + chosen, [p.target(o.byReason, legend='{{%s}}' % c.metadata.reason)]), 16),
        layout.width(p.metricTable(
          'Reasons over the range',
          'Occurrences of each reason of this pod over the whole range.' + chosen,
          [p.target(o.reasonsOverRange, instant=true)],
          [[c.metadata.reason, 'reason'], [c.labels.level, 'level'], ['Value', 'occurrences']],
        ), 8),
      ]),
      layout.row(9, [
        layout.width(p.metricTable(
          'Container failures',
          "Restarts of this pod's containers over the range, per container, reason and exit code, from kube-eventline's own lines about Pod status (source.component kube-eventline): terminations such as OOMKilled or Error with their exit code, and waiting states such as CrashLoopBackOff or ImagePullBackOff (no exit code). A line that stands for several restarts carries the exit code of the last one." + chosen,
          [p.target(o.containerFailures, instant=true)],
          [['container', 'container'], [c.metadata.reason, 'reason'], ['exitCode', 'exit code'], ['Value', 'restarts']],
        ), 8),
        layout.width(p.jsonPathTable(
          'Latest container failures',
          'The newest %d container failure lines of this pod, newest first: restarts is the restart count of the container, last log lines those its previous instance printed (when the exporter collects them: podFailures.logLines).' % c.containerFailureLines + chosen,
          [p.target(o.containerFailureLines, maxLines=c.containerFailureLines)],
          [
            ['time', 'time'],
            ['container.name', 'container'],
            ['reason', 'reason'],
            ['container.exitCode', 'exit code'],
            ['container.signal', 'signal'],
            ['container.restartCount', 'restarts'],
            ['message', 'message'],
            ['container.logTail', 'last log lines'],
          ],
          'time',
        ), 16),
      ]),
      layout.row(12, [
        p.logs('Lines', "The exporter's lines for this pod, oldest first." + chosen, [p.target(o.logs, maxLines=c.logsLimit)], ascending=true),
      ]),
    ]),
  )
