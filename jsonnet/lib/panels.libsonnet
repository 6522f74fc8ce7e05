// Small constructors for Grafana panels, targets and field config. Our own, deliberately minimal:
// every panel reads the Loki data source through the `${datasource}` variable.
{
  datasource:: { type: 'loki', uid: '${datasource}' },

  // A Loki query. `instant` queries evaluate once at the end of the range (for rankings over
  // [$__range]); range queries draw one point per step.
  target(expr, refId='A', legend='', instant=false, maxLines=null, step=null)::
    {
      datasource: $.datasource,
      editorMode: 'code',
      expr: expr,
      refId: refId,
      queryType: if instant then 'instant' else 'range',
      instant: instant,
      range: !instant,
    }
    + (if legend != '' then { legendFormat: legend } else {})
    + (if maxLines != null then { maxLines: maxLines } else {})
    + (if step != null then { step: step } else {}),

  // Fixed colour for the series (or field) named `name`.
  colorOverride(name, color):: {
    matcher: { id: 'byName', options: name },
    properties: [{ id: 'color', value: { mode: 'fixed', fixedColor: color } }],
  },
  levelOverrides(c):: [$.colorOverride(l, c.levelColors[l]) for l in c.levels],

  // Value mappings 0..n-1 → level name, coloured like the level (state timelines).
  levelMappings(c):: [{
    type: 'value',
    options: {
      [std.toString(i)]: { text: c.levels[i], color: c.levelColors[c.levels[i]], index: i }
      for i in std.range(0, std.length(c.levels) - 1)
    },
  }],

  base(type, title, description, targets):: {
    type: type,
    title: title,
    description: description,
    datasource: $.datasource,
    targets: targets,
    fieldConfig: { defaults: {}, overrides: [] },
    options: {},
  },

  // Occurrences per interval, drawn as stacked bars. `barAlignment`: -1 the bar ends at its point,
  // 0 centred on it, 1 starts at it.
  bars(title, description, targets, overrides=[], interval=null, barAlignment=0):: $.base('timeseries', title, description, targets) {
    fieldConfig: {
      defaults: {
        unit: 'short',
        decimals: 0,
        min: 0,
        color: { mode: 'palette-classic' },
        custom: {
          drawStyle: 'bars',
          fillOpacity: 80,
          lineWidth: 1,
          barAlignment: barAlignment,
          showPoints: 'never',
          stacking: { mode: 'normal', group: 'A' },
        },
      },
      overrides: overrides,
    },
    options: {
      legend: { showLegend: true, displayMode: 'table', placement: 'right', calcs: ['sum'], sortBy: 'Total', sortDesc: true },
      tooltip: { mode: 'multi', sort: 'desc' },
    },
  } + (if interval != null then { interval: interval } else {}),

  stat(title, description, targets, color='blue'):: $.base('stat', title, description, targets) {
    fieldConfig: {
      defaults: {
        unit: 'short',
        decimals: 0,
        color: { mode: 'fixed', fixedColor: color },
      },
      overrides: [],
    },
    options: {
      reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
      colorMode: 'value',
      graphMode: 'none',
      textMode: 'value',
      justifyMode: 'auto',
      orientation: 'auto',
    },
  },

  // Ranking of an instant query, one bar per series.
  barGauge(title, description, targets):: $.base('bargauge', title, description, targets) {
    fieldConfig: {
      defaults: { unit: 'short', decimals: 0, min: 0, color: { mode: 'continuous-BlYlRd' } },
      overrides: [],
    },
    options: {
      orientation: 'horizontal',
      displayMode: 'gradient',
      showUnfilled: true,
      valueMode: 'color',
      namePlacement: 'left',
      reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
    },
  },

  // A table of an instant (or range) metric query: labels become columns, series become rows.
  // `columns` orders and renames: [[field, display name], ...]; the value column is `Value`.
  // `units` sets the unit of a column, by its display name (e.g. { day: 'time:YYYY-MM-DD' }).
  metricTable(title, description, targets, columns, sortBy='Value', links={}, units={}):: $.base('table', title, description, targets) {
    fieldConfig: {
      defaults: { custom: { align: 'auto', filterable: true } },
      overrides: [
        {
          matcher: { id: 'byName', options: field },
          properties: [{ id: 'links', value: links[field] }],
        }
        for field in std.objectFields(links)
      ] + [
        {
          matcher: { id: 'byName', options: field },
          properties: [{ id: 'unit', value: units[field] }],
        }
        for field in std.objectFields(units)
      ],
    },
    options: { showHeader: true, cellHeight: 'sm', footer: { show: false, reducer: ['sum'], fields: '' } },
    transformations: [
      { id: 'labelsToFields', options: { mode: 'columns' } },
      { id: 'merge', options: {} },
      {
        id: 'organize',
        options: {
          indexByName: { [columns[i][0]]: i for i in std.range(0, std.length(columns) - 1) },
          renameByName: { [col[0]]: col[1] for col in columns },
          excludeByName: {},
          includeByName: { [col[0]]: true for col in columns },
        },
      },
      { id: 'sortBy', options: { sort: [{ field: std.filter(function(col) col[0] == sortBy, columns)[0][1], desc: true }] } },
    ],
  },

  // A table of log lines: the JSON line's fields become columns.
  logTable(title, description, targets, columns, ascending=true):: $.base('table', title, description, targets) {
    fieldConfig: {
      defaults: { custom: { align: 'auto', filterable: true, cellOptions: { type: 'auto', wrapText: true } } },
      overrides: [],
    },
    options: { showHeader: true, cellHeight: 'sm', footer: { show: false, reducer: ['sum'], fields: '' } },
    transformations: [
      { id: 'extractFields', options: { source: 'Line', format: 'json', replace: false, keepTime: true } },
      {
        id: 'organize',
        options: {
          indexByName: { [columns[i][0]]: i for i in std.range(0, std.length(columns) - 1) },
          renameByName: { [col[0]]: col[1] for col in columns },
          excludeByName: {},
          includeByName: { [col[0]]: true for col in columns },
        },
      },
      { id: 'sortBy', options: { sort: [{ field: columns[0][1], desc: !ascending }] } },
    ],
  },

  // A table of log lines whose columns are read from the JSON line by path (nested fields too):
  // `columns` is [[path, display name], ...], in order; rows sorted by the column `sortBy`, newest
  // (largest) first.
  jsonPathTable(title, description, targets, columns, sortBy):: $.base('table', title, description, targets) {
    fieldConfig: {
      defaults: { custom: { align: 'auto', filterable: true, cellOptions: { type: 'auto', wrapText: true } } },
      overrides: [],
    },
    options: { showHeader: true, cellHeight: 'sm', footer: { show: false, reducer: ['sum'], fields: '' } },
    transformations: [
      {
        id: 'extractFields',
        options: {
          source: 'Line',
          format: 'json',
          jsonPaths: [{ path: col[0], alias: col[1] } for col in columns],
          replace: true,
          keepTime: false,
        },
      },
      {
        id: 'organize',
        options: {
          indexByName: { [columns[i][1]]: i for i in std.range(0, std.length(columns) - 1) },
          renameByName: {},
          excludeByName: {},
          includeByName: { [col[1]]: true for col in columns },
        },
      },
      { id: 'sortBy', options: { sort: [{ field: sortBy, desc: true }] } },
    ],
  },

  logs(title, description, targets, ascending=false):: $.base('logs', title, description, targets) {
    options: {
      showTime: true,
      showLabels: false,
      showCommonLabels: false,
      wrapLogMessage: true,
      prettifyLogMessage: false,
      enableLogDetails: true,
      dedupStrategy: 'none',
      sortOrder: if ascending then 'Ascending' else 'Descending',
    },
  },

  // One row per series, coloured by the level the value maps to.
  levelTimeline(title, description, targets, c):: $.base('state-timeline', title, description, targets) {
    fieldConfig: {
      defaults: {
        color: { mode: 'fixed', fixedColor: 'transparent' },
        mappings: $.levelMappings(c),
        custom: { fillOpacity: 85, lineWidth: 0, spanNulls: false, insertNulls: false },
      },
      overrides: [],
    },
    options: {
      mergeValues: true,
      showValue: 'never',
      alignValue: 'left',
      rowHeight: 0.85,
      legend: { showLegend: true, displayMode: 'list', placement: 'bottom' },
      tooltip: { mode: 'single', sort: 'none' },
    },
  },

  text(title, content):: {
    type: 'text',
    title: title,
    options: { mode: 'markdown', content: content, code: { language: 'plaintext', showLineNumbers: false, showMiniMap: false } },
  },
}
