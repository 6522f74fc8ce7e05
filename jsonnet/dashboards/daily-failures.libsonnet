// Daily failures: warning-or-worse occurrences per workload per day.
local d = import '../lib/dashboard.libsonnet';
local layout = import '../lib/layout.libsonnet';
local p = import '../lib/panels.libsonnet';
local v = import '../lib/variables.libsonnet';
local common = import 'common.libsonnet';

function(c, q)
  local o = q.daily;
  d.new(
    // Whole days read best: default to the last 7.
    c { defaultTimeFrom: 'now-7d/d' },
    'daily-failures',
    'kube-eventline / Daily failures',
    'Occurrences at level %s per workload (owner of the involved object) per day.' % std.join(', ', c.failureLevels),
    common.variables(
      c,
      q,
      extra=[v.textbox('workload', '.*', title='Workload (regex)', description='Owning workload name (Deployment, StatefulSet, DaemonSet, CronJob…)')],
    ),
    layout.grid([
      layout.row(9, [
        p.bars('Failures per workload per day', 'Warning-or-worse occurrences per workload, one bar per day.', [p.target(o.perDay, legend='{{%s}}/{{%s}}' % [c.labels.namespace, c.metadata.workload], step='1d')], interval='1d'),
      ]),
      layout.row(10, [
        p.metricTable(
          'Per workload per day',
          'One row per workload and day.',
          [p.target(o.perDay, step='1d')],
          [['Time', 'day'], [c.labels.namespace, 'namespace'], [c.metadata.workload, 'workload'], ['Value', 'occurrences']],
          sortBy='Time',
        ) { interval: '1d' },
        p.metricTable(
          'Worst workloads over the range',
          'The %d workloads with most warning-or-worse occurrences over the whole range.' % c.topN,
          [p.target(o.overRange, instant=true)],
          [[c.labels.namespace, 'namespace'], [c.metadata.workload, 'workload'], ['Value', 'occurrences']],
        ),
      ]),
      layout.row(10, [
        p.metricTable(
          'Failures by workload and reason',
          'Warning-or-worse occurrences per workload and reason over the whole range.',
          [p.target(o.reasonsOverRange, instant=true)],
          [[c.labels.namespace, 'namespace'], [c.metadata.workload, 'workload'], [c.metadata.reason, 'reason'], ['Value', 'occurrences']],
        ),
      ]),
    ]),
  )
