// NPD monitor configs in npd/config validated against a model of NPD's config
// schema (test/unit/npd-support.ts), and wired correctly into the DaemonSet.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CUSTOM_PLUGIN_DEFAULTS,
  CustomPluginMonitorSchema,
  flagValues,
  loadDaemonSet,
  loadKustomization,
  loadMonitors,
  monitorFiles,
  npdDir,
  parseGoDuration,
  parseMonitor,
  resolveConfigMapPath,
  SystemLogMonitorSchema,
} from './npd-support.js';

const CONFIG_DIR = '/etc/node-problem-detector/config';

describe('npd config schema model', () => {
  const validCustom = {
    plugin: 'custom',
    pluginConfig: { invoke_interval: '30s', timeout: '5s', max_output_length: 80 },
    source: 'x-monitor',
    conditions: [{ type: 'XProblem', reason: 'NoXProblem', message: 'fine' }],
    rules: [{ type: 'permanent', condition: 'XProblem', reason: 'XBroken', path: '/p/x.sh', timeout: '3s' }],
  };
  const validLog = {
    plugin: 'kmsg',
    logPath: '/dev/kmsg',
    source: 'k',
    conditions: [],
    rules: [{ type: 'temporary', reason: 'Boom', pattern: 'boom .*' }],
  };

  it('accepts minimal valid configs', () => {
    expect(CustomPluginMonitorSchema.safeParse(validCustom).success).toBe(true);
    expect(SystemLogMonitorSchema.safeParse(validLog).success).toBe(true);
  });

  it('rejects a rule timeout longer than the plugin timeout', () => {
    const bad = structuredClone(validCustom);
    bad.rules[0]!.timeout = '6s';
    expect(CustomPluginMonitorSchema.safeParse(bad).success).toBe(false);
  });

  it('rejects a permanent rule whose condition is not declared', () => {
    const bad = structuredClone(validCustom);
    bad.rules[0]!.condition = 'YProblem';
    expect(CustomPluginMonitorSchema.safeParse(bad).success).toBe(false);
  });

  it('rejects an unknown plugin type, a missing source and a numeric pluginConfig value', () => {
    expect(SystemLogMonitorSchema.safeParse({ ...validLog, plugin: 'syslog' }).success).toBe(false);
    const { source: _s, ...noSource } = validLog;
    expect(SystemLogMonitorSchema.safeParse(noSource).success).toBe(false);
    expect(SystemLogMonitorSchema.safeParse({ ...validLog, plugin: 'journald', pluginConfig: { source: 'x', n: 3 } }).success).toBe(false);
  });

  it('rejects journald without a source and patterns Go cannot compile', () => {
    expect(SystemLogMonitorSchema.safeParse({ ...validLog, plugin: 'journald', logPath: '/var/log/journal' }).success).toBe(false);
    const lookahead = { ...validLog, rules: [{ type: 'temporary', reason: 'Boom', pattern: 'boom(?=x)' }] };
    expect(SystemLogMonitorSchema.safeParse(lookahead).success).toBe(false);
  });

  it('rejects misspelt keys, which Go would silently ignore', () => {
    expect(SystemLogMonitorSchema.safeParse({ ...validLog, bufferSise: 10 }).success).toBe(false);
    const bad = structuredClone(validCustom) as Record<string, unknown>;
    (bad.pluginConfig as Record<string, unknown>).invokeInterval = '10s';
    expect(CustomPluginMonitorSchema.safeParse(bad).success).toBe(false);
  });

  it('parses Go durations', () => {
    expect(parseGoDuration('1m30s')).toBe(90_000);
    expect(parseGoDuration('500ms')).toBe(500);
    expect(parseGoDuration('1.5h')).toBe(5_400_000);
    expect(parseGoDuration('30')).toBeUndefined();
    expect(parseGoDuration('5 s')).toBeUndefined();
  });
});

describe.each(monitorFiles())('npd/config/%s', (file) => {
  const raw = JSON.parse(readFileSync(join(npdDir, 'config', file), 'utf8')) as unknown;

  it('validates against the NPD config schema', () => {
    const result = parseMonitor(file, raw);
    expect(result.config.source).toMatch(/-monitor$/);
  });

  it('uses a source no other monitor uses', () => {
    const sources = loadMonitors().map((m) => m.config.source);
    const mine = parseMonitor(file, raw).config.source;
    expect(sources.filter((s) => s === mine)).toHaveLength(1);
  });
});

describe('custom plugin monitors', () => {
  const { pod } = loadDaemonSet();
  const checks = pod.containers.find((c) => c.name === 'checks');
  const generators = new Map((loadKustomization().configMapGenerator ?? []).map((g) => [g.name, g.files ?? []]));
  const custom = loadMonitors().filter((m) => m.kind === 'custom');

  it('exist', () => {
    expect(custom.map((m) => m.file)).toContain('network-problem-monitor.json');
    expect(checks, 'the checks container runs the custom plugin monitors').toBeDefined();
  });

  it.each(custom.flatMap((m) => (m.kind === 'custom' ? m.config.rules.map((r) => [m.file, r.reason, r.path] as const) : [])))(
    '%s rule %s: path %s is a script shipped executable in a mounted ConfigMap',
    (_file, _reason, path) => {
      const where = resolveConfigMapPath(pod, checks!, path);
      expect(where, `${path} is not under a ConfigMap volume mounted in the checks container`).toBeDefined();
      const files = generators.get(where!.generator) ?? [];
      const shipped = files.find((f) => f.split('/').pop() === where!.key);
      expect(shipped, `${where!.key} is not in configMapGenerator ${where!.generator}`).toBeDefined();
      expect(existsSync(join(npdDir, shipped!))).toBe(true);
      // NPD executes the path directly: the mode must let anyone execute it.
      expect((where!.defaultMode ?? 0o644) & 0o111).toBe(0o111);
    },
  );

  it.each(custom.map((m) => [m.file, m] as const))('%s keeps the output limit NPD applies', (_f, m) => {
    if (m.kind !== 'custom') return;
    expect(m.config.pluginConfig.max_output_length).toBe(CUSTOM_PLUGIN_DEFAULTS.max_output_length);
  });
});

describe('DaemonSet monitor flags', () => {
  const { pod } = loadDaemonSet();
  const generators = new Map((loadKustomization().configMapGenerator ?? []).map((g) => [g.name, g.files ?? []]));
  const monitors = new Map(loadMonitors().map((m) => [m.file, m]));

  const enabled = pod.containers.flatMap((c) => [
    ...flagValues(c, '--config.system-log-monitor').map((p) => [c.name, 'system-log', p] as const),
    ...flagValues(c, '--config.custom-plugin-monitor').map((p) => [c.name, 'custom-plugin', p] as const),
  ]);

  it('enable the kernel, read-only, runtime and network monitors', () => {
    const names = enabled.map(([, , p]) => p.split('/').pop());
    for (const f of ['kernel-monitor.json', 'readonly-monitor.json', 'containerd-monitor.json', 'docker-monitor.json', 'network-problem-monitor.json']) {
      expect(names).toContain(f);
    }
  });

  it.each(enabled)('%s: --config.%s-monitor=%s is a shipped config of that kind', (container, kind, path) => {
    expect(path.startsWith(`${CONFIG_DIR}/`)).toBe(true);
    const c = pod.containers.find((x) => x.name === container)!;
    const where = resolveConfigMapPath(pod, c, path);
    expect(where, `${path} is not in a ConfigMap mounted in ${container}`).toBeDefined();
    expect((generators.get(where!.generator) ?? []).map((f) => f.split('/').pop())).toContain(where!.key);
    expect(monitors.get(where!.key)?.kind).toBe(kind === 'custom-plugin' ? 'custom' : 'system-log');
  });

  it('do not enable the same monitor twice', () => {
    const paths = enabled.map(([, , p]) => p);
    expect(new Set(paths).size).toBe(paths.length);
  });
});
