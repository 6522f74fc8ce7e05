// Configuration of the kube-eventline mixin. Override any field with
//   (import 'mixin.libsonnet') + { _config+:: { failureLevels: ['error', 'fatal'] } }
// Stream labels and structured metadata keys come from loki-streams.json, the one
// definition shared with the Fluent Bit config: never restate them here.
local streams = import 'loki-streams.json';

// The Loki name (key) under which loki-streams.json stores the line field `field`.
local keyFor(map, field) =
  local keys = [k for k in std.objectFields(map) if map[k] == field];
  if std.length(keys) == 1 then keys[0]
  else error 'loki-streams.json: expected exactly one key for line field %s, found %s' % [field, keys];

{
  _config+:: {
    streams:: streams,

    // Stream selector parts. `job` is the only fixed matcher; everything else is a variable.
    job: streams.job,
    jobSelector: 'job="%s"' % self.job,
    // Extra stream matchers appended to every selector (e.g. 'env="prod"'), empty for none.
    extraSelector: '',

    // Label names (stream labels) and structured metadata keys, by role. Each role is found in
    // loki-streams.json by the line field it is taken from, so renaming a label there renames it here.
    labels: {
      cluster: keyFor(streams.labels, 'clusterName'),
      namespace: keyFor(streams.labels, 'namespace'),
      level: keyFor(streams.labels, 'level'),
    },
    metadata: {
      reason: keyFor(streams.structuredMetadata, 'reason'),
      kind: keyFor(streams.structuredMetadata, 'involvedObject.kind'),
      name: keyFor(streams.structuredMetadata, 'involvedObject.name'),
      workload: keyFor(streams.structuredMetadata, 'involvedObject.workload.name'),
      node: keyFor(streams.structuredMetadata, 'source.host'),
    },
    clusterScopedNamespace: streams.clusterScopedNamespace,

    // Severity levels, lowest first, and the colour each is drawn in.
    levels: ['info', 'normal', 'warning', 'error', 'fatal'],
    levelColors: {
      info: 'text',
      normal: 'green',
      warning: 'orange',
      'error': 'red',
      fatal: 'dark-red',
    },
    // "Warning or worse".
    failureLevels: ['warning', 'error', 'fatal'],

    // Grafana.
    datasourceName: 'datasource',
    dashboardTags: ['kube-eventline'],
    dashboardUidPrefix: 'kube-eventline-',
    dashboardTimezone: 'utc',
    // The UTC offset (±HH:MM) of dashboardTimezone, which Daily failures needs to cut days at local
    // midnight: Loki evaluates a 1d step at UTC midnights and LogQL cannot read the dashboard's zone,
    // so each day's window is moved with `offset`. Set both together ('Asia/Kolkata' and '+05:30');
    // in a zone with daylight saving time, days are cut an hour off for half of the year.
    dashboardUtcOffset: '+00:00',
    dashboardRefresh: '1m',
    defaultTimeFrom: 'now-6h',
    defaultTimeTo: 'now',
    topN: 10,
    logsLimit: 1000,
    // The label a label_format stage sets on lines that pass the dashboard's text boxes (search,
    // reason, name, …); any name that is not a stream label or structured metadata key.
    textBoxLabel: 'eventline_match',
    // Values offered by the `kind` variable (structured metadata has no label-values API).
    kinds: [
      'Pod',
      'Node',
      'Deployment',
      'ReplicaSet',
      'StatefulSet',
      'DaemonSet',
      'Job',
      'CronJob',
      'PersistentVolumeClaim',
      'PersistentVolume',
      'Service',
      'Endpoints',
      'Ingress',
      'HorizontalPodAutoscaler',
      'PodDisruptionBudget',
      'Namespace',
      'ConfigMap',
      'Secret',
    ],

    // Node Problem Detector reasons shown on the node problems dashboard (all in src/grade/default-levels.ts).
    nodeProblemReasons: [
      'OOMKilling',
      'SystemOOM',
      'TaskHung',
      'KernelOops',
      'KernelDeadlock',
      'DockerHung',
      'ContainerdUnhealthy',
      'UnregisterNetDevice',
      'Ext4Error',
      'Ext4Warning',
      'IOError',
      'MemoryReadError',
      'FilesystemIsReadOnly',
      'ConntrackFull',
      'DNSResolutionFailed',
      'ClockNotSynchronized',
      'Rebooted',
      'ContainerdHung',
      'ContainerRuntimePanic',
      'ContainerRuntimeNoSpace',
      'CorruptDockerImage',
      'XfsHasShutdown',
    ],
    nodeReadinessReasons: ['NodeNotReady', 'NodeReady'],
    imagePullReasons: ['Pulling', 'Pulled'],
    // Failed image pulls: reasons that are pull failures whatever the message, and reason → message
    // prefixes for the kubelet's generic `Failed` and `BackOff` (which also mean a crashing container).
    imagePullFailureReasons: ['ErrImagePull', 'ImagePullBackOff', 'ErrImageNeverPull', 'InspectFailed'],
    imagePullFailureMessages: {
      Failed: ['Failed to pull image', 'Error: ErrImagePull', 'Error: ImagePullBackOff'],
      BackOff: ['Back-off pulling image'],
    },

    // Container failures (issue #14): the exporter's own lines about Pod status, told from Kubernetes
    // Events by their `source.component`. Their structured facts are read from the line at query time,
    // never made labels: each entry is the label a query names (key) and the line field it is parsed
    // from (value).
    podFailureComponent: 'kube-eventline',
    containerFields: {
      component: 'source.component',
      container: 'container.name',
      exitCode: 'container.exitCode',
    },
    // The reason of a container killed for exceeding its memory limit (its terminated reason).
    containerOomReason: 'OOMKilled',
    // How many pod failure lines the "Latest container failures" tables show.
    containerFailureLines: 200,

    // Alerts: which reasons, thresholds, windows and `for` durations.
    runbookUrlBase: 'https://github.com/kube-eventline/kube-eventline/blob/main/docs/runbook.md',
    oomReasons: ['OOMKilling', 'SystemOOM'],
    oomWindow: '10m',
    crashLoopMessage: 'Back-off restarting failed container',
    crashLoopWindow: '15m',
    crashLoopThreshold: 10,
    unschedulableWindow: '35m',
    // Repeated OOMKilled containers of one workload: at least this many in the window.
    containerOomWindow: '1h',
    containerOomThreshold: 3,
    // Every node reason graded fatal by default (SystemOOM pages through the OOM alert), and ConntrackFull.
    alertNodeProblemReasons: [
      'ConntrackFull',
      'KernelOops',
      'TaskHung',
      'DockerHung',
      'ContainerdHung',
      'ContainerdUnhealthy',
      'XfsHasShutdown',
      'FilesystemIsReadOnly',
    ],
    nodeProblemWindow: '10m',
    // NodeNotReady holds while the node's last NodeNotReady is later than its last NodeReady (or a
    // removal), looking back this far: Kubernetes writes NodeNotReady once, not while the node stays so.
    nodeNotReadyLookback: '24h',
    nodeNotReadyEndReasons: ['NodeReady', 'RemovingNode', 'DeletingNode'],
    silenceWindow: '15m',
    // Clusters whose event stream must never go silent. Empty: alert when the whole job is silent.
    silenceClusters: [],
    alertFor: {
      oomKill: '1m',
      containerOom: '1m',
      crashLoop: '5m',
      unschedulable: '15m',
      nodeProblem: '1m',
      nodeNotReady: '2m',
      silence: '10m',
    },
    alertSeverity: {
      oomKill: 'warning',
      containerOom: 'warning',
      crashLoop: 'warning',
      unschedulable: 'warning',
      nodeProblem: 'critical',
      nodeNotReady: 'critical',
      silence: 'critical',
    },
  },
}
