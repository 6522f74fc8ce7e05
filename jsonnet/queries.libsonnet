// Every LogQL expression of the mixin, apart from panel layout. `new(c)` takes the `_config`.
// Events are counted as occurrences: the exporter's per-line `delta` is summed, never lines.
// Filters on reason/kind/name/workload/node use structured metadata (no parser); only `delta`
// (and, for image names, `message`) is parsed from the JSON line.
// Building blocks are function-level locals: libjsonnet evaluates a local once, but an object
// field on every access.
{
  new(c)::
    local L = c.labels;
    local M = c.metadata;

    // ---- building blocks -------------------------------------------------------------------

    // A stream selector: the job, the extra matchers of the config, then `matchers`.
    local selector(matchers=[]) =
      '{' + std.join(', ', [c.jobSelector] + (if c.extraSelector == '' then [] else [c.extraSelector]) + matchers) + '}';
    local alternatives(values) = std.join('|', values);

    // Stream selector narrowed by the dashboard variables cluster, namespace and level.
    local dashSelector = selector([
      L.cluster + '=~"${cluster}"',
      L.namespace + '=~"${namespace}"',
      L.level + '=~"${level}"',
    ]);

    // Free-text search (case-insensitive line filter), then structured-metadata filters.
    local searchFilter = '|~ "(?i)${search}"';
    local kindFilter = '| ' + M.kind + '=~"${kind}"';
    local reasonFilter = '| ' + M.reason + '=~"${reason}"';
    local dashFilters = std.join(' ', [searchFilter, kindFilter, reasonFilter]);
    local failureFilter = '| ' + L.level + '=~"' + alternatives(c.failureLevels) + '"';

    // `sum_over_time` of the occurrences (`delta`) of the lines `sel pipeline` over `range`.
    // `parse` replaces the plain `| json delta` when more fields are needed (it must extract delta).
    local occurrences(sel, pipeline, range, parse='| json delta') =
      'sum_over_time(' + sel + (if pipeline == '' then '' else ' ' + pipeline)
      + ' ' + parse + ' | unwrap delta | __error__="" [' + range + '])';
    // Occurrences summed by `by` (a list of label names; [] sums everything).
    local occurrencesBy(by, sel, pipeline, range, parse='| json delta') =
      local inner = occurrences(sel, pipeline, range, parse);
      if std.length(by) == 0 then 'sum(' + inner + ')'
      else 'sum by (' + std.join(', ', by) + ') (' + inner + ')';
    local topk(n, expr) = 'topk(' + n + ', ' + expr + ')';
    local dash(by, pipeline, range, parse='| json delta') = occurrencesBy(by, dashSelector, pipeline, range, parse);

    // Object history: one involved object.
    local objectFilters = std.join(' ', [searchFilter, kindFilter, '| ' + M.name + '=~"${name}"', reasonFilter]);

    // Pod lifecycle: the level of a line as a number (info 0 … fatal 4), for state timelines.
    local levelRankStage =
      '| label_format level_rank=`' + std.join('', [
        '{{ if eq .' + L.level + ' "' + c.levels[i] + '" }}' + i + '{{ end }}'
        for i in std.range(0, std.length(c.levels) - 1)
      ]) + '`';
    local podFilters = std.join(' ', [searchFilter, '| ' + M.kind + '="Pod"', '| ' + M.name + '=~"${pod}"', reasonFilter]);

    // Node problems: node-level events are filed on the Node object (namespace `_cluster`),
    // whose name is the node.
    local nodeFilters(reasons) = std.join(' ', [
      searchFilter,
      kindFilter,
      '| ' + M.kind + '="Node"',
      '| ' + M.name + '=~"${node}"',
      '| ' + M.reason + '=~"' + alternatives(reasons) + '"',
      reasonFilter,
    ]);

    // Daily failures: warning or worse, per owning workload.
    local workloadFilters = std.join(' ', [dashFilters, '| ' + M.workload + '=~"${workload}"', '| ' + M.workload + '!=""', failureFilter]);

    // Rollouts and images.
    local rolloutFilters(reasonMatcher) = std.join(' ', [dashFilters, '| ' + M.workload + '=~"${workload}"', '| ' + M.reason + reasonMatcher]);
    // ScalingReplicaSet is filed on the Deployment itself: its name is the workload.
    local scalingFilters = std.join(' ', [dashFilters, '| ' + M.name + '=~"${workload}"', '| ' + M.reason + '="ScalingReplicaSet"']);
    // Image pull failures: `Failed` ("Failed to pull image …", "Error: ErrImagePull") and `BackOff`
    // ("Back-off pulling image …") lines that mention pulling.
    local pullFailureFilters = rolloutFilters('=~"Failed|BackOff"') + ' |~ "(?i)pull"';
    // Parses delta and the image named in a Pulled message ("Successfully pulled image \"x\" …",
    // "Container image \"x\" already present …") as label `image`.
    local imageParse = '| json delta, message | line_format "{{.message}}" | regexp `image "(?P<image>[^"]+)"`';

    // Alert rules: no dashboard variables, the whole job, grouped by cluster first.
    local alertOccurrences(by, pipeline, range) = occurrencesBy([L.cluster] + by, selector(), pipeline, range);
    local nodeReason(reason) = '| ' + M.kind + '="Node" | ' + M.reason + '="' + reason + '"';
    local notReady = alertOccurrences([M.name], nodeReason('NodeNotReady'), c.nodeNotReadyWindow);
    local ready = alertOccurrences([M.name], nodeReason('NodeReady'), c.nodeNotReadyWindow);
    local podReason(reason) = '| ' + M.kind + '="Pod" | ' + M.reason + '="' + reason + '"';

    {
      overview: {
        total: dash([], dashFilters, '$__range'),
        failures: dash([], dashFilters + ' ' + failureFilter, '$__range'),
        objects: 'count(' + dash([L.namespace, M.kind, M.name], dashFilters, '$__range') + ')',
        byLevel: dash([L.level], dashFilters, '$__auto'),
        byReason: dash([M.reason], dashFilters, '$__auto'),
        byNamespace: dash([L.namespace], dashFilters, '$__auto'),
        byKind: dash([M.kind], dashFilters, '$__auto'),
        topReasons: topk(c.topN, dash([M.reason], dashFilters, '$__range')),
        topObjects: topk(c.topN, dash([L.namespace, M.kind, M.name], dashFilters, '$__range')),
        failureLogs: std.join(' ', [dashSelector, dashFilters, failureFilter]),
      },

      object: {
        byReason: dash([M.reason], objectFilters, '$__auto'),
        byLevel: dash([L.level], objectFilters, '$__auto'),
        reasonsOverRange: dash([M.reason, L.level], objectFilters, '$__range'),
        logs: dashSelector + ' ' + objectFilters,
      },

      pod: {
        // Worst level per reason per interval.
        levelByReason:
          'max by (' + M.reason + ') (max_over_time(' + std.join(' ', [dashSelector, podFilters, levelRankStage])
          + ' | unwrap level_rank | __error__="" [$__auto]))',
        byReason: dash([M.reason], podFilters, '$__auto'),
        reasonsOverRange: dash([M.reason, L.level], podFilters, '$__range'),
        logs: dashSelector + ' ' + podFilters,
      },

      node: {
        problemsByNode: dash([M.name, M.reason], nodeFilters(c.nodeProblemReasons), '$__auto'),
        problemsByReason: dash([M.reason], nodeFilters(c.nodeProblemReasons), '$__auto'),
        topNodes: topk(c.topN, dash([M.name, M.reason], nodeFilters(c.nodeProblemReasons), '$__range')),
        readiness: dash([M.name, M.reason], nodeFilters(c.nodeReadinessReasons), '$__auto'),
        readinessOverRange: dash([M.name, M.reason], nodeFilters(c.nodeReadinessReasons), '$__range'),
        logs: dashSelector + ' ' + nodeFilters(c.nodeProblemReasons + c.nodeReadinessReasons),
      },

      daily: {
        perDay: dash([L.namespace, M.workload], workloadFilters, '1d'),
        overRange: topk(c.topN, dash([L.namespace, M.workload], workloadFilters, '$__range')),
        reasonsOverRange: dash([L.namespace, M.workload, M.reason], workloadFilters, '$__range'),
      },

      rollouts: {
        scaling: dash([L.namespace, M.name], scalingFilters, '$__auto'),
        podsCreated: dash([L.namespace, M.workload], rolloutFilters('="SuccessfulCreate"'), '$__auto'),
        pulls: dash([M.reason], rolloutFilters('=~"' + alternatives(c.imagePullReasons) + '"'), '$__auto'),
        pullFailures: dash([L.namespace, M.workload], pullFailureFilters, '$__auto'),
        imagesPulled: dash([L.namespace, M.workload, 'image'], rolloutFilters('="Pulled"'), '$__range', imageParse),
        scalingLogs: dashSelector + ' ' + scalingFilters,
        pullFailureLogs: dashSelector + ' ' + pullFailureFilters,
      },

      // Annotation: rollouts (ScalingReplicaSet) of the selected scope.
      rolloutAnnotation:
        selector([L.cluster + '=~"${cluster}"', L.namespace + '=~"${namespace}"']) + ' | ' + M.reason + '="ScalingReplicaSet"',

      alerts: {
        oomKills: alertOccurrences([L.namespace, M.kind, M.name], '| ' + M.reason + '=~"' + alternatives(c.oomReasons) + '"', c.oomWindow) + ' > 0',
        crashLoop: alertOccurrences(
          [L.namespace, M.workload],
          '|= "' + c.crashLoopMessage + '" | ' + M.reason + '="BackOff"',
          c.crashLoopWindow,
        ) + ' > ' + c.crashLoopThreshold,
        // Pods with FailedScheduling in the window and no Scheduled in it.
        unschedulable:
          '(' + alertOccurrences([L.namespace, M.name], podReason('FailedScheduling'), c.unschedulableWindow) + ' > 0) unless '
          + alertOccurrences([L.namespace, M.name], podReason('Scheduled'), c.unschedulableWindow),
        nodeProblem: alertOccurrences(
          [M.name, M.reason],
          '| ' + M.kind + '="Node" | ' + M.reason + '=~"' + alternatives(c.alertNodeProblemReasons) + '"',
          c.nodeProblemWindow,
        ) + ' > 0',
        // More NodeNotReady than NodeReady transitions in the window: the node is (still) not ready.
        nodeNotReady: '(' + notReady + ' > ' + ready + ') or (' + notReady + ' unless ' + ready + ')',
        silence:
          if std.length(c.silenceClusters) == 0 then 'absent_over_time(' + selector() + '[' + c.silenceWindow + '])'
          else std.join(' or ', [
            'absent_over_time(' + selector([L.cluster + '="' + cluster + '"']) + '[' + c.silenceWindow + '])'
            for cluster in c.silenceClusters
          ]),
      },

      variables: {
        cluster: selector(),
        namespace: selector([L.cluster + '=~"${cluster}"']),
      },
    },
}
