// Daily failures: warning-or-worse occurrences per namespace and per workload per day.
local d = import '../lib/dashboard.libsonnet';
local layout = import '../lib/layout.libsonnet';
local p = import '../lib/panels.libsonnet';
local v = import '../lib/variables.libsonnet';
local common = import 'common.libsonnet';

function(c, q)
  local o = q.daily;
  local levels = std.join(', ', c.failureLevels);
  // Each day's point sits inside the day it counts (at local midnight in UTC, at 05:30 in +05:30,
  // at 17:00 the day before in -07:00): draw the bar on the side of the point that lies in that day.
  local barAlignment = if o.barMinuteOfDay <= 12 * 60 then 1 else -1;
  local dayNote = " Days run from midnight to midnight in the dashboard's time zone (%s, UTC%s)." % [c.dashboardTimezone, c.dashboardUtcOffset];
  d.new(
    // The last 7 days, today included to its end, so that today's bar is inside the time axis.
    c { defaultTimeFrom: 'now-6d/d', defaultTimeTo: 'now/d' },
    'daily-failures',
    'kube-eventline / Daily failures',
    'Occurrences at level %s per namespace (all of them) and per workload (owner of the involved object) of the selected namespaces, per day.' % levels,
    common.variables(
      c,
      q,
      extra=[v.textbox('workload', '', title='Workload', description='Exact owning workload name (Deployment, StatefulSet, DaemonSet, CronJob…); empty for every workload')],
      namespace='some',
      namespacedOnly=true,
    ),
    layout.grid([
      layout.row(8, [
        p.bars(
          'Failures per namespace per day',
          'Warning-or-worse occurrences per namespace, one bar per day, for every namespace (the namespace variable does not apply here: use this panel to pick namespaces).' + dayNote,
          [p.target(o.perNamespaceDay, legend='{{%s}}' % c.labels.namespace, step='1d')],
          interval='1d',
          barAlignment=barAlignment,
        ),
      ]),
      layout.row(9, [
        p.bars(
          'Failures per workload per day',
          'Warning-or-worse occurrences per workload of the selected namespaces, one bar per day.' + dayNote + common.seriesLimitNote(['workload', 'workloads']),
          [p.target(o.perDay, legend='{{%s}}/{{%s}}' % [c.labels.namespace, c.metadata.workload], step='1d')],
          interval='1d',
          barAlignment=barAlignment,
        ),
      ]),
      layout.row(10, [
        p.metricTable(
          'Per workload per day',
          'One row per workload and day, in the selected namespaces.' + dayNote + common.seriesLimitNote(['workload', 'workloads']),
          [p.target(o.perDay, step='1d')],
          [['Time', 'day'], [c.labels.namespace, 'namespace'], [c.metadata.workload, 'workload'], ['Value', 'occurrences']],
          sortBy='Time',
          units={ day: 'time:YYYY-MM-DD' },
        ) { interval: '1d' },
        p.metricTable(
          'Worst workloads over the range',
          'The %d workloads of the selected namespaces with most warning-or-worse occurrences over the whole range.' % c.topN + common.seriesLimitNote(['workload', 'workloads']),
          [p.target(o.overRange, instant=true)],
          [[c.labels.namespace, 'namespace'], [c.metadata.workload, 'workload'], ['Value', 'occurrences']],
        ),
      ]),
      layout.row(9, [
        p.bars(
          'Container failures per workload per day',
          "Restarts of failed containers (kube-eventline's own lines about Pod status: OOMKilled, Error and other terminations, CrashLoopBackOff, image pull failures…) per workload of the selected namespaces, one bar per day." + dayNote + common.seriesLimitNote(['workload', 'workloads']),
          [p.target(o.containersPerDay, legend='{{%s}}/{{%s}}' % [c.labels.namespace, c.metadata.workload], step='1d')],
          interval='1d',
          barAlignment=barAlignment,
        ),
        p.bars(
          '%s containers per workload per day' % c.containerOomReason,
          'Containers killed for exceeding their memory limit (reason %s), per workload of the selected namespaces, one bar per day.' % c.containerOomReason + dayNote + common.seriesLimitNote(['workload', 'workloads']),
          [p.target(o.oomKilledPerDay, legend='{{%s}}/{{%s}}' % [c.labels.namespace, c.metadata.workload], step='1d')],
          interval='1d',
          barAlignment=barAlignment,
        ),
      ]),
      layout.row(10, [
        layout.width(p.metricTable(
          'Exit codes by workload',
          "The %d (workload, reason, exit code) triples of the selected namespaces with most container restarts over the whole range: 137 is SIGKILL (OOMKilled, or killed after the grace period), 143 SIGTERM, 139 SIGSEGV, 1 and 2 the program's own error. A line that stands for several restarts carries the exit code of the last one." % c.topN + common.seriesLimitNote(['(workload, reason, exit code) triple', 'triples']),
          [p.target(o.exitCodes, instant=true)],
          [[c.labels.namespace, 'namespace'], [c.metadata.workload, 'workload'], [c.metadata.reason, 'reason'], ['exitCode', 'exit code'], ['Value', 'restarts']],
        ), 10),
        layout.width(p.jsonPathTable(
          'Latest container failures',
          'The newest %d container failure lines of the selected namespaces, newest first: restarts is the restart count of the container.' % c.containerFailureLines,
          [p.target(o.containerFailureLines, maxLines=c.containerFailureLines)],
          [
            ['time', 'time'],
            ['namespace', 'namespace'],
            ['involvedObject.workload.name', 'workload'],
            ['involvedObject.name', 'pod'],
            ['container.name', 'container'],
            ['reason', 'reason'],
            ['container.exitCode', 'exit code'],
            ['container.restartCount', 'restarts'],
            ['message', 'message'],
          ],
          'time',
        ), 14),
      ]),
      layout.row(10, [
        p.metricTable(
          'Failures by workload and reason',
          'Warning-or-worse occurrences per workload and reason over the whole range, in the selected namespaces.' + common.seriesLimitNote(['(workload, reason) pair', '(workload, reason) pairs']),
          [p.target(o.reasonsOverRange, instant=true)],
          [[c.labels.namespace, 'namespace'], [c.metadata.workload, 'workload'], [c.metadata.reason, 'reason'], ['Value', 'occurrences']],
        ),
      ]),
    ]),
  )
