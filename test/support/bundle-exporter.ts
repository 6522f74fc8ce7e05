// The exporter as the bundle runs it, for integration tests: the bundle's RBAC applied for real
// (rendered from deploy/ by the harness kubectl), and the built command (dist/) as a child process.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import type { EventLine } from '../../src/line/event-line.js';
import { KubeApiError, type KubeHttp } from '../../src/watch/kube-http.js';
import type { Harness } from '../harness/index.js';
import { eventually } from './capture-sink.js';
import { repoPath } from './real-events.js';

const run = promisify(execFile);
const NS = 'kube-eventline';
export interface BundleObject {
  kind: string;
  metadata: { name: string; namespace?: string };
}

const RBAC_KINDS = new Set(['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);

/**
 * Renders deploy/ (the exporter, Fluent Bit and npd/ with the namespace the bundle sets) and applies
 * its Namespaces, ServiceAccounts and RBAC to the harness API server, server-side, as an admin would.
 * Returns what it applied.
 */
export async function applyBundleRbac(h: Harness): Promise<BundleObject[]> {
  const { stdout } = await run(h.kube.kubectl, ['kustomize', repoPath('deploy')], { maxBuffer: 64 * 1024 * 1024 });
  const rbac = parseAllDocuments(stdout)
    .map((d) => d.toJS() as BundleObject)
    .filter((o) => RBAC_KINDS.has(o.kind));
  const rbacFile = join(mkdtempSync(join(tmpdir(), 'eventline-bundle-')), 'rbac.json');
  writeFileSync(rbacFile, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: rbac }));
  await run(h.kube.kubectl, ['--kubeconfig', h.kube.adminKubeconfigPath, 'apply', '--server-side', '--force-conflicts', '-f', rbacFile]);
  return rbac;
}

/**
 * Writes deploy/exporter/config.yaml to `dir`, unchanged but for the metrics port (2112 may be
 * taken on a test machine), and returns its path.
 */
export function writeBundleConfig(dir: string, metricsPort: number): string {
  const bundleConfig = readFileSync(repoPath('deploy', 'exporter', 'config.yaml'), 'utf8');
  if (!/port: 2112\n/.test(bundleConfig)) throw new Error('deploy/exporter/config.yaml: no "port: 2112" line to move to a free port');
  const configFile = join(dir, 'config.yaml');
  writeFileSync(configFile, bundleConfig.replace('port: 2112\n', `port: ${metricsPort}\n`));
  return configFile;
}

/** Deletes the checkpoint ConfigMap and the Lease an earlier exporter left, so the next start is a first start. */
export async function clearExporterState(api: KubeHttp): Promise<void> {
  const checkpoints = ['', '-1', '-2', '-3', '-4'].map((shard) => `/api/v1/namespaces/${NS}/configmaps/kube-eventline-checkpoint${shard}`);
  for (const path of [...checkpoints, `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/kube-eventline`]) {
    await api.sendJson('DELETE', path, {}).catch((err: unknown) => {
      if (!(err instanceof KubeApiError && err.statusCode === 404)) throw err;
    });
  }
}

/** One exporter process (dist/kube-eventline.mjs): its stdout parsed line by line, its stderr kept. */
export class ExporterProcess {
  readonly lines: EventLine[] = [];
  readonly badStdout: string[] = [];
  stderr = '';
  private readonly child: ChildProcess;
  private readonly metricsPort: number;
  readonly exited: Promise<number | null>;

  /** `metricsPort` must be the one `configFile` serves /metrics and the probes on. */
  /** `nodeFlags`: V8 flags for the child, e.g. the Deployment's NODE_OPTIONS. */
  constructor(opts: { configFile: string; kubeconfig: string; metricsPort: number; env: Record<string, string>; nodeFlags?: string[] }) {
    this.metricsPort = opts.metricsPort;
    this.child = spawn(
      process.execPath,
      [...(opts.nodeFlags ?? []), repoPath('dist', 'kube-eventline.mjs'), '--config', opts.configFile, '--kubeconfig', opts.kubeconfig],
      {
        env: { PATH: process.env.PATH, ...opts.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let pending = '';
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const text = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        try {
          const parsed = JSON.parse(text) as EventLine;
          if (typeof parsed.delta === 'number' && parsed.metadata?.uid) this.lines.push(parsed);
          else this.badStdout.push(text);
        } catch {
          this.badStdout.push(text);
        }
      }
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    // 'close', not 'exit': by then stdout has been read to its end, so `lines` holds every line.
    this.exited = new Promise((resolve) => this.child.on('close', (code) => resolve(code)));
  }

  async ready(timeoutMs = 60_000): Promise<void> {
    await eventually(
      `exporter ready on :${this.metricsPort}/readyz\n${this.stderr}`,
      async () => {
        try {
          return (await fetch(`http://127.0.0.1:${this.metricsPort}/readyz`)).status === 200;
        } catch {
          return false;
        }
      },
      timeoutMs,
    );
  }

  /** Stops reading stdout, as a slow or stuck log shipper would: the pipe fills, then the exporter's buffer. */
  pauseStdout(): void {
    this.child.stdout!.pause();
  }

  resumeStdout(): void {
    this.child.stdout!.resume();
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The process's peak resident set so far (VmHWM), in MiB; undefined once it has exited. */
  peakRssMiB(): number | undefined {
    try {
      const kib = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'))?.[1];
      return kib === undefined ? undefined : Number(kib) / 1024;
    } catch {
      return undefined;
    }
  }

  /** A crash: SIGKILL, no flush, no checkpoint, no lease release. */
  async kill(): Promise<number | null> {
    this.child.kill('SIGKILL');
    return this.exited;
  }

  get exitCode(): number | null {
    return this.child.exitCode;
  }

  async metric(name: string): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${this.metricsPort}/metrics`)).text();
    const samples = text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
    return samples.reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  }

  async stop(): Promise<number | null> {
    this.child.kill('SIGTERM');
    return this.exited;
  }
}
