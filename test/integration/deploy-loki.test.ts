/**
 * The quickstart's Loki configuration (deploy/quickstart/loki/config.yaml) run by a real Loki:
 * the harness's Loki binary (same version as the quickstart image), with only ports, listen
 * addresses and the /loki, /etc/loki paths moved into a temp dir. The rules directory is laid out
 * the way the kubelet mounts a ConfigMap (`..data` symlinks), as in the quickstart pod.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { buildGoBinary } from '../harness/build.js';
import { harness } from '../harness/index.js';
import { lokiClient } from '../harness/loki.js';
import { freePort } from '../harness/server-process.js';
import { type K8sObject, REPO } from '../unit/deploy-checks.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const RULES_FILE = 'kube-eventline-alerts.yaml';

let child: ChildProcess | undefined;
let url = '';
let logFile = '';
let rulesRoot = '';

/** Rewrites the pod's absolute paths into `dir`, leaving every other setting as shipped. */
function relocate(value: unknown, dir: string): unknown {
  if (typeof value === 'string') {
    if (value === '/loki' || value.startsWith('/loki/')) return join(dir, 'data', value.slice('/loki'.length));
    if (value === '/etc/loki/rules' || value.startsWith('/etc/loki/rules/')) return join(dir, 'rules', value.slice('/etc/loki/rules'.length));
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => relocate(v, dir));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, relocate(v, dir)]));
  return value;
}

function logTail(): string {
  try {
    return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-30).join('\n');
  } catch {
    return '(no log)';
  }
}

beforeAll(async () => {
  await harness(); // the global setup built the Loki binary; this build is a cache hit
  const binary = await buildGoBinary(resolve(REPO, 'test', 'harness', 'loki'), '.', 'loki');
  const dir = mkdtempSync(join(tmpdir(), 'kube-eventline-quickstart-loki-'));
  const shipped = parseYaml(readFileSync(join(REPO, 'deploy', 'quickstart', 'loki', 'config.yaml'), 'utf8')) as K8sObject;
  const config = relocate(shipped, dir) as K8sObject;
  const httpPort = await freePort();
  let grpcPort = await freePort();
  while (grpcPort === httpPort) grpcPort = await freePort();
  config.server = {
    ...config.server,
    http_listen_address: '127.0.0.1',
    http_listen_port: httpPort,
    grpc_listen_address: '127.0.0.1',
    grpc_listen_port: grpcPort,
  };

  // The ConfigMap volume as the kubelet lays it out, mounted at <rules directory>/fake.
  rulesRoot = config.ruler.storage.local.directory;
  const mount = join(rulesRoot, 'fake');
  const payload = join(mount, '..2026_11_22_00_00_00.000000001');
  mkdirSync(payload, { recursive: true });
  writeFileSync(join(payload, RULES_FILE), readFileSync(join(REPO, 'rules', RULES_FILE)));
  symlinkSync('..2026_11_22_00_00_00.000000001', join(mount, '..data'));
  symlinkSync(join('..data', RULES_FILE), join(mount, RULES_FILE));

  const configFile = join(dir, 'config.yaml');
  writeFileSync(configFile, stringify(config));
  logFile = join(dir, 'loki.log');
  const fd = openSync(logFile, 'a');
  child = spawn(binary, [`-config.file=${configFile}`], { cwd: dir, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  url = `http://127.0.0.1:${httpPort}`;
  const deadline = Date.now() + 180_000;
  let last = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`quickstart Loki config: Loki exited ${child.exitCode}:\n${logTail()}`);
    try {
      const res = await fetch(`${url}/ready`);
      last = `${res.status}`;
      if (res.ok) return;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(250);
  }
  throw new Error(`quickstart Loki not ready (last ${last}):\n${logTail()}`);
}, 600_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child?.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
});

describe('quickstart Loki config, run by a real Loki', () => {
  it('starts (the config validates: schema v13/tsdb, retention with a delete request store, ruler)', async () => {
    const res = await fetch(`${url}/loki/api/v1/status/buildinfo`);
    expect(res.status).toBe(200);
  });

  it('the ruler loads every group of rules/kube-eventline-alerts.yaml from the ConfigMap-style mount', async () => {
    const expected = (parseYaml(readFileSync(join(REPO, 'rules', RULES_FILE), 'utf8')).groups as K8sObject[]).map((g) => g.name).sort();
    expect(expected.length).toBeGreaterThan(0);
    let loaded: string[] = [];
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      const res = await fetch(`${url}/prometheus/api/v1/rules`);
      if (res.ok) {
        const body = (await res.json()) as { data?: { groups?: Array<{ name: string }> } };
        loaded = (body.data?.groups ?? []).map((g) => g.name).sort();
        if (expected.every((g) => loaded.includes(g))) break;
      }
      await sleep(500);
    }
    expect(loaded, logTail()).toEqual(expected);
  });

  it('stores structured metadata and filters by it without a parser', async () => {
    const loki = lokiClient({ url, rulesDir: rulesRoot, tenant: 'fake', logFile });
    const now = new Date();
    const line = JSON.stringify({ level: 'warning', time: now.toISOString(), delta: 2, namespace: 'shop', reason: 'BackOff' });
    await loki.push([
      {
        labels: { job: 'kube-eventline', cluster: 'quickstart', namespace: 'shop', level: 'warning' },
        entries: [{ time: now, line, metadata: { reason: 'BackOff', kind: 'Pod', name: 'api-1', workload: 'api', node: 'node-1' } }],
      },
    ]);
    const start = new Date(now.getTime() - 60_000);
    const end = new Date(now.getTime() + 60_000);
    let lines: string[] = [];
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && lines.length === 0) {
      const data = await loki.queryRange('{job="kube-eventline"} | reason="BackOff" | workload="api"', start, end, 15);
      lines = data.result.flatMap((s: { values: Array<[string, string]> }) => s.values.map((v) => v[1]));
      if (lines.length === 0) await sleep(250);
    }
    expect(lines).toEqual([line]);
    const summed = await loki.queryInstant('sum(sum_over_time({job="kube-eventline"} | json delta | unwrap delta [5m]))', end);
    expect(Number(summed.result[0]?.value?.[1])).toBe(2);
  });
});
