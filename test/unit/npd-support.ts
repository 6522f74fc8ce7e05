// Shared helpers for the Node Problem Detector tests (test/unit/npd*.test.ts):
// a zod model of NPD's monitor config files, NPD's log-pattern matching, and
// small loaders for the npd/ kustomize bundle.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { z } from 'zod';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const npdDir = join(repoRoot, 'npd');
export const npdFixtures = join(repoRoot, 'test', 'fixtures', 'npd');

/** Go's time.ParseDuration, enough of it for NPD configs: "30s", "1m30s", "500ms", "1.5h". */
export function parseGoDuration(text: string): number | undefined {
  const unitMs: Record<string, number> = {
    ns: 1e-6,
    us: 1e-3,
    µs: 1e-3,
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
  };
  if (text === '0') return 0;
  const whole = /^(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h)(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))*$/;
  if (!whole.test(text)) return undefined;
  let total = 0;
  for (const part of text.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)) {
    total += Number(part[1]) * (unitMs[part[2] as string] as number);
  }
  return total;
}

const goDuration = z.string().refine((s) => parseGoDuration(s) !== undefined, {
  message: 'not a Go duration (e.g. "30s", "5m")',
});

/**
 * Constructs that JavaScript accepts and Go's RE2 rejects: lookahead, lookbehind and
 * backreferences. Patterns free of them mean the same in both engines for the ASCII
 * classes used here (\d, \w, \S, [...], .), so testing them in JavaScript is sound.
 */
const NOT_RE2 = [/\(\?[=!]/, /\(\?<[=!]/, /\\[1-9]/, /\\k</];

function checkPattern(pattern: string): string | undefined {
  for (const bad of NOT_RE2) {
    if (bad.test(pattern)) return `uses ${bad.source}, which Go's RE2 does not support`;
  }
  try {
    new RegExp(pattern);
  } catch (err) {
    return `does not compile: ${(err as Error).message}`;
  }
  return undefined;
}

const Condition = z.strictObject({
  type: z.string().regex(/^[A-Z][A-Za-z0-9]*$/),
  reason: z.string().regex(/^[A-Z][A-Za-z0-9]*$/),
  message: z.string().min(1),
});

const Reason = z.string().regex(/^[A-Z][A-Za-z0-9]*$/, 'reasons are UpperCamelCase');

const LogRule = z.strictObject({
  type: z.enum(['temporary', 'permanent']),
  condition: z.string().optional(),
  reason: Reason,
  pattern: z.string().min(1),
});

/** Shared cross-field checks: conditions are unique, permanent rules name a declared one. */
function checkConditions(
  cfg: { conditions: { type: string }[]; rules: { type: string; condition?: string | undefined }[] },
  ctx: z.core.$RefinementCtx<unknown>,
): void {
  const declared = new Set<string>();
  for (const c of cfg.conditions) {
    if (declared.has(c.type)) ctx.addIssue({ code: 'custom', message: `condition ${c.type} declared twice` });
    declared.add(c.type);
  }
  cfg.rules.forEach((rule, i) => {
    if (rule.type === 'permanent') {
      if (!rule.condition) {
        ctx.addIssue({ code: 'custom', path: ['rules', i, 'condition'], message: 'a permanent rule must name a condition' });
      } else if (!declared.has(rule.condition)) {
        ctx.addIssue({
          code: 'custom',
          path: ['rules', i, 'condition'],
          message: `permanent rule names condition ${rule.condition}, which is not declared in conditions`,
        });
      }
    } else if (rule.condition !== undefined) {
      // NPD ignores it on temporary rules; a condition here is always a mistake.
      ctx.addIssue({ code: 'custom', path: ['rules', i, 'condition'], message: 'a temporary rule sets no condition' });
    }
  });
}

/** System log monitor (pkg/systemlogmonitor: MonitorConfig + WatcherConfig). */
export const SystemLogMonitorSchema = z
  .strictObject({
    plugin: z.enum(['kmsg', 'filelog', 'journald']),
    // Go unmarshals pluginConfig into map[string]string: numbers or booleans fail at start-up.
    pluginConfig: z.record(z.string(), z.string()).optional(),
    logPath: z.string().startsWith('/').optional(),
    lookback: goDuration.optional(),
    delay: goDuration.optional(),
    bufferSize: z.number().int().positive().optional(),
    skipList: z.array(z.string()).optional(),
    source: z.string().min(1),
    metricsReporting: z.boolean().optional(),
    conditions: z.array(Condition),
    rules: z.array(LogRule).min(1),
  })
  .superRefine((cfg, ctx) => {
    checkConditions(cfg, ctx);
    cfg.rules.forEach((rule, i) => {
      const problem = checkPattern(rule.pattern);
      if (problem) ctx.addIssue({ code: 'custom', path: ['rules', i, 'pattern'], message: problem });
    });
    if (cfg.plugin === 'journald' && !cfg.pluginConfig?.source) {
      ctx.addIssue({ code: 'custom', path: ['pluginConfig', 'source'], message: 'journald needs pluginConfig.source (SYSLOG_IDENTIFIER)' });
    }
    if (cfg.plugin === 'filelog') {
      for (const key of ['timestamp', 'message', 'timestampFormat']) {
        if (!cfg.pluginConfig?.[key]) {
          ctx.addIssue({ code: 'custom', path: ['pluginConfig', key], message: `filelog needs pluginConfig.${key}` });
        }
      }
      if (!cfg.logPath) ctx.addIssue({ code: 'custom', path: ['logPath'], message: 'filelog needs logPath' });
    }
    if (cfg.plugin === 'kmsg' && cfg.logPath !== undefined && cfg.logPath !== '/dev/kmsg') {
      ctx.addIssue({ code: 'custom', path: ['logPath'], message: 'kmsg reads /dev/kmsg' });
    }
  });

const CustomRule = z.strictObject({
  type: z.enum(['temporary', 'permanent']),
  condition: z.string().optional(),
  reason: Reason,
  path: z.string().startsWith('/', 'use an absolute path: NPD resolves relative ones against its working directory'),
  args: z.array(z.string()).optional(),
  timeout: goDuration.optional(),
});

/** Defaults from pkg/custompluginmonitor/types/config.go. */
export const CUSTOM_PLUGIN_DEFAULTS = { timeout: '5s', invoke_interval: '30s', max_output_length: 80 } as const;

/** Custom plugin monitor (pkg/custompluginmonitor/types: CustomPluginConfig). */
export const CustomPluginMonitorSchema = z
  .strictObject({
    plugin: z.literal('custom'),
    pluginConfig: z.strictObject({
      invoke_interval: goDuration,
      timeout: goDuration,
      max_output_length: z.number().int().positive(),
      concurrency: z.number().int().positive().optional(),
      enable_message_change_based_condition_update: z.boolean().optional(),
      skip_initial_status: z.boolean().optional(),
    }),
    source: z.string().min(1),
    metricsReporting: z.boolean().optional(),
    conditions: z.array(Condition),
    rules: z.array(CustomRule).min(1),
  })
  .superRefine((cfg, ctx) => {
    checkConditions(cfg, ctx);
    const pluginTimeout = parseGoDuration(cfg.pluginConfig.timeout) as number;
    const interval = parseGoDuration(cfg.pluginConfig.invoke_interval) as number;
    if (pluginTimeout > interval) {
      ctx.addIssue({ code: 'custom', path: ['pluginConfig', 'timeout'], message: 'timeout longer than invoke_interval' });
    }
    cfg.rules.forEach((rule, i) => {
      if (rule.timeout === undefined) return;
      const ruleTimeout = parseGoDuration(rule.timeout) as number;
      if (ruleTimeout > pluginTimeout) {
        ctx.addIssue({
          code: 'custom',
          path: ['rules', i, 'timeout'],
          message: `rule timeout ${rule.timeout} exceeds plugin timeout ${cfg.pluginConfig.timeout}`,
        });
      }
    });
  });

export type SystemLogMonitor = z.infer<typeof SystemLogMonitorSchema>;
export type CustomPluginMonitor = z.infer<typeof CustomPluginMonitorSchema>;
export type Monitor = { kind: 'system-log'; file: string; config: SystemLogMonitor } | { kind: 'custom'; file: string; config: CustomPluginMonitor };

/** Parse a monitor config as NPD would pick its schema: by the plugin field. */
export function parseMonitor(file: string, raw: unknown): Monitor {
  const plugin = (raw as { plugin?: unknown } | null)?.plugin;
  if (plugin === 'custom') return { kind: 'custom', file, config: CustomPluginMonitorSchema.parse(raw) };
  return { kind: 'system-log', file, config: SystemLogMonitorSchema.parse(raw) };
}

export function monitorFiles(): string[] {
  return readdirSync(join(npdDir, 'config'))
    .filter((f) => f.endsWith('.json'))
    .sort();
}

export function loadMonitors(): Monitor[] {
  return monitorFiles().map((f) => parseMonitor(f, JSON.parse(readFileSync(join(npdDir, 'config', f), 'utf8'))));
}

/**
 * The reasons a monitor can put on an Event.
 *  - every rule's reason (temporary: a Warning Event; permanent: the condition-change Event);
 *  - for custom plugin monitors, the default reason of each condition a permanent rule
 *    drives: NPD sets it back, with an Event, when the check recovers or turns Unknown.
 *    System log conditions never go back (only an NPD restart resets them, without an Event).
 */
export function emittedReasons(m: Monitor): string[] {
  const reasons = new Set(m.config.rules.map((r) => r.reason));
  if (m.kind === 'custom') {
    const driven = new Set(m.config.rules.filter((r) => r.type === 'permanent').map((r) => r.condition));
    for (const c of m.config.conditions) if (driven.has(c.type)) reasons.add(c.reason);
  }
  return [...reasons].sort();
}

/**
 * NPD's matching (pkg/systemlogmonitor/log_buffer.go): each new log line is pushed into a
 * ring buffer of `bufferSize` messages, the buffer is joined with "\n", and the rule's
 * pattern is compiled as `pattern + "\z"` and searched (not anchored at the start).
 * So a pattern must match up to the very end of the newest line; it may start anywhere.
 * JavaScript's `$` without the m flag is the same end-of-input anchor as Go's `\z`.
 */
export function npdMatches(pattern: string, bufferLines: readonly string[], bufferSize = 10): boolean {
  const kept = bufferLines.slice(-bufferSize);
  return new RegExp(`(?:${pattern})$`).test(kept.join('\n'));
}

/** NPD keeps one line of a plugin's stdout, cut to max_output_length: the script must fit. */
export function expectOneLine(r: ScriptResult, maxOutput: number): string {
  expect(r.stdout.endsWith('\n')).toBe(true);
  const line = r.stdout.slice(0, -1);
  expect(line).not.toContain('\n');
  expect(line.length).toBeLessThanOrEqual(maxOutput);
  return line;
}

export interface ScriptResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run a plugin script with bash, the way NPD's exec would, with a controlled environment. */
export function runScript(script: string, env: Record<string, string>): ScriptResult {
  const result = spawnSync('bash', [script], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export function pluginScript(name: string): string {
  return join(npdDir, 'plugin', name);
}

// ---- kustomize bundle -------------------------------------------------------

export interface Kustomization {
  namespace?: string;
  resources?: string[];
  configMapGenerator?: { name: string; files?: string[] }[];
}

export function loadKustomization(): Kustomization {
  return parseYaml(readFileSync(join(npdDir, 'kustomization.yaml'), 'utf8')) as Kustomization;
}

// Loose shapes of the Kubernetes objects the tests read.
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [key: string]: unknown;
}

export function loadResources(): K8sObject[] {
  const out: K8sObject[] = [];
  for (const file of loadKustomization().resources ?? []) {
    for (const doc of parseAllDocuments(readFileSync(join(npdDir, file), 'utf8'))) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message}`);
      const obj = doc.toJS() as K8sObject | null;
      if (obj) out.push(obj);
    }
  }
  return out;
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string }[];
  securityContext?: Record<string, unknown>;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
}

export interface Probe {
  httpGet?: { host?: string; path?: string; port?: number | string };
  periodSeconds?: number;
  failureThreshold?: number;
  timeoutSeconds?: number;
}

export interface PodSpec {
  containers: Container[];
  volumes?: { name: string; configMap?: { name: string; defaultMode?: number }; hostPath?: { path: string; type?: string } }[];
  [key: string]: unknown;
}

export function loadDaemonSet(): { obj: K8sObject; pod: PodSpec } {
  const ds = loadResources().find((o) => o.kind === 'DaemonSet');
  if (!ds) throw new Error('no DaemonSet in npd/');
  const pod = (ds.spec as { template: { spec: PodSpec } }).template.spec;
  return { obj: ds, pod };
}

/** Values of `--flag=a,b` across a container's command and args. */
export function flagValues(c: Container, flag: string): string[] {
  const values: string[] = [];
  for (const arg of [...(c.command ?? []), ...(c.args ?? [])]) {
    if (arg.startsWith(`${flag}=`))
      values.push(
        ...arg
          .slice(flag.length + 1)
          .split(',')
          .filter(Boolean),
      );
  }
  return values;
}

/**
 * Where a path inside a container comes from: the ConfigMap generator and file key
 * behind the volume mounted at its directory, plus the volume's defaultMode.
 */
export function resolveConfigMapPath(
  pod: PodSpec,
  container: Container,
  path: string,
): { generator: string; key: string; defaultMode: number | undefined } | undefined {
  for (const mount of container.volumeMounts ?? []) {
    const dir = mount.mountPath.replace(/\/$/, '');
    if (posix.dirname(path) !== dir) continue;
    const volume = pod.volumes?.find((v) => v.name === mount.name);
    if (!volume?.configMap) return undefined;
    return { generator: volume.configMap.name, key: posix.basename(path), defaultMode: volume.configMap.defaultMode };
  }
  return undefined;
}
