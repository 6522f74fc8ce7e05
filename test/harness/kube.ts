import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { request } from 'node:https';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { buildGoBinary } from './build.js';
import { type CutProxy, startCutProxy } from './cut-proxy.js';
import { writeKubeconfig } from './kubeconfig.js';
import { freePort, type ServerProcess, startServerProcess, waitUntilReady } from './server-process.js';

const run = promisify(execFile);

const KUBE_MODULE_DIR = resolve(import.meta.dirname, 'kube');
const READY_TIMEOUT_MS = 180_000;

/** Where the running Kubernetes servers are; JSON-serialisable for vitest's provide/inject. */
export interface KubeInfo {
  server: string;
  adminKubeconfigPath: string;
  kubectl: string;
  caFile: string;
  proxyServer: string;
  proxyKubeconfigPath: string;
  etcdUrl: string;
  /** Folder for files the tests make (ServiceAccount kubeconfigs). */
  workDir: string;
  apiServerLog: string;
  etcdLog: string;
}

export interface RunningKube {
  info: KubeInfo;
  restartApiServer(): Promise<void>;
  compact(): Promise<{ revision: number }>;
  cutProxy(): number;
  holdProxy(): number;
  releaseProxy(): void;
  /** How long the last start took, build included, in ms (reported by the global setup). */
  startupMs: { build: number; etcd: number; apiServer: number };
  /** Servers that exited without being asked to (for the end-of-run report). */
  unexpectedExits(): ServerProcess[];
  stop(): Promise<void>;
}

/** Builds (or reuses) the kube-harness binary and a `kubectl` symlink to it. */
export async function buildKubeHarness(): Promise<{ binary: string; kubectl: string }> {
  const binary = await buildGoBinary(KUBE_MODULE_DIR, './cmd/kube-harness', 'kube-harness');
  // The binary acts as kubectl when invoked under that name.
  const binDir = `${binary}.bin`;
  const kubectl = join(binDir, 'kubectl');
  if (!existsSync(kubectl)) {
    mkdirSync(binDir, { recursive: true });
    try {
      symlinkSync(binary, kubectl);
    } catch (err) {
      // Another run created it in the meantime.
      if (!existsSync(kubectl)) throw err;
    }
  }
  return { binary, kubectl };
}

/** GET over TLS with the admin client cert; resolves to the status and body. */
function adminGet(url: string, tls: { ca: Buffer; cert: Buffer; key: Buffer }): Promise<{ status: number; body: string }> {
  return new Promise((resolveGet, reject) => {
    const req = request(url, { ...tls, method: 'GET', timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolveGet({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: timed out`)));
    req.on('error', reject);
    req.end();
  });
}

async function etcdPost(etcdUrl: string, path: string, body: unknown): Promise<any> {
  const res = await fetch(`${etcdUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`etcd ${path}: HTTP ${res.status}: ${text}`);
  return JSON.parse(text);
}

/**
 * Starts etcd and kube-apiserver (two processes of the kube-harness binary) under
 * `workDir`, plus a cut-able TCP proxy in front of the API server.
 */
export async function startKube(opts: { workDir: string }): Promise<RunningKube> {
  const buildStarted = Date.now();
  const { binary, kubectl } = await buildKubeHarness();
  const startupMs = { build: Date.now() - buildStarted, etcd: 0, apiServer: 0 };
  const workDir = resolve(opts.workDir);
  const pkiDir = join(workDir, 'pki');
  const etcdDataDir = join(workDir, 'etcd-data');
  mkdirSync(workDir, { recursive: true });
  mkdirSync(join(workDir, 'kubeconfigs'), { recursive: true });

  try {
    await run(binary, ['certs', '--dir', pkiDir]);
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`kube-harness certs failed: ${e.stderr || e.message}`);
  }
  const pki = (name: string) => join(pkiDir, name);
  const tls = { ca: readFileSync(pki('ca.crt')), cert: readFileSync(pki('admin.crt')), key: readFileSync(pki('admin.key')) };

  const [etcdClientPort, etcdPeerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const etcdUrl = `http://127.0.0.1:${etcdClientPort}`;
  const server = `https://127.0.0.1:${apiPort}`;
  const etcdLog = join(workDir, 'etcd.log');
  const apiServerLog = join(workDir, 'kube-apiserver.log');

  const started: ServerProcess[] = [];
  const etcd = startServerProcess({
    name: 'etcd',
    binary,
    args: ['etcd', '--data-dir', etcdDataDir, '--listen-client-url', etcdUrl, '--listen-peer-url', `http://127.0.0.1:${etcdPeerPort}`],
    logFile: etcdLog,
  });
  started.push(etcd);

  const apiServerArgs = [
    'apiserver',
    `--etcd-servers=${etcdUrl}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${apiPort}`,
    `--cert-dir=${join(workDir, 'apiserver-certs')}`,
    `--tls-cert-file=${pki('apiserver.crt')}`,
    `--tls-private-key-file=${pki('apiserver.key')}`,
    `--client-ca-file=${pki('ca.crt')}`,
    '--authorization-mode=Node,RBAC',
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${pki('sa.pub')}`,
    `--service-account-signing-key-file=${pki('sa.key')}`,
    '--api-audiences=https://kubernetes.default.svc.cluster.local',
    '--service-cluster-ip-range=10.96.0.0/16',
    '--allow-privileged=true',
    // No controller-manager runs, so nobody creates the "default" ServiceAccount that
    // this admission plugin insists on for every Pod.
    '--disable-admission-plugins=ServiceAccount',
    // Events are read straight from etcd, not from the watch cache: a watch from a
    // resourceVersion older than an etcd compaction then gets 410 Gone at once, as the
    // exporter must handle, instead of whenever the cache's window moves on.
    '--watch-cache-sizes=events#0,events.events.k8s.io#0',
    // The "kubernetes" Service cannot point at a loopback address; without this the
    // API server logs a sync error every few seconds and holds a lease to clean up.
    '--endpoint-reconciler-type=none',
    '--profiling=false',
    '--v=1',
  ];
  let apiServer: ServerProcess | undefined;
  const startApiServer = async () => {
    apiServer = startServerProcess({ name: 'kube-apiserver', binary, args: apiServerArgs, logFile: apiServerLog });
    started.push(apiServer);
    await waitUntilReady(
      apiServer,
      `${server}/readyz`,
      async () => {
        const res = await adminGet(`${server}/readyz`, tls);
        if (res.status !== 200) throw new Error(`/readyz: HTTP ${res.status}: ${res.body.slice(-500)}`);
        return true;
      },
      READY_TIMEOUT_MS,
    );
  };

  let proxy: CutProxy | undefined;
  const stopAll = async () => {
    await proxy?.close();
    await apiServer?.stop();
    await etcd.stop();
  };

  try {
    const etcdStarted = Date.now();
    await waitUntilReady(
      etcd,
      `${etcdUrl}/health`,
      async () => {
        const res = await fetch(`${etcdUrl}/health`);
        if (!res.ok) throw new Error(`/health: HTTP ${res.status}`);
        return true;
      },
      READY_TIMEOUT_MS,
    );
    startupMs.etcd = Date.now() - etcdStarted;
    const apiServerStarted = Date.now();
    await startApiServer();
    startupMs.apiServer = Date.now() - apiServerStarted;
    proxy = await startCutProxy({ host: '127.0.0.1', port: apiPort });
  } catch (err) {
    await stopAll();
    throw err;
  }

  const proxyServer = `https://127.0.0.1:${proxy.port}`;
  const admin = { clientCertFile: pki('admin.crt'), clientKeyFile: pki('admin.key') };
  const adminKubeconfigPath = writeKubeconfig({
    path: join(workDir, 'kubeconfigs', 'admin.yaml'),
    server,
    caFile: pki('ca.crt'),
    user: 'admin',
    credentials: admin,
  });
  const proxyKubeconfigPath = writeKubeconfig({
    path: join(workDir, 'kubeconfigs', 'admin-via-proxy.yaml'),
    server: proxyServer,
    caFile: pki('ca.crt'),
    user: 'admin',
    credentials: admin,
  });

  // One operation at a time: a compaction during a restart, or two restarts, would race.
  let queue: Promise<unknown> = Promise.resolve();
  const serialised = <T>(op: () => Promise<T>): Promise<T> => {
    const next = queue.then(op, op);
    queue = next.catch(() => undefined);
    return next;
  };

  return {
    info: {
      server,
      adminKubeconfigPath,
      kubectl,
      caFile: pki('ca.crt'),
      proxyServer,
      proxyKubeconfigPath,
      etcdUrl,
      workDir,
      apiServerLog,
      etcdLog,
    },
    restartApiServer: () =>
      serialised(async () => {
        await apiServer?.stop();
        await startApiServer();
      }),
    compact: () =>
      serialised(async () => {
        // Any range answers with the store's current revision in its header.
        const range = await etcdPost(etcdUrl, '/v3/kv/range', { key: Buffer.from('/').toString('base64') });
        const revision = Number(range?.header?.revision);
        if (!Number.isInteger(revision) || revision < 1) {
          throw new Error(`etcd /v3/kv/range: no revision in ${JSON.stringify(range)}`);
        }
        try {
          await etcdPost(etcdUrl, '/v3/kv/compaction', { revision: String(revision), physical: true });
        } catch (err) {
          // Compacting at an already compacted revision is the state we want anyway.
          if (!/compacted/.test((err as Error).message)) throw err;
        }
        return { revision };
      }),
    startupMs,
    cutProxy: () => proxy?.cut() ?? 0,
    holdProxy: () => proxy?.hold() ?? 0,
    releaseProxy: () => proxy?.release(),
    unexpectedExits: () => started.filter((s) => s.diedUnexpectedly()),
    stop: stopAll,
  };
}

/**
 * Removes old run folders (etcd data, certs, logs), keeping the newest `keep`.
 * A folder whose runner (the pid ending its name) is still alive is never removed:
 * several engineers may run integration tests on one machine at once.
 */
export function pruneRunDirs(root: string, keep: number): void {
  if (!existsSync(root)) return;
  const runs = readdirSync(root)
    .filter((e) => e.startsWith('run-'))
    .sort();
  for (const old of runs.slice(0, Math.max(0, runs.length - keep))) {
    const pid = Number(/-(\d+)$/.exec(old)?.[1]);
    if (Number.isInteger(pid) && isAlive(pid)) continue;
    rmSync(join(root, old), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
