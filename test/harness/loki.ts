import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { buildGoBinary } from './build.js';
import { freePort, tailFile } from './server-process.js';

/** Where a running test Loki is; JSON-serialisable so vitest's provide/inject can carry it. */
export interface LokiInfo {
  url: string;
  rulesDir: string;
  tenant: string;
  /** Loki's own log, quoted in errors that only the log explains (e.g. a ruler sync failure). */
  logFile?: string;
}

export interface LokiQueryData {
  resultType: 'vector' | 'matrix' | 'streams';
  // Loki's result shape depends on resultType; callers narrow it.
  result: any[];
}

export interface LokiPushStream {
  labels: Record<string, string>;
  entries: Array<{ time: Date; line: string; metadata?: Record<string, string> }>;
}

export interface LokiAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: string;
  activeAt?: string;
}

export interface LokiClient {
  url: string;
  push(streams: LokiPushStream[]): Promise<void>;
  queryInstant(query: string, time?: Date): Promise<LokiQueryData>;
  queryRange(query: string, start: Date, end: Date, stepSeconds: number): Promise<LokiQueryData>;
  labelValues(label: string, opts: { start: Date; end: Date; query?: string }): Promise<string[]>;
  loadRules(fileName: string, yaml: string): Promise<void>;
  removeRules(fileName: string): Promise<void>;
  alerts(): Promise<LokiAlert[]>;
  waitForAlert(alertname: string, opts?: { timeoutMs?: number; state?: 'firing' | 'pending' }): Promise<LokiAlert>;
}

export interface RunningLoki {
  info: LokiInfo;
  stop(): Promise<void>;
}

const LOKI_MODULE_DIR = resolve(import.meta.dirname, 'loki');
// With auth disabled Loki files everything under this tenant, rules included.
const TENANT = 'fake';
const READY_TIMEOUT_MS = 120_000;
const RULER_SYNC_TIMEOUT_MS = 30_000;
const POLL_MS = 200;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The test Loki's configuration. Everything below "why" is a deviation from
 * Loki's defaults that the tests depend on.
 */
export function lokiConfig(opts: { dataDir: string; rulesDir: string; httpPort: number; grpcPort: number }): Record<string, unknown> {
  const { dataDir, rulesDir, httpPort, grpcPort } = opts;
  return {
    auth_enabled: false,
    target: 'all',
    server: {
      http_listen_address: '127.0.0.1',
      http_listen_port: httpPort,
      grpc_listen_address: '127.0.0.1',
      grpc_listen_port: grpcPort,
      log_level: 'info',
      // Stop quickly between test runs.
      graceful_shutdown_timeout: '1s',
    },
    common: {
      instance_addr: '127.0.0.1',
      path_prefix: dataDir,
      replication_factor: 1,
      ring: { kvstore: { store: 'inmemory' } },
      storage: {
        filesystem: {
          chunks_directory: join(dataDir, 'chunks'),
          rules_directory: rulesDir,
        },
      },
    },
    schema_config: {
      configs: [
        {
          from: '2020-01-01',
          store: 'tsdb',
          object_store: 'filesystem',
          schema: 'v13',
          index: { prefix: 'index_', period: '24h' },
        },
      ],
    },
    ingester: {
      // /ready would otherwise wait 15 s for the ring to settle.
      lifecycler: { min_ready_duration: '0s', final_sleep: '0s', join_after: '0s' },
      // Out-of-order lines are accepted within max_chunk_age/2 of a stream's
      // newest line; tests push backdated lines, so widen that to 30 days.
      max_chunk_age: '1440h',
      wal: { dir: join(dataDir, 'wal') },
    },
    // The query frontend and querier find the scheduler by polling its ring
    // (every 10 s / 3 s by default); /ready waits for that, so poll every second.
    frontend: { scheduler_dns_lookup_period: '1s' },
    frontend_worker: { dns_lookup_duration: '1s' },
    querier: {
      // Unflushed chunks older than this are invisible to queries; 0 = always ask ingesters.
      query_ingesters_within: 0,
    },
    query_range: {
      // Tests push backdated lines after querying; cached results would hide them.
      cache_results: false,
      cache_index_stats_results: false,
      cache_volume_results: false,
      cache_instant_metric_results: false,
      cache_series_results: false,
      cache_label_results: false,
    },
    limits_config: {
      allow_structured_metadata: true,
      reject_old_samples: false,
      max_query_lookback: 0,
      max_query_length: '0',
      split_queries_by_interval: '24h',
    },
    ruler: {
      enable_api: true,
      rule_path: join(dataDir, 'ruler-scratch'),
      storage: { type: 'local', local: { directory: rulesDir } },
      // Tests wait on rule loading and alert evaluation: keep both short.
      poll_interval: '1s',
      evaluation_interval: '1s',
      wal: { dir: join(dataDir, 'ruler-wal') },
      ring: { kvstore: { store: 'inmemory' } },
    },
    compactor: { working_directory: join(dataDir, 'compactor') },
    analytics: { reporting_enabled: false },
  };
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Deep merge of YAML-like objects; `extra` wins, lists are replaced whole. */
function mergeConfig(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = merged[key];
    merged[key] = isPlainObject(current) && isPlainObject(value) ? mergeConfig(current, value) : value;
  }
  return merged;
}

async function waitUntilReady(url: string, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`Loki exited (${child.exitCode ?? child.signalCode}) before it was ready; log ${logFile}:\n${tailFile(logFile)}`);
    }
    try {
      const res = await fetch(`${url}/ready`);
      last = `${res.status} ${(await res.text()).trim()}`;
      if (res.ok) return;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(POLL_MS);
  }
  throw new Error(`Loki at ${url} not ready after ${READY_TIMEOUT_MS} ms (last /ready: ${last}); log ${logFile}:\n${tailFile(logFile)}`);
}

async function stopProcess(child: ChildProcess): Promise<void> {
  // No pid: the binary never started, so no 'exit' event will come.
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const killTimer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(killTimer);
}

/**
 * Builds (cached) and starts a single-binary Loki with its data, rules and log in `workDir`,
 * listening on 127.0.0.1 only, and resolves once `/ready` answers 200.
 */
export async function startLoki(opts: {
  workDir: string;
  /** Merged over the test config, for tests of the harness itself (e.g. a config Loki refuses). */
  extraConfig?: Record<string, unknown>;
}): Promise<RunningLoki> {
  const binary = await buildGoBinary(LOKI_MODULE_DIR, '.', 'loki');
  const baseDir = resolve(opts.workDir);
  const dataDir = join(baseDir, 'data');
  const rulesDir = join(baseDir, 'rules');
  // Leftover chunks or rules from an earlier start would change what tests see.
  if (existsSync(dataDir) || existsSync(rulesDir)) {
    throw new Error(`startLoki: work dir ${baseDir} already holds Loki data; give each start a fresh folder`);
  }
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(join(rulesDir, TENANT), { recursive: true });

  const httpPort = await freePort();
  let grpcPort = await freePort();
  while (grpcPort === httpPort) grpcPort = await freePort();
  const configFile = join(baseDir, 'loki.yaml');
  const config = mergeConfig(lokiConfig({ dataDir, rulesDir, httpPort, grpcPort }), opts.extraConfig ?? {});
  writeFileSync(configFile, stringifyYaml(config));

  const logFile = join(baseDir, 'loki.log');
  const logFd = openSync(logFile, 'a');
  const child = spawn(binary, [`-config.file=${configFile}`], {
    cwd: baseDir,
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  const spawnError = new Promise<never>((_, reject) => child.once('error', (err) => reject(new Error(`cannot start Loki binary ${binary}: ${err.message}`))));
  // Only the race below cares; a late 'error' must not become an unhandled rejection.
  spawnError.catch(() => undefined);

  const url = `http://127.0.0.1:${httpPort}`;
  try {
    await Promise.race([waitUntilReady(url, child, logFile), spawnError]);
  } catch (err) {
    await stopProcess(child);
    throw err;
  }
  return {
    info: { url, rulesDir, tenant: TENANT, logFile },
    stop: () => stopProcess(child),
  };
}

/** Loki answers errors as plain text (query API) or as Prometheus-style JSON (ruler API). */
async function expectOk(res: Response, what: string): Promise<Response> {
  if (res.ok) return res;
  const body = (await res.text()).trim();
  throw new Error(`Loki ${what} failed: HTTP ${res.status}: ${body}`);
}

async function getJson<T>(url: string, what: string): Promise<T> {
  const res = await expectOk(await fetch(url), what);
  const body = (await res.json()) as { status?: string; data?: T; error?: string };
  if (body.status !== undefined && body.status !== 'success') {
    throw new Error(`Loki ${what} failed: ${body.error ?? JSON.stringify(body)}`);
  }
  return body.data as T;
}

const nanos = (time: Date) => `${BigInt(time.getTime()) * 1_000_000n}`;

interface RuleGroupsData {
  groups: Array<{ name: string; file: string; rules: Array<{ name: string }> }>;
}

/** The group and rule names a rule file declares, checked against what the ruler reports. */
function declaredGroups(fileName: string, yaml: string): Map<string, string[]> {
  let doc: unknown;
  try {
    doc = parseYaml(yaml);
  } catch (err) {
    throw new Error(`rule file ${fileName}: invalid YAML: ${(err as Error).message}`);
  }
  const groups = (doc as { groups?: unknown })?.groups;
  if (!Array.isArray(groups)) throw new Error(`rule file ${fileName}: no "groups" list`);
  const declared = new Map<string, string[]>();
  groups.forEach((group: { name?: unknown; rules?: unknown }, i) => {
    if (typeof group?.name !== 'string') throw new Error(`rule file ${fileName}: groups[${i}].name missing`);
    const rules = Array.isArray(group.rules) ? group.rules : [];
    declared.set(
      group.name,
      rules.map((r: { alert?: unknown; record?: unknown }) => String(r?.alert ?? r?.record ?? '')),
    );
  });
  return declared;
}

export function lokiClient(info: LokiInfo): LokiClient {
  const { url } = info;
  const tenantRulesDir = join(info.rulesDir, info.tenant);

  function logHint(): string {
    return info.logFile ? `\nLoki log tail (${info.logFile}):\n${tailFile(info.logFile, 15)}` : '';
  }

  async function loadedGroups(): Promise<RuleGroupsData['groups']> {
    const data = await getJson<RuleGroupsData>(`${url}/prometheus/api/v1/rules`, 'GET /prometheus/api/v1/rules');
    return data.groups ?? [];
  }

  async function alerts(): Promise<LokiAlert[]> {
    const data = await getJson<{ alerts: LokiAlert[] }>(`${url}/prometheus/api/v1/alerts`, 'GET /prometheus/api/v1/alerts');
    return data.alerts ?? [];
  }

  return {
    url,

    async push(streams) {
      const body = {
        streams: streams.map((s) => ({
          stream: s.labels,
          values: s.entries.map((e) => (e.metadata ? [nanos(e.time), e.line, e.metadata] : [nanos(e.time), e.line])),
        })),
      };
      await expectOk(
        await fetch(`${url}/loki/api/v1/push`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }),
        'push',
      );
    },

    async queryInstant(query, time) {
      const params = new URLSearchParams({ query });
      if (time) params.set('time', nanos(time));
      return getJson<LokiQueryData>(`${url}/loki/api/v1/query?${params}`, `query ${JSON.stringify(query)}`);
    },

    async queryRange(query, start, end, stepSeconds) {
      const params = new URLSearchParams({
        query,
        start: nanos(start),
        end: nanos(end),
        step: String(stepSeconds),
        limit: '5000',
      });
      return getJson<LokiQueryData>(`${url}/loki/api/v1/query_range?${params}`, `range query ${JSON.stringify(query)}`);
    },

    async labelValues(label, opts) {
      const params = new URLSearchParams({ start: nanos(opts.start), end: nanos(opts.end) });
      if (opts.query) params.set('query', opts.query);
      const data = await getJson<string[] | undefined>(`${url}/loki/api/v1/label/${encodeURIComponent(label)}/values?${params}`, `label values of ${label}`);
      return data ?? [];
    },

    async loadRules(fileName, yaml) {
      const declared = declaredGroups(fileName, yaml);
      mkdirSync(tenantRulesDir, { recursive: true });
      const path = join(tenantRulesDir, fileName);
      writeFileSync(path, yaml);

      // The list API reads the rule files through Loki's own loader, which
      // validates the LogQL, and answers 400 with the parse error. A file the
      // loader rejects stops the ruler from syncing any file, so take it out.
      const listed = await fetch(`${url}/loki/api/v1/rules`);
      if (!listed.ok) {
        const message = (await listed.text()).trim();
        rmSync(path, { force: true });
        throw new Error(`Loki rejected rule file ${path}: HTTP ${listed.status}: ${message}`);
      }

      const deadline = Date.now() + RULER_SYNC_TIMEOUT_MS;
      for (;;) {
        const groups = (await loadedGroups()).filter((g) => g.file === fileName);
        const allLoaded = [...declared].every(([name, rules]) => {
          const group = groups.find((g) => g.name === name);
          return group !== undefined && group.rules.map((r) => r.name).join('\0') === rules.join('\0');
        });
        if (allLoaded) return;
        if (Date.now() > deadline) {
          throw new Error(
            `Loki ruler did not load ${path} within ${RULER_SYNC_TIMEOUT_MS} ms ` +
              `(wanted groups ${[...declared.keys()].join(', ')}; has ${groups.map((g) => g.name).join(', ') || 'none'})${logHint()}`,
          );
        }
        await sleep(POLL_MS);
      }
    },

    async removeRules(fileName) {
      const path = join(tenantRulesDir, fileName);
      rmSync(path, { force: true });
      const deadline = Date.now() + RULER_SYNC_TIMEOUT_MS;
      while ((await loadedGroups()).some((g) => g.file === fileName)) {
        if (Date.now() > deadline) {
          throw new Error(`Loki ruler still lists groups of ${path} ${RULER_SYNC_TIMEOUT_MS} ms after removal${logHint()}`);
        }
        await sleep(POLL_MS);
      }
    },

    alerts,

    async waitForAlert(alertname, opts = {}) {
      const timeoutMs = opts.timeoutMs ?? 60_000;
      const state = opts.state ?? 'firing';
      const deadline = Date.now() + timeoutMs;
      let seen: LokiAlert[] = [];
      for (;;) {
        seen = await alerts();
        const match = seen.find((a) => a.labels.alertname === alertname && a.state === state);
        if (match) return match;
        if (Date.now() > deadline) {
          const summary = seen.map((a) => `${a.labels.alertname}=${a.state}`).join(', ') || 'none';
          throw new Error(`alert ${alertname} not ${state} within ${timeoutMs} ms (alerts: ${summary})${logHint()}`);
        }
        await sleep(POLL_MS);
      }
    },
  };
}
