// Every LogQL expression of the mixin, apart from panel layout. `new(c)` takes the `_config`.
// Events are counted as occurrences: the exporter's per-line `delta` is summed, never lines.
// Filters on reason/kind/name/workload/node use structured metadata (no parser); only `delta`
// (and, for image names and pull failures, `message`; for container failures, the fields of
// `_config.containerFields`) is parsed from the JSON line.
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
    // A regular expression that matches any of the literal `values` (which hold no metacharacter).
    local anyOf(values) = '=~"' + alternatives(values) + '"';

    local clusterMatcher = L.cluster + '=~"${cluster}"';
    local levelMatcher = L.level + '=~"${level}"';
    // Stream selector narrowed by the dashboard variables cluster, namespace and level.
    local dashSelector = selector([clusterMatcher, L.namespace + '=~"${namespace}"', levelMatcher]);
    // The same for every namespace: panels that compare namespaces ignore the namespace variable.
    local allNamespacesSelector = selector([clusterMatcher, levelMatcher]);

    // Text boxes. Grafana escapes only `'` in a text box for Loki, so a `"`, a backtick or a
    // backslash typed in one would end or break any LogQL string it is put in. Each box is therefore
    // sent percent-encoded (`${box:percentencode}`: nothing but [A-Za-z0-9%._~-]) and decoded by Loki
    // (`urldecode`) inside a label_format template that compares it, as a literal, with the line or
    // a label. Lines that pass every box get the label c.textBoxLabel="1"; the rest are dropped.
    local decoded(box) = '(urldecode "${%s:percentencode}")' % box;
    // The line contains the text, ignoring case; an empty box matches every line without lowering it.
    local searchCondition = 'or (eq "${search:percentencode}" "") (contains (lower %s) (lower __line__))' % decoded('search');
    // The label equals the text, or the box is empty.
    local equalsOrEmpty(label, box) = 'or (eq "${%s:percentencode}" "") (eq .%s %s)' % [box, label, decoded(box)];
    // The label equals the text; an empty box matches nothing.
    local equalsRequired(label, box) = 'and (ne .%s "") (eq .%s %s)' % [label, label, decoded(box)];
    // Cheap label comparisons first: `and` stops at the first false condition.
    local textBoxes(conditions) =
      '| label_format ' + c.textBoxLabel + '=`{{ if and ' + std.join(' ', ['(' + x + ')' for x in conditions]) + ' }}1{{ end }}` | '
      + c.textBoxLabel + '="1"';
    // Log queries drop the helper label (and any label they parsed) again, so that it never shows
    // among a line's labels.
    local logQuery(sel, pipeline, parsed=[]) = sel + ' ' + pipeline + ' | drop ' + std.join(', ', [c.textBoxLabel] + parsed);

    local kindFilter = '| ' + M.kind + '=~"${kind}"';
    // The dashboard's filters: kind (unless the dashboard is about one kind), then the text boxes
    // reason, `boxes` (extra conditions) and search.
    local dashFilters(boxes=[], kind=true, fixed=[]) = std.join(' ', fixed + (if kind then [kindFilter] else []) + [
      textBoxes([equalsOrEmpty(M.reason, 'reason')] + boxes + [searchCondition]),
    ]);
    local failureFilter = '| ' + L.level + anyOf(c.failureLevels);

    // `sum_over_time` of the occurrences (`delta`) of the lines `sel pipeline` over `range`.
    // `parse` replaces the plain `| json delta` when more fields are needed (it must extract delta).
    // With `offset`, the range comes right after the selector (`{…} [1d] offset -5h | …`), a form
    // both Loki and Grafana's query editor read.
    local occurrences(sel, pipeline, range, parse='| json delta', offset=null) =
      local tail = ' ' + parse + ' | unwrap delta | __error__=""';
      local stages = (if pipeline == '' then '' else ' ' + pipeline) + tail;
      if offset == null then 'sum_over_time(' + sel + stages + ' [' + range + '])'
      else 'sum_over_time(' + sel + ' [' + range + '] offset ' + offset + stages + ')';
    // Occurrences summed by `by` (a list of label names; [] sums everything).
    local occurrencesBy(by, sel, pipeline, range, parse='| json delta', offset=null) =
      local inner = occurrences(sel, pipeline, range, parse, offset);
      if std.length(by) == 0 then 'sum(' + inner + ')'
      else 'sum by (' + std.join(', ', by) + ') (' + inner + ')';
    local topk(n, expr) = 'topk(' + n + ', ' + expr + ')';
    local dash(by, pipeline, range, parse='| json delta') = occurrencesBy(by, dashSelector, pipeline, range, parse);

    // Container failures: the exporter's own lines about a Pod's containers (`container` in
    // docs/event-line.md), told from Kubernetes Events by `source.component`, which is parsed (it is
    // no label); `kind="Pod"` (structured metadata) comes first so that only Pod lines are parsed.
    // `fields` are more keys of c.containerFields to parse, as labels of those names.
    local F = c.containerFields;
    local containerFieldsParse(fields) = std.join(', ', ['%s="%s"' % [k, F[k]] for k in ['component'] + fields]);
    local componentFilter = '| component="' + c.podFailureComponent + '"';
    local containerParse(fields=[]) = '| json delta, ' + containerFieldsParse(fields) + ' ' + componentFilter;
    local containerLogParse = '| json ' + containerFieldsParse([]) + ' ' + componentFilter;
    // The exit code, where the line has one (a waiting container, e.g. CrashLoopBackOff, has none).
    local exitCodeParse = containerParse(['exitCode']) + ' | exitCode!=""';

    // Object history: one involved object, which must be chosen (an empty name shows nothing).
    local objectFilters = dashFilters([equalsRequired(M.name, 'name')]);
    // The objects of the selected namespace and kind, to pick one from.
    local objectListFilters = dashFilters();

    // Pod lifecycle: the level of a line as a number (info 0 … fatal 4), for state timelines.
    local levelRankStage =
      '| label_format level_rank=`' + std.join('', [
        '{{ if eq .' + L.level + ' "' + c.levels[i] + '" }}' + i + '{{ end }}'
        for i in std.range(0, std.length(c.levels) - 1)
      ]) + '`';
    local podKind = '| ' + M.kind + '="Pod"';
    local podFilters = dashFilters([equalsRequired(M.name, 'pod')], kind=false, fixed=[podKind]);
    local podListFilters = dashFilters(kind=false, fixed=[podKind]);

    // Node problems: node-level events are filed on the Node object (namespace `_cluster`),
    // whose name is the node.
    local nodeFilters(reasons) = dashFilters(
      [equalsOrEmpty(M.name, 'node')],
      fixed=['| ' + M.kind + '="Node"', '| ' + M.reason + anyOf(reasons)],
    );

    // Daily failures: warning or worse, per owning workload, per day of the dashboard's time zone.
    // Loki evaluates a 1d step at UTC midnights (it aligns a range query's start and end to the step,
    // and so does Grafana's query splitting). A point at UTC midnight T with `[1d] offset o` counts
    // (T - o - 1d, T - o]; with o = a - 1d, where a is the local time of day at T, that is exactly
    // the local day that T falls on, so each bar sits on the day it counts.
    local utcOffsetMinutes =
      local s = c.dashboardUtcOffset;
      assert std.isString(s) && std.length(s) == 6 && (s[0] == '+' || s[0] == '-') && s[3] == ':'
             : 'dashboardUtcOffset must look like +05:30 or -07:00, got %s' % [s];
      local m = std.parseInt(std.substr(s, 1, 2)) * 60 + std.parseInt(std.substr(s, 4, 2));
      assert m <= 14 * 60 : 'dashboardUtcOffset %s is more than 14 hours away from UTC' % s;
      if s[0] == '-' then -m else m;
    assert c.dashboardTimezone != 'utc' || utcOffsetMinutes == 0 : 'dashboardTimezone utc needs dashboardUtcOffset +00:00';
    local localMinuteOfUtcMidnight = ((utcOffsetMinutes % 1440) + 1440) % 1440;
    local dayOffset = '%dm' % (localMinuteOfUtcMidnight - 1440);
    // Warning or worse with an owning workload: the daily dashboard's and the digest's filter.
    local failingWorkloadFilters = [failureFilter, '| ' + M.workload + '!=""'];
    local workloadFilters = dashFilters([equalsOrEmpty(M.workload, 'workload')], fixed=failingWorkloadFilters);
    local perDay(by, sel) = occurrencesBy(by, sel, workloadFilters, '1d', offset=dayOffset);
    // Container failures of the workloads (also warning or worse, like the rest of the dashboard).
    local containerWorkloadFilters(fixed=[]) = dashFilters(
      [equalsOrEmpty(M.workload, 'workload')],
      fixed=[failureFilter, '| ' + M.workload + '!=""', podKind] + fixed,
    );
    local containersPerDay(fixed=[]) =
      occurrencesBy([L.namespace, M.workload], dashSelector, containerWorkloadFilters(fixed), '1d', containerParse(), dayOffset);

    // The daily digest (`kube-eventline digest`, src/digest/): the daily failures dashboard's
    // selector and filters without its text boxes, over one range `${range}` that ends at the
    // query's time. `${cluster}` and `${namespace}` are regular expressions filled in as Grafana
    // fills the dashboard's variables; `${limit}` is the length of a top list. Each grouped list
    // comes with its `count` so the digest can say when a list was cut.
    local digestSelector = selector([clusterMatcher, L.namespace + '=~"${namespace}"']);
    local digestFailures(by, filters=[failureFilter], offset=null) =
      occurrencesBy(by, digestSelector, std.join(' ', filters), '${range}', offset=offset);
    local digestList(by, filters=[failureFilter]) = {
      top: topk('${limit}', digestFailures(by, filters)),
      count: 'count(' + digestFailures(by, filters) + ')',
    };
    // (reason, kind) pairs with failures in the range and none in the range before it.
    local newKinds = digestFailures([M.reason, M.kind]) + ' unless ' + digestFailures([M.reason, M.kind], offset='${range}');

    // Rollouts and images.
    local rolloutFilters(reasonMatcher) = dashFilters([equalsOrEmpty(M.workload, 'workload')], fixed=['| ' + M.reason + reasonMatcher]);
    // ScalingReplicaSet is filed on the Deployment itself: its name is the workload.
    local scalingFilters = dashFilters([equalsOrEmpty(M.name, 'workload')], fixed=['| ' + M.reason + '="ScalingReplicaSet"']);
    // Image pull failures, told by reason: the pull-failure reasons, and `Failed` or `BackOff` only
    // with a message about pulling (a `BackOff` is also a crash-looping container, whatever its name).
    // The prefixes hold no regex metacharacter.
    local messagePrefixes(prefixes) = '"(' + alternatives(prefixes) + ').*"';
    local pullFailureCondition = std.join(' or ', [M.reason + anyOf(c.imagePullFailureReasons)] + [
      '(' + M.reason + '="' + r + '" and message=~' + messagePrefixes(c.imagePullFailureMessages[r]) + ')'
      for r in std.objectFields(c.imagePullFailureMessages)
    ]);
    local pullFailureReasons = c.imagePullFailureReasons + std.objectFields(c.imagePullFailureMessages);
    local pullFailureParse = '| json delta, message | ' + pullFailureCondition;
    local pullFailureFilters = rolloutFilters(anyOf(pullFailureReasons));
    // Parses delta and the image named in a Pulled message ("Successfully pulled image \"x\" …",
    // "Container image \"x\" already present …") as label `image`.
    local imageParse = '| json delta, message | line_format "{{.message}}" | regexp `image "(?P<image>[^"]+)"`';

    // Alert rules: no dashboard variables, the whole job, grouped by cluster first.
    local alertOccurrences(by, pipeline, range, parse='| json delta') = occurrencesBy([L.cluster] + by, selector(), pipeline, range, parse);
    local podReason(reason) = '| ' + M.kind + '="Pod" | ' + M.reason + '="' + reason + '"';
    // The time (Unix seconds, millisecond precision) of a node's last line with one of `reasons`,
    // looking back nodeNotReadyLookback.
    local lastNodeEvent(reasons) =
      'max by (' + L.cluster + ', ' + M.name + ') (max_over_time('
      + selector([L.namespace + '="' + c.clusterScopedNamespace + '"'])
      + ' | ' + M.kind + '="Node" | ' + M.reason + (if std.length(reasons) == 1 then '="' + reasons[0] + '"' else anyOf(reasons))
      + ' | label_format event_ms=`{{ __timestamp__ | unixEpochMillis }}` | unwrap event_ms | __error__="" ['
      + c.nodeNotReadyLookback + ']))';
    local lastNotReady = lastNodeEvent(['NodeNotReady']);
    local lastEnd = lastNodeEvent(c.nodeNotReadyEndReasons);

    {
      overview: {
        total: dash([], dashFilters(), '$__range'),
        failures: dash([], dashFilters(fixed=[failureFilter]), '$__range'),
        objects: 'count(' + dash([L.namespace, M.kind, M.name], dashFilters(), '$__range') + ')',
        byLevel: dash([L.level], dashFilters(), '$__auto'),
        byReason: dash([M.reason], dashFilters(), '$__auto'),
        byNamespace: dash([L.namespace], dashFilters(), '$__auto'),
        byKind: dash([M.kind], dashFilters(), '$__auto'),
        topReasons: topk(c.topN, dash([M.reason], dashFilters(), '$__range')),
        topObjects: topk(c.topN, dash([L.namespace, M.kind, M.name], dashFilters(), '$__range')),
        failureLogs: logQuery(dashSelector, dashFilters(fixed=[failureFilter])),
      },

      object: {
        objects: dash([L.namespace, M.kind, M.name], objectListFilters, '$__range'),
        byReason: dash([M.reason], objectFilters, '$__auto'),
        byLevel: dash([L.level], objectFilters, '$__auto'),
        reasonsOverRange: dash([M.reason, L.level], objectFilters, '$__range'),
        logs: logQuery(dashSelector, objectFilters),
      },

      pod: {
        pods: dash([L.namespace, M.name], podListFilters, '$__range'),
        // Worst level per reason per interval.
        levelByReason:
          'max by (' + M.reason + ') (max_over_time(' + std.join(' ', [dashSelector, podFilters, levelRankStage])
          + ' | unwrap level_rank | __error__="" [$__auto]))',
        byReason: dash([M.reason], podFilters, '$__auto'),
        reasonsOverRange: dash([M.reason, L.level], podFilters, '$__range'),
        logs: logQuery(dashSelector, podFilters),
        // Restarts of this pod's containers per container, reason and exit code.
        containerFailures: dash(['container', M.reason, 'exitCode'], podFilters, '$__range', containerParse(['container', 'exitCode'])),
        containerFailureLines: logQuery(dashSelector, podFilters + ' ' + containerLogParse, ['component']),
      },

      node: {
        // By node only: (node, reason) pairs grow with the reasons; the reasons have their own panel.
        problemsByNode: dash([M.name], nodeFilters(c.nodeProblemReasons), '$__auto'),
        problemsByReason: dash([M.reason], nodeFilters(c.nodeProblemReasons), '$__auto'),
        topNodes: topk(c.topN, dash([M.name, M.reason], nodeFilters(c.nodeProblemReasons), '$__range')),
        readiness: dash([M.name, M.reason], nodeFilters(c.nodeReadinessReasons), '$__auto'),
        readinessOverRange: dash([M.name, M.reason], nodeFilters(c.nodeReadinessReasons), '$__range'),
        logs: logQuery(dashSelector, nodeFilters(c.nodeProblemReasons + c.nodeReadinessReasons)),
      },

      daily: {
        perNamespaceDay: perDay([L.namespace], allNamespacesSelector),
        perDay: perDay([L.namespace, M.workload], dashSelector),
        overRange: topk(c.topN, dash([L.namespace, M.workload], workloadFilters, '$__range')),
        reasonsOverRange: dash([L.namespace, M.workload, M.reason], workloadFilters, '$__range'),
        containersPerDay: containersPerDay(),
        oomKilledPerDay: containersPerDay(['| ' + M.reason + '="' + c.containerOomReason + '"']),
        exitCodes: topk(c.topN, dash([L.namespace, M.workload, M.reason, 'exitCode'], containerWorkloadFilters(), '$__range', exitCodeParse)),
        containerFailureLines: logQuery(dashSelector, containerWorkloadFilters() + ' ' + containerLogParse, ['component']),
        // Where each day's bar sits within its day (minutes after local midnight), for bar alignment.
        barMinuteOfDay: localMinuteOfUtcMidnight,
      },

      digest: {
        total: digestFailures([]),
        namespaces: digestFailures([L.namespace]),
        workloads: digestList([L.namespace, M.workload], failingWorkloadFilters),
        reasons: digestList([M.reason]),
        objects: digestList([L.namespace, M.kind, M.name]),
        newKinds: { top: topk('${limit}', newKinds), count: 'count(' + newKinds + ')' },
      },

      rollouts: {
        scaling: dash([L.namespace, M.name], scalingFilters, '$__auto'),
        podsCreated: dash([L.namespace, M.workload], rolloutFilters('="SuccessfulCreate"'), '$__auto'),
        pulls: dash([M.reason], rolloutFilters(anyOf(c.imagePullReasons)), '$__auto'),
        pullFailures: dash([L.namespace, M.workload], pullFailureFilters, '$__auto', pullFailureParse),
        imagesPulled: dash([L.namespace, M.workload, 'image'], rolloutFilters('="Pulled"'), '$__range', imageParse),
        scalingLogs: logQuery(dashSelector, scalingFilters),
        pullFailureLogs: logQuery(dashSelector, pullFailureFilters + ' ' + pullFailureParse),
      },

      // Annotation: rollouts (ScalingReplicaSet) of the selected scope.
      rolloutAnnotation:
        selector([clusterMatcher, L.namespace + '=~"${namespace}"']) + ' | ' + M.reason + '="ScalingReplicaSet"',

      alerts: {
        oomKills: alertOccurrences([L.namespace, M.kind, M.name], '| ' + M.reason + anyOf(c.oomReasons), c.oomWindow) + ' > 0',
        crashLoop: alertOccurrences(
          [L.namespace, M.workload],
          '|= "' + c.crashLoopMessage + '" | ' + M.reason + '="BackOff"',
          c.crashLoopWindow,
        ) + ' > ' + c.crashLoopThreshold,
        // Containers of a workload killed for their memory limit, again and again.
        containerOom: alertOccurrences(
          [L.namespace, M.workload],
          podReason(c.containerOomReason),
          c.containerOomWindow,
          containerParse(),
        ) + ' >= ' + c.containerOomThreshold,
        // Pods with FailedScheduling in the window and no Scheduled in it.
        unschedulable:
          '(' + alertOccurrences([L.namespace, M.name], podReason('FailedScheduling'), c.unschedulableWindow) + ' > 0) unless '
          + alertOccurrences([L.namespace, M.name], podReason('Scheduled'), c.unschedulableWindow),
        nodeProblem: alertOccurrences(
          [M.name, M.reason],
          '| ' + M.kind + '="Node" | ' + M.reason + anyOf(c.alertNodeProblemReasons),
          c.nodeProblemWindow,
        ) + ' > 0',
        // The node's last NodeNotReady is later than its last NodeReady (or removal), or it has no
        // NodeReady at all: it is still not ready. The value is the time of that NodeNotReady.
        nodeNotReady: '((' + lastNotReady + ' > ' + lastEnd + ') or (' + lastNotReady + ' unless ' + lastEnd + ')) / 1000',
        silence:
          if std.length(c.silenceClusters) == 0 then 'absent_over_time(' + selector() + '[' + c.silenceWindow + '])'
          else std.join(' or ', [
            'absent_over_time(' + selector([L.cluster + '="' + cluster + '"']) + '[' + c.silenceWindow + '])'
            for cluster in c.silenceClusters
          ]),
      },

      variables: {
        cluster: selector(),
        namespace: selector([clusterMatcher]),
      },
    },
}
