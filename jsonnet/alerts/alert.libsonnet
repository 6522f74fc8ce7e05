// One Loki ruler alert: `for`, a `severity` label, summary/description and a runbook link to the
// section of docs/runbook.md named after the alert.
function(c, name, key, expr, summary, description) {
  alert: name,
  expr: expr,
  'for': c.alertFor[key],
  labels: { severity: c.alertSeverity[key] },
  annotations: {
    summary: summary,
    description: description,
    runbook_url: '%s#%s' % [c.runbookUrlBase, std.asciiLower(name)],
  },
}
