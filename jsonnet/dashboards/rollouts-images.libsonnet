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
    'Deployment scaling (ScalingReplicaSet), pods created (SuccessfulCreate), image pulls (Pulling, Pulled) and failed pulls, per workload.',
    common.variables(
      c,
      q,
      extra=[v.textbox('workload', '.*', title='Workload (regex)', description='Owning workload name; for ScalingReplicaSet the Deployment name')],
    ),
    layout.grid([
      layout.row(8, [
        p.bars('Scaling by deployment', 'ScalingReplicaSet occurrences per interval: each is one scale-up or scale-down of a ReplicaSet during a rollout.', [p.target(o.scaling, legend='{{%s}}/{{%s}}' % [c.labels.namespace, c.metadata.name])]),
        p.bars('Pods created by workload', 'SuccessfulCreate occurrences per interval by owning workload.', [p.target(o.podsCreated, legend='{{%s}}/{{%s}}' % [c.labels.namespace, c.metadata.workload])]),
      ]),
      layout.row(8, [
        p.bars('Image pulls', 'Pulling (started) and Pulled (image ready) occurrences per interval.', [p.target(o.pulls, legend='{{%s}}' % c.metadata.reason)]),
        p.bars('Failed image pulls by workload', 'Failed and BackOff occurrences that mention pulling (ErrImagePull, ImagePullBackOff), per workload.', [p.target(o.pullFailures, legend='{{%s}}/{{%s}}' % [c.labels.namespace, c.metadata.workload])], [p.colorOverride('Value', c.levelColors.warning)]),
      ]),
      layout.row(10, [
        layout.width(p.metricTable(
          'Images pulled',
          'Pulled occurrences per workload and image over the whole range (the image is read from the message).',
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
