// Events overview: how many Event occurrences, of which level, reason, namespace and kind, and
// what is hurting most over the selected range.
local d = import '../lib/dashboard.libsonnet';
local layout = import '../lib/layout.libsonnet';
local p = import '../lib/panels.libsonnet';
local common = import 'common.libsonnet';

function(c, q)
  local o = q.overview;
  d.new(
    c,
    'events-overview',
    'kube-eventline / Events overview',
    "Kubernetes Event occurrences (sum of the exporter's delta, not lines) by level, reason, namespace and kind.",
    common.variables(c, q),
    layout.grid([
      layout.row(4, [
        p.stat('Occurrences', 'Event occurrences in the range (sum of delta).', [p.target(o.total, instant=true)]),
        p.stat('Warning or worse', 'Occurrences at level %s.' % std.join(', ', c.failureLevels), [p.target(o.failures, instant=true)], 'orange'),
        p.stat('Objects involved', 'Distinct involved objects (namespace, kind, name) with at least one occurrence.' + common.seriesLimitNote(['object', 'objects']), [p.target(o.objects, instant=true)], 'purple'),
      ]),
      layout.row(9, [
        p.bars('Occurrences by level', 'Occurrences per interval, stacked by level.', [p.target(o.byLevel, legend='{{%s}}' % c.labels.level)], p.levelOverrides(c)),
      ]),
      layout.row(8, [
        p.bars('Occurrences by reason', 'Occurrences per interval by Event reason.', [p.target(o.byReason, legend='{{%s}}' % c.metadata.reason)]),
        p.bars('Occurrences by namespace', 'Occurrences per interval by namespace (%s: cluster-scoped objects).' % c.clusterScopedNamespace, [p.target(o.byNamespace, legend='{{%s}}' % c.labels.namespace)]),
      ]),
      layout.row(8, [
        layout.width(p.bars('Occurrences by kind', "Occurrences per interval by the involved object's kind.", [p.target(o.byKind, legend='{{%s}}' % c.metadata.kind)]), 8),
        layout.width(p.barGauge('Top reasons', 'The %d reasons with most occurrences over the whole range.' % c.topN, [p.target(o.topReasons, legend='{{%s}}' % c.metadata.reason, instant=true)]), 8),
        layout.width(p.metricTable(
          'Top objects',
          'The %d involved objects with most occurrences over the whole range. Click a name for its history.' % c.topN + common.seriesLimitNote(['object', 'objects']),
          [p.target(o.topObjects, instant=true)],
          [[c.labels.namespace, 'namespace'], [c.metadata.kind, 'kind'], [c.metadata.name, 'name'], ['Value', 'occurrences']],
          links={ name: common.objectLinks(c) },
        ), 8),
      ]),
      layout.row(12, [
        p.logs('Warning and worse', 'Lines at level %s, newest first.' % std.join(', ', c.failureLevels), [p.target(o.failureLogs, maxLines=c.logsLimit)]),
      ]),
    ]),
    [d.lokiAnnotation('Rollouts', q.rolloutAnnotation, 'blue', '{{%s}}' % c.metadata.name, '')],
  )
