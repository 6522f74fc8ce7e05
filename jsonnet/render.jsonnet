// Entry point of render.mjs: the mixin with the `config` override (jsonnet code, an object
// mixed into `_config`), as { config, dashboards: { '<file>.json': dashboard }, rules: rule groups,
// digestQueries: the digest's LogQL }.
local mixin = (import 'mixin.libsonnet') + { _config+:: std.extVar('config') };
{
  config: mixin._config,
  dashboards: mixin.grafanaDashboards,
  rules: mixin.lokiRules,
  digestQueries: mixin.digestQueries,
}
