// The dashboard envelope: time settings, links to the other kube-eventline dashboards, variables.
{
  new(c, slug, title, description, variables, panels, annotations=[]):: {
    uid: c.dashboardUidPrefix + slug,
    title: title,
    description: description,
    tags: c.dashboardTags,
    editable: true,
    graphTooltip: 1,
    timezone: c.dashboardTimezone,
    refresh: c.dashboardRefresh,
    time: { from: c.defaultTimeFrom, to: c.defaultTimeTo },
    timepicker: {},
    fiscalYearStartMonth: 0,
    liveNow: false,
    weekStart: '',
    schemaVersion: 39,
    version: 1,
    links: [{
      title: 'kube-eventline',
      type: 'dashboards',
      tags: c.dashboardTags,
      asDropdown: true,
      includeVars: true,
      keepTime: true,
      targetBlank: false,
      icon: 'external link',
      tooltip: '',
      url: '',
    }],
    annotations: { list: annotations },
    templating: { list: variables },
    panels: panels,
  },

  // Dashboard URL of another kube-eventline dashboard, keeping the time range.
  url(c, slug, params):: '/d/%s%s/%s?${__url_time_range}&var-datasource=${datasource}&%s' % [
    c.dashboardUidPrefix,
    slug,
    slug,
    std.join('&', ['var-%s=%s' % [k, params[k]] for k in std.objectFields(params)]),
  ],

  link(title, url):: { title: title, url: url, targetBlank: false },

  lokiAnnotation(name, expr, color, title, text):: {
    name: name,
    enable: true,
    hide: false,
    iconColor: color,
    datasource: { type: 'loki', uid: '${datasource}' },
    expr: expr,
    titleFormat: title,
    textFormat: text,
    tagKeys: '',
    instant: false,
  },
}
