// All dashboards, by output file name.
function(c, q) {
  'events-overview.json': (import 'events-overview.libsonnet')(c, q),
  'object-history.json': (import 'object-history.libsonnet')(c, q),
  'pod-lifecycle.json': (import 'pod-lifecycle.libsonnet')(c, q),
  'node-problems.json': (import 'node-problems.libsonnet')(c, q),
  'daily-failures.json': (import 'daily-failures.libsonnet')(c, q),
  'rollouts-images.json': (import 'rollouts-images.libsonnet')(c, q),
}
