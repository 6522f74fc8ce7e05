// Node Problem Detector for real (issue #17). The node-problem-detector binary at the version
// npd/daemonset.yaml runs (v0.8.20, built from its Go module by test/harness/npd.ts) is started as
// the DaemonSet's two containers start it (flags and env read from npd/daemonset.yaml), for a Node
// registered in the harness API server, as its own ServiceAccount with the RBAC of npd/ applied for
// real. Kernel lines and a filling conntrack table are followed to Events and node conditions, to
// exporter lines and their levels (dist/, the bundle's config and RBAC), to Loki (pushed as Fluent Bit
// would), to the node problems dashboard and to the alerts in the real ruler; then the table drains
// and the condition goes back to False. Configs NPD refuses fail with NPD's own message.
//
// Departures from the DaemonSet, each because this runs in a test and not on a node:
//  1. kmsg -> filelog. kernel-monitor.json and readonly-monitor.json read /dev/kmsg, which a test
//     cannot write. Their derived configs change only the source: plugin "filelog" with the settings
//     of NPD's own kernel-monitor-filelog.json (timestamp, message, timestampFormat), on a kern.log
//     the test writes. Rules, conditions, source name, lookback and bufferSize are the shipped ones.
//  2. No journald monitors. containerd-monitor.json and docker-monitor.json use NPD's journald
//     watcher, which NPD compiles only with the `journald` build tag and cgo (libsystemd); the harness
//     builds NPD with CGO_ENABLED=0, and there is no journal here. They are left off the flag.
//  3. Plugin paths. network-problem-monitor.json names the scripts where the DaemonSet mounts them;
//     the derived config names the same scripts in this clone's npd/plugin/.
//  4. invoke_interval 30s -> 2s in that derived config, so that filling and draining the table
//     takes seconds, not minutes.
//  5. A fake /proc for conntrack: CONNTRACK_COUNT_FILE and CONNTRACK_MAX_FILE (read by
//     check_conntrack.sh, unset in the DaemonSet) name files the test writes.
//  6. DNS_LOOKUP_NAME=localhost instead of kubernetes.default.svc.cluster.local: no cluster DNS here.
//  7. Credentials: --apiserver-override with a kubeconfig holding a TokenRequest token of the
//     node-problem-detector ServiceAccount, instead of the token mounted in the Pod; same identity.
//  8. Free 127.0.0.1 ports instead of 20256/20257/20258 and $(HOST_IP); TZ=UTC so that kern.log
//     times mean one thing; both processes run as the test's user, not root and 65534.
// Alerts: rules/kube-eventline-alerts.yaml as committed, with every `for` set to 2s.
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { EventLine } from '../../src/line/event-line.js';
import { KubeHttp } from '../../src/watch/kube-http.js';
import { type Harness, harness } from '../harness/index.js';
import { buildNpd, type RunningNpd, startNpd } from '../harness/npd.js';
import { freePort } from '../harness/server-process.js';
import { applyBundleRbac, clearExporterState, ExporterProcess, writeBundleConfig } from '../support/bundle-exporter.js';
import { eventually, occurrenceLedger } from '../support/capture-sink.js';
import { toStreams } from '../support/corpus.js';
import { ALL, type Dashboard, dashboardQueries, interpolateVariables, substitute, type VariableDefinition } from '../support/corpus-logql.js';
import { repoPath } from '../support/real-events.js';

const NS = 'kube-eventline';
// The bundle's namespace for node agents; read from the render of deploy/.
let npdNamespace: string;
const suffix = randomBytes(3).toString('hex');
const NODE = `npd-node-${suffix}`;
// Only [a-z0-9-]: Grafana's regex escaping of a selected value leaves it as is.
const CLUSTER = `npd-${suffix}`;
const RULE_FILE = `kube-eventline-npd-test-${process.pid}.yaml`;
const CONNTRACK_MAX = 65_536;
const INVOKE_INTERVAL = '2s';

// Kernel messages as the kernel prints them (mm/oom_kill.c, kernel/hung_task.c, fs/ext4/super.c, fs/ext4/namei.c).
const OOM =
  'Out of memory: Killed process 4711 (java) total-vm:8392644kB, anon-rss:3981212kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:8152kB oom_score_adj:0';
const HUNG = 'INFO: task containerd:1187 blocked for more than 122 seconds.';
const READONLY = 'EXT4-fs (sda1): Remounting filesystem read-only';
// Printed again, word for word, each time a full directory is written to.
const EXT4_WARNING = 'EXT4-fs warning (device sda1): ext4_dx_add_entry:2461: Directory (ino: 1310721) index full, reach max htree level :2';

// What NPD's own kernel-monitor-filelog.json reads from a syslog kern.log.
const FILELOG_PLUGIN_CONFIG = { timestamp: '^.{15}', message: 'kernel: \\[.*\\] (.*)', timestampFormat: 'Jan _2 15:04:05' };

interface MonitorConfig {
  plugin: string;
  logPath?: string;
  pluginConfig?: Record<string, unknown>;
  rules: Array<{ reason: string; pattern?: string; path?: string; timeout?: string }>;
  [key: string]: unknown;
}
interface Container {
  name: string;
  command: string[];
  env?: Array<{ name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }>;
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}
interface NodeCondition {
  type: string;
  status: string;
  reason: string;
  message: string;
}
interface KubeEvent {
  metadata: { uid: string };
  reason: string;
  message: string;
  type: string;
  count: number;
  source: { component?: string; host?: string };
}

let h: Harness;
let api: KubeHttp;
let npdBinary: string;
let workDir: string;
let kernLog: string;
let conntrackCount: string;
let daemonSet: { containers: Container[]; volumes: unknown[] };
let exporter: ExporterProcess;
const running: RunningNpd[] = [];
let kernelNpd: RunningNpd;

const shipped = (file: string) => JSON.parse(readFileSync(repoPath('npd', 'config', file), 'utf8')) as MonitorConfig;
const container = (name: string) => {
  const c = daemonSet.containers.find((x) => x.name === name);
  if (!c) throw new Error(`npd/daemonset.yaml has no container ${name}`);
  return c;
};
const mountPath = (c: Container, volume: string) => {
  const m = c.volumeMounts?.find((v) => v.name === volume);
  if (!m) throw new Error(`npd/daemonset.yaml: container ${c.name} does not mount ${volume}`);
  return m.mountPath;
};

/**
 * The config NPD runs here in place of a shipped one (departures 1 to 4), or undefined for a
 * journald monitor (departure 2). `edit` breaks a derived config on purpose, for the refusal tests.
 */
function derivedConfig(c: Container, file: string, edit: (cfg: MonitorConfig) => void = () => {}): string | undefined {
  const config = shipped(file);
  let derived: MonitorConfig;
  if (config.plugin === 'journald') return undefined;
  if (config.plugin === 'kmsg') {
    if (config.pluginConfig !== undefined) throw new Error(`${file}: a kmsg monitor with pluginConfig; derive it by hand`);
    derived = { ...config, plugin: 'filelog', logPath: kernLog, pluginConfig: FILELOG_PLUGIN_CONFIG };
  } else if (config.plugin === 'custom') {
    const mounted = `${mountPath(container('checks'), 'plugins')}/`;
    derived = {
      ...config,
      pluginConfig: { ...config.pluginConfig, invoke_interval: INVOKE_INTERVAL },
      rules: config.rules.map((r) => {
        if (!r.path?.startsWith(mounted)) throw new Error(`${file}: rule ${r.reason} runs ${r.path}, outside the plugin mount ${mounted}`);
        return { ...r, path: repoPath('npd', 'plugin', r.path.slice(mounted.length)) };
      }),
    };
  } else {
    throw new Error(`${file}: plugin ${config.plugin} has no derivation in this test`);
  }
  edit(derived);
  const dir = join(workDir, `config-${c.name}-${randomBytes(3).toString('hex')}`);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, file);
  writeFileSync(path, JSON.stringify(derived, null, 2));
  return path;
}

/**
 * NPD's arguments and environment for one container of the DaemonSet, translated flag by flag.
 * A flag or env entry without a translation fails the test, so nothing the DaemonSet passes is
 * silently dropped.
 */
async function invocation(
  name: string,
  opts: { node?: string; edit?: Record<string, (cfg: MonitorConfig) => void> } = {},
): Promise<{ args: string[]; env: NodeJS.ProcessEnv }> {
  const c = container(name);
  const node = opts.node ?? NODE;
  const configDir = `${mountPath(c, 'config')}/`;
  const configs = (list: string) =>
    list
      .split(',')
      .map((p) => {
        if (!p.startsWith(configDir)) throw new Error(`npd/daemonset.yaml: ${c.name} reads ${p}, outside the config mount`);
        return derivedConfig(c, p.slice(configDir.length), opts.edit?.[basename(p)]);
      })
      .filter((p): p is string => p !== undefined)
      .join(',');
  if (c.command[0] !== '/node-problem-detector') throw new Error(`npd/daemonset.yaml: ${c.name} runs ${c.command[0]}`);
  const args: string[] = [];
  for (const arg of c.command.slice(1)) {
    const [flag, value = ''] = arg.split(/=(.*)/s);
    switch (flag) {
      case '--logtostderr':
      case '--address':
        args.push(arg);
        break;
      case '--config.system-log-monitor':
      case '--config.custom-plugin-monitor':
        args.push(`${flag}=${configs(value)}`);
        break;
      case '--port':
        args.push(value === '0' ? arg : `--port=${await freePort()}`);
        break;
      case '--prometheus-address':
        args.push('--prometheus-address=127.0.0.1');
        break;
      case '--prometheus-port':
        args.push(`--prometheus-port=${await freePort()}`);
        break;
      default:
        throw new Error(`npd/daemonset.yaml: ${c.name} passes ${arg}, which this test does not translate`);
    }
  }
  const kubeconfig = await h.kube.serviceAccountKubeconfig(npdNamespace, 'node-problem-detector');
  args.push(`--apiserver-override=${h.kube.server}?inClusterConfig=false&auth=${encodeURIComponent(kubeconfig)}`);

  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, TZ: 'UTC' };
  for (const e of c.env ?? []) {
    const field = e.valueFrom?.fieldRef?.fieldPath;
    if (field === 'spec.nodeName') env[e.name] = node;
    else if (field === 'status.hostIP') env[e.name] = '127.0.0.1';
    else if (e.name === 'DNS_LOOKUP_NAME') env[e.name] = 'localhost';
    else if (e.value !== undefined && !e.valueFrom) env[e.name] = e.value;
    else throw new Error(`npd/daemonset.yaml: ${c.name} env ${e.name} has no translation in this test`);
  }
  env.CONNTRACK_COUNT_FILE = conntrackCount;
  env.CONNTRACK_MAX_FILE = join(workDir, 'proc', 'sys', 'net', 'netfilter', 'nf_conntrack_max');
  return { args, env };
}

async function start(name: string, opts: Parameters<typeof invocation>[1] = {}): Promise<RunningNpd> {
  const { args, env } = await invocation(name, opts);
  const npd = await startNpd({
    name: `node-problem-detector (${name})`,
    binary: npdBinary,
    args,
    env,
    logFile: join(workDir, `npd-${name}-${randomBytes(3).toString('hex')}.log`),
  });
  running.push(npd);
  return npd;
}

/** Appends one kernel message to kern.log as rsyslog writes it: "Dec  3 09:40:43 node kernel: [ 1234.567890] …". */
function kernel(message: string): void {
  const now = new Date();
  const month = now.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  const stamp = `${month} ${String(now.getUTCDate()).padStart(2, ' ')} ${now.toISOString().slice(11, 19)}`;
  const uptime = (performance.now() / 1000 + 86_400).toFixed(6).padStart(12, ' ');
  appendFileSync(kernLog, `${stamp} ${NODE} kernel: [${uptime}] ${message}\n`);
}

/** Sets the fake conntrack count (written whole, then renamed, so the plugin never reads half a number). */
function conntrack(count: number): void {
  writeFileSync(`${conntrackCount}.new`, `${count}\n`);
  renameSync(`${conntrackCount}.new`, conntrackCount);
}

async function conditions(): Promise<Record<string, NodeCondition>> {
  const node = await api.getJson<{ status: { conditions?: NodeCondition[] } }>(`/api/v1/nodes/${NODE}`);
  return Object.fromEntries((node.status.conditions ?? []).map((c) => [c.type, c]));
}

async function events(): Promise<KubeEvent[]> {
  const list = await api.getJson<{ items: KubeEvent[] }>('/api/v1/events', { fieldSelector: `involvedObject.kind=Node,involvedObject.name=${NODE}` });
  return list.items;
}

const npdLogs = () => running.map((n) => `--- ${n.process.name}\n${n.logTail(20)}`).join('\n');

/** Polls `check` until it passes; on time-out fails with its last assertion and NPD's log. */
async function until(what: string, check: () => Promise<void> | void, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > deadline) {
        const { actual } = err as { actual?: unknown };
        throw new Error(`${what}: ${(err as Error).message}${actual === undefined ? '' : `\nactual: ${JSON.stringify(actual, null, 1)}`}\n${npdLogs()}`);
      }
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

const condition = (status: string, reason: string, message?: string) => ({ status, reason, ...(message === undefined ? {} : { message }) });
const changed = (type: string, status: string, reason: string, message: string) =>
  `Node condition ${type} is now: ${status}, reason: ${reason}, message: ${JSON.stringify(message)}`;
const myLines = (): EventLine[] => exporter.lines.filter((l) => l.involvedObject.kind === 'Node' && l.involvedObject.name === NODE);

beforeAll(async () => {
  h = await harness();
  api = new KubeHttp(h.kube.kubeConfig());
  npdBinary = await buildNpd();
  workDir = mkdtempSync(join(tmpdir(), 'eventline-npd-'));
  daemonSet = (parseYaml(readFileSync(repoPath('npd', 'daemonset.yaml'), 'utf8')) as { spec: { template: { spec: typeof daemonSet } } }).spec.template.spec;

  // The files NPD reads here instead of /dev/kmsg and /proc/sys/net/netfilter.
  kernLog = join(workDir, 'kern.log');
  writeFileSync(kernLog, '');
  const netfilter = join(workDir, 'proc', 'sys', 'net', 'netfilter');
  mkdirSync(netfilter, { recursive: true });
  writeFileSync(join(netfilter, 'nf_conntrack_max'), `${CONNTRACK_MAX}\n`);
  conntrackCount = join(netfilter, 'nf_conntrack_count');
  conntrack(1_200);

  // deploy/ renders npd/ into the bundle's namespace, with its ServiceAccount and ClusterRole(Binding).
  const applied = await applyBundleRbac(h);
  const npdAccount = applied.find((o) => o.kind === 'ServiceAccount' && o.metadata.name === 'node-problem-detector');
  if (!npdAccount?.metadata.namespace) throw new Error('deploy/ renders no node-problem-detector ServiceAccount');
  npdNamespace = npdAccount.metadata.namespace;
  await api.sendJson('POST', '/api/v1/nodes', {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: NODE, labels: { 'kubernetes.io/os': 'linux', 'kubernetes.io/hostname': NODE } },
  });

  const metricsPort = await freePort();
  await clearExporterState(api);
  exporter = new ExporterProcess({
    configFile: writeBundleConfig(workDir, metricsPort),
    kubeconfig: await h.kube.serviceAccountKubeconfig(NS, 'kube-eventline'),
    metricsPort,
    env: { CLUSTER_NAME: CLUSTER, POD_NAME: 'kube-eventline-npd-test', POD_NAMESPACE: NS },
  });
  await exporter.ready();

  kernelNpd = await start('kernel');
  await start('checks');
}, 1_800_000);

afterAll(async () => {
  await Promise.all(running.map((n) => n.stop()));
  await exporter?.stop();
  await h?.loki.removeRules(RULE_FILE);
  await api?.sendJson('DELETE', `/api/v1/nodes/${NODE}`, {}).catch(() => undefined);
});

describe('Node Problem Detector with the shipped configs, against the real API server', () => {
  it('both containers start, and each sets the conditions of its own monitors, as False', async () => {
    await until('initial conditions', async () => {
      expect(await conditions()).toMatchObject({
        KernelDeadlock: condition('False', 'KernelHasNoDeadlock', 'kernel has no deadlock'),
        XfsShutdown: condition('False', 'XfsHasNotShutDown'),
        ReadonlyFilesystem: condition('False', 'FilesystemIsNotReadOnly', 'no filesystem was remounted read-only'),
        ConntrackProblem: condition('False', 'ConntrackTableNotFull', 'conntrack table usage is at or under 90 percent'),
        DNSProblem: condition('False', 'DNSResolutionWorks'),
      });
    });
    expect(await events()).toEqual([]);
  });

  it('an OOM kill, a hung containerd, a read-only remount and a repeated ext4 warning become Events and conditions', async () => {
    kernel(OOM);
    kernel(HUNG);
    kernel(READONLY);
    kernel(EXT4_WARNING);
    kernel(EXT4_WARNING);
    await until('kernel Events', async () => {
      const got = (await events()).map((e) => [e.reason, e.type, e.source.component, e.source.host, e.count, e.message]).sort();
      expect(got).toEqual(
        [
          ['OOMKilling', 'Warning', 'kernel-monitor', NODE, 1, OOM],
          ['TaskHung', 'Warning', 'kernel-monitor', NODE, 1, HUNG],
          ['ContainerdHung', 'Warning', 'kernel-monitor', NODE, 1, changed('KernelDeadlock', 'True', 'ContainerdHung', HUNG)],
          ['FilesystemIsReadOnly', 'Warning', 'readonly-monitor', NODE, 1, changed('ReadonlyFilesystem', 'True', 'FilesystemIsReadOnly', READONLY)],
          // The same problem again: the recorder patches the Event's count (the `patch` of npd/rbac.yaml).
          ['Ext4Warning', 'Warning', 'kernel-monitor', NODE, 2, EXT4_WARNING],
        ].sort(),
      );
    });
    await until('kernel conditions', async () => {
      expect(await conditions()).toMatchObject({
        KernelDeadlock: condition('True', 'ContainerdHung', HUNG),
        XfsShutdown: condition('False', 'XfsHasNotShutDown'),
        ReadonlyFilesystem: condition('True', 'FilesystemIsReadOnly', READONLY),
        // The other process's conditions are untouched by this one's patches.
        ConntrackProblem: condition('False', 'ConntrackTableNotFull'),
      });
    });
    // metricsReporting: true in the shipped configs; the DaemonSet publishes this port for Prometheus.
    const port = kernelNpd.args.find((a) => a.startsWith('--prometheus-port='))!.split('=')[1];
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/^problem_counter\{reason="OOMKilling"\} 1$/m);
    expect(metrics).toMatch(/^problem_gauge\{reason="ContainerdHung",type="KernelDeadlock"\} 1$/m);
  });

  it('a conntrack table over 90 % sets ConntrackProblem, and draining it sets the condition back to False', async () => {
    conntrack(60_000); // 91.6 %
    const full = `Conntrack table usage over 90 percent: 60000 out of ${CONNTRACK_MAX}`;
    await until('ConntrackProblem True', async () => {
      expect((await conditions()).ConntrackProblem).toMatchObject(condition('True', 'ConntrackFull', full));
    });
    conntrack(30_000);
    await until('ConntrackProblem False again', async () => {
      expect((await conditions()).ConntrackProblem).toMatchObject(
        condition('False', 'ConntrackTableNotFull', 'conntrack table usage is at or under 90 percent'),
      );
    });
    // The recorder creates Events asynchronously; the condition may be there first.
    await until('conntrack Events', async () => {
      const got = (await events()).filter((e) => e.source.component === 'network-problem-monitor');
      expect(got.map((e) => [e.reason, e.type, e.source.host, e.count, e.message]).sort()).toEqual(
        [
          ['ConntrackFull', 'Warning', NODE, 1, changed('ConntrackProblem', 'True', 'ConntrackFull', full)],
          [
            'ConntrackTableNotFull',
            'Normal',
            NODE,
            1,
            changed('ConntrackProblem', 'False', 'ConntrackTableNotFull', 'conntrack table usage is at or under 90 percent'),
          ],
        ].sort(),
      );
    });
    expect((await conditions()).DNSProblem).toMatchObject(condition('False', 'DNSResolutionWorks'));
  });

  it('had every permission it needed: no request of either process was refused', () => {
    for (const npd of running) expect(readFileSync(npd.process.logFile, 'utf8')).not.toMatch(/forbidden|Unauthorized/i);
  });
});

describe('from Events to lines, Loki, the dashboard and the alerts', () => {
  // Levels the exporter's defaults give these reasons (src/grade/default-levels.ts).
  const LEVELS: Record<string, string> = {
    OOMKilling: 'error',
    TaskHung: 'fatal',
    ContainerdHung: 'fatal',
    FilesystemIsReadOnly: 'fatal',
    Ext4Warning: 'warning',
    ConntrackFull: 'error',
    ConntrackTableNotFull: 'normal',
  };
  // Occurrences per reason: every problem once, but the ext4 warning twice.
  const OCCURRENCES = Object.fromEntries(Object.keys(LEVELS).map((r) => [r, r === 'Ext4Warning' ? 2 : 1]));
  // What the node problems dashboard counts: everything above but the return to normal.
  const PROBLEMS = Object.keys(LEVELS).filter((r) => r !== 'ConntrackTableNotFull');

  it('the exporter writes each occurrence once, at the level its defaults give the reason', async () => {
    const all = await events();
    expect(Object.fromEntries(all.map((e) => [e.reason, e.count]))).toEqual(OCCURRENCES);
    const written = () => occurrenceLedger(myLines()).byUid;
    await eventually('every occurrence written', () => all.every((e) => written().get(e.metadata.uid) === e.count));
    await new Promise((r) => setTimeout(r, 1_000)); // a repeat would come right behind
    const lines = myLines();
    expect(occurrenceLedger(lines).repeatedPairs).toEqual([]);
    expect(Object.fromEntries(all.map((e) => [e.reason, written().get(e.metadata.uid)]))).toEqual(OCCURRENCES);
    expect(new Set(lines.map((l) => l.metadata.uid))).toEqual(new Set(all.map((e) => e.metadata.uid)));
    expect(new Set(lines.map((l) => `${l.reason} ${l.level} ${l.namespace} ${l.source.host}`))).toEqual(
      new Set(Object.entries(LEVELS).map(([reason, level]) => `${reason} ${level} _cluster ${NODE}`)),
    );
    expect(exporter.badStdout).toEqual([]);
    expect(exporter.stderr).not.toMatch(/forbidden|: 403 /i);
  });

  it('pushed to Loki as Fluent Bit would, the lines fill the node problems dashboard', async () => {
    const lines = myLines();
    await h.loki.push(toStreams(lines));
    const times = lines.map((l) => new Date(l.time).getTime());
    const end = new Date(Math.ceil((Date.now() + 1_000) / 60_000) * 60_000);
    const start = new Date(Math.min(...times) - 60_000);
    await until('Loki has the lines', async () => {
      const r = await h.loki.queryInstant(`sum(count_over_time({job="kube-eventline", cluster="${CLUSTER}"}[1h]))`, end);
      expect(Number(r.result[0]?.value?.[1] ?? 0)).toBe(lines.length);
    });

    const dashboard = JSON.parse(readFileSync(repoPath('dashboards', 'node-problems.json'), 'utf8')) as Dashboard;
    const clusters = await h.loki.labelValues('cluster', { start, end, query: '{job="kube-eventline"}' });
    expect(clusters).toContain(CLUSTER);
    // The variables as Grafana formats them: this cluster and node selected, the rest at All.
    const selection = { datasource: 'loki', cluster: CLUSTER, namespace: ALL, level: ALL, kind: ALL, reason: '', search: '', node: NODE };
    const definitions = dashboard.templating.list as VariableDefinition[];
    const step = 60;
    const rangeSeconds = Math.ceil((end.getTime() - start.getTime()) / 1000);
    const perReason = Object.fromEntries(PROBLEMS.map((r) => [r, OCCURRENCES[r]]));
    const perNodeAndReason = Object.fromEntries(PROBLEMS.map((r) => [`${NODE}/${r}`, OCCURRENCES[r]]));
    const seen: Record<string, unknown> = {};
    for (const q of dashboardQueries('node-problems.json', dashboard).filter((x) => x.origin === 'panel')) {
      const expr = substitute(interpolateVariables(q.expr, definitions, selection), { __auto: `${step}s`, __range: `${rangeSeconds}s` });
      const key = (m: Record<string, string>) => [m.name, m.reason].filter(Boolean).join('/');
      if (q.panelType === 'logs') {
        const r = await h.loki.queryRange(expr, start, end, step);
        seen[q.title] = r.result.flatMap((s: { values: [string, string][] }) => s.values.map(([, line]) => (JSON.parse(line) as EventLine).reason)).sort();
      } else if (q.instant) {
        const r = await h.loki.queryInstant(expr, end);
        seen[q.title] = Object.fromEntries(
          r.result.map((s: { metric: Record<string, string>; value: [number, string] }) => [key(s.metric), Number(s.value[1])]),
        );
      } else {
        // Windows of one step, one per step: each occurrence counts at exactly one point.
        const r = await h.loki.queryRange(expr, start, end, step);
        seen[q.title] = Object.fromEntries(
          r.result.map((s: { metric: Record<string, string>; values: [number, string][] }) => [key(s.metric), s.values.reduce((a, [, v]) => a + Number(v), 0)]),
        );
      }
    }
    expect(seen).toEqual({
      // Grouped by node only, so that a big cluster stays under Loki's series limit.
      'Node problems by node': { [NODE]: PROBLEMS.reduce((sum, r) => sum + OCCURRENCES[r]!, 0) },
      'Node problems by reason': perReason,
      'Top node problems': perNodeAndReason,
      // One entry per line the exporter wrote for a problem (the repeated warning may be one line or two).
      'Node problem lines': lines
        .filter((l) => PROBLEMS.includes(l.reason))
        .map((l) => l.reason)
        .sort(),
      // No NodeReady/NodeNotReady here: kubelet does not run.
      'Readiness transitions': {},
      'Readiness over the range': {},
    });
  });

  it('the committed alert rules fire the node-problem and OOM alerts for this node in the real ruler', async () => {
    const committed = readFileSync(repoPath('rules', 'kube-eventline-alerts.yaml'), 'utf8');
    const fast = committed.replace(/^(\s+)for: \S+$/gm, '$1for: 2s');
    expect(fast).not.toBe(committed);
    await h.loki.loadRules(RULE_FILE, fast);
    const mine = async () => (await h.loki.alerts()).filter((a) => a.labels.cluster === CLUSTER && a.state === 'firing');
    const summary = (a: { labels: Record<string, string> }) =>
      `${a.labels.alertname} ${a.labels.kind ?? ''}/${a.labels.name}${a.labels.reason ? ` ${a.labels.reason}` : ''}`;
    await until(
      'firing alerts',
      async () => {
        expect((await mine()).map(summary).sort()).toEqual([
          `KubeEventlineNodeProblem /${NODE} ConntrackFull`,
          `KubeEventlineNodeProblem /${NODE} ContainerdHung`,
          `KubeEventlineNodeProblem /${NODE} FilesystemIsReadOnly`,
          `KubeEventlineNodeProblem /${NODE} TaskHung`,
          `KubeEventlineOOMKills Node/${NODE}`,
        ]);
      },
      60_000,
    );
    for (const a of await mine()) expect(a.labels.severity).toMatch(/^(warning|critical)$/);
  });
});

describe('configs NPD refuses', () => {
  // A node nobody registered: these processes must not touch the conditions of the one above.
  const node = `npd-refused-${suffix}`;

  const refusals: Array<{ what: string; container: string; edit: Record<string, (cfg: MonitorConfig) => void>; message: RegExp }> = [
    {
      what: 'a rule in Perl syntax Go regexp does not accept',
      container: 'kernel',
      edit: { 'kernel-monitor.json': (cfg: MonitorConfig) => void (cfg.rules[0]!.pattern = 'Killed process (?!1 )\\d+ .*') },
      message: /F\d{4} .*Failed to validate .*kernel-monitor\.json matching rules.*invalid or unsupported Perl syntax/,
    },
    {
      what: 'a plugin allowed longer than the monitor waits',
      container: 'checks',
      edit: { 'network-problem-monitor.json': (cfg: MonitorConfig) => void (cfg.rules[0]!.timeout = '10s') },
      message: /F\d{4} .*Failed to validate custom plugin config.*plugin timeout is greater than global timeout/,
    },
  ];
  it.each(refusals)('$what: NPD exits non-zero and the harness quotes NPD', async ({ container: name, edit, message }) => {
    const failure = await start(name, { node, edit }).then(
      () => undefined,
      (err: Error) => err.message,
    );
    expect(failure).toMatch(message);
    expect(failure).toMatch(/exited \(code [1-9]\d*,/);
  });

  it('a monitor that cannot start (its log file is missing) fails the start, though NPD would run on without it', async () => {
    const failure = await start('kernel', { node, edit: { 'kernel-monitor.json': (cfg) => void (cfg.logPath = join(workDir, 'no-such-kern.log')) } }).then(
      () => undefined,
      (err: Error) => err.message,
    );
    expect(failure).toMatch(/Failed to start problem daemon .*no-such-kern\.log: no such file or directory/);
  });
});
