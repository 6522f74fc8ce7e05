// Rollouts and images: scaling, pod creation, image pulls and pull failures per workload.
local d = import '../lib/dashboard.libsonnet';
local layout = import '../lib/layout.libsonnet';
local p = import '../lib/panels.libsonnet';
local v = import '../lib/variables.libsonnet';
local common = import 'common.libsonnet';

function(c, q)
  local o = q.rollouts;
  d.new(
    c,
    'rollouts-images',
    'kube-eventline / Rollouts and images',
    'Deployment scaling (ScalingReplicaSet), pods created (SuccessfulCreate), image pulls (Pulling, Pulled) and failed pulls, per workload of the selected namespaces.',
    common.variables(
      c,
      q,
      extra=[v.textbox('workload', '', title='Workload', description='Exact owning workload name; for ScalingReplicaSet the Deployment name; empty for every workload')],
      namespace='some',
      namespacedOnly=true,
    ),
    layout.grid([
      layout.row(8, [
        p.bars('Scaling by deployment', 'ScalingReplicaSet occurrences per interval: each is one scale-up or scale-down of a ReplicaSet during a rollout.' + common.seriesLimitNote(['Deployment', 'Deployments']), [p.target(o.scaling, legend='{{%s}}/{{%s}}' % [c.labels.namespace, c.metadata.name])]),
        p.bars('Pods created by workload', 'SuccessfulCreate occurrences per interval by owning workload.' + common.seriesLimitNote(['workload', 'workloads']), [p.target(o.podsCreated, legend='{{%s}}/{{%s}}' % [c.labels.namespace, c.metadata.workload])]),
      ]),
      layout.row(8, [
        p.bars('Image pulls', 'Pulling (started) and Pulled (image ready) occurrences per interval.', [p.target(o.pulls, legend='{{%s}}' % c.metadata.reason)]),
        p.bars('Failed image pulls by workload', 'Image pull failures per workload: reasons %s, and Failed or BackOff only with a message about pulling (a BackOff of a crashing container is not a pull failure, whatever the workload is called).' % std.join(', ', c.imagePullFailureReasons), [p.target(o.pullFailures, legend='{{%s}}/{{%s}}' % [c.labels.namespace, c.metadata.workload])], [p.colorOverride('Value', c.levelColors.warning)]),
      ]),
      layout.row(10, [
        layout.width(p.metricTable(
          'Images pulled',
          'Pulled occurrences per workload and image over the whole range (the image is read from the message).' + common.seriesLimitNote(['(workload, image) pair', '(workload, image) pairs']),
          [p.target(o.imagesPulled, instant=true)],
          [[c.labels.namespace, 'namespace'], [c.metadata.workload, 'workload'], ['image', 'image'], ['Value', 'pulled']],
        ), 12),
        layout.width(p.logs('Rollout lines', 'ScalingReplicaSet lines (“Scaled up replica set … to N”), newest first.', [p.target(o.scalingLogs, maxLines=c.logsLimit)]), 12),
      ]),
      layout.row(10, [
        p.logs('Failed pull lines', 'Image pull failures, newest first.', [p.target(o.pullFailureLogs, maxLines=c.logsLimit)]),
      ]),
    ]),
    [d.lokiAnnotation('Rollouts', q.rolloutAnnotation, 'blue', '{{%s}}' % c.metadata.name, '')],
  )
