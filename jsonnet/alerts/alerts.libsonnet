// All alert groups, in the Loki ruler format.
function(c, q) {
  groups: [
    (import 'workloads.libsonnet')(c, q),
    (import 'nodes.libsonnet')(c, q),
    (import 'pipeline.libsonnet')(c, q),
  ],
}
