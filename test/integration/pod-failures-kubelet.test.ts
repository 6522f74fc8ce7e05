/**
 * Pod failure lines end to end, as a user runs them: the built command (dist/kube-eventline.mjs,
 * `npm run build` first) on the bundle's config file with `podFailures` turned on, as the bundle's
 * ServiceAccount with the bundle's RBAC (plus the optional components deploy/components/pod-failures
 * and deploy/components/pod-logs where the test says so), against the real API server. Nothing of
 * the exporter is replaced: run.ts builds the real pods/log fetcher from the config.
 *
 * THE ONE FAKE: the kubelet (test/support/fake-kubelet.ts). No kubelet can run here, so the pods are
 * bound to a Node whose kubelet endpoint is that small HTTPS server on 127.0.0.1, and the test writes
 * their `status` as the kubelet would; the real API server proxies pods/log to the fake.
 */
import { execFile } from 'node:child_process';
import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EventLine } from '../../src/line/event-line.js';
import { requestLimitBytes } from '../../src/pods/log-tail.js';
import { KubeApiError, KubeHttp } from '../../src/watch/kube-http.js';
import { type Harness, harness } from '../harness/index.js';
import { freePort } from '../harness/server-process.js';
import { applyBundleRbac, clearExporterState, ExporterProcess, writeBundleConfig } from '../support/bundle-exporter.js';
import { eventually } from '../support/capture-sink.js';
import { type FakeKubelet, hostileTail, registerKubeletNode, startFakeKubelet } from '../support/fake-kubelet.js';
import { EventWriter } from '../support/kube-events.js';
import { repoPath } from '../support/real-events.js';

const run = promisify(execFile);
const NODE = `fake-kubelet-e2e-${process.pid}-${Date.now().toString(36)}`;
const BUNDLE_NS = 'kube-eventline';
const LOG_LINES = 5;
const COMPONENTS = ['deploy/components/pod-failures/rbac.yaml', 'deploy/components/pod-logs/rbac.yaml'];

let h: Harness;
let writer: EventWriter;
let admin: KubeHttp;
let kubelet: FakeKubelet;
let saKubeconfig: string;
const processes: ExporterProcess[] = [];
const namespaces: string[] = [];

async function kubectl(args: string[]): Promise<void> {
  try {
    await run(h.kube.kubectl, [...args, `--kubeconfig=${h.kube.adminKubeconfigPath}`], { cwd: repoPath() });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`kubectl ${args.join(' ')} failed:\n${e.stderr || e.message}`);
  }
}

const withoutComponents = () => Promise.all(COMPONENTS.map((file) => kubectl(['delete', '--ignore-not-found', '-f', file])));

/** The bundle's config.yaml as it is (metrics on a free port), plus what a user adds to turn pod failures on. */
async function startExporter(podNamespace: string): Promise<{ exporter: ExporterProcess; metricsPort: number }> {
  const metricsPort = await freePort();
  const configFile = writeBundleConfig(mkdtempSync(join(tmpdir(), 'eventline-pods-e2e-')), metricsPort);
  appendFileSync(
    configFile,
    `podFailures:\n  enabled: true\n  namespaces: [${podNamespace}]\n  logLines: ${LOG_LINES}\n  logBytes: 4096\n  logRequestsPerSecond: 20\n`,
  );
  await clearExporterState(admin);
  const exporter = new ExporterProcess({
    configFile,
    kubeconfig: saKubeconfig,
    metricsPort,
    env: { CLUSTER_NAME: 'e2e', POD_NAME: 'kube-eventline-pods-e2e', POD_NAMESPACE: BUNDLE_NS },
  });
  processes.push(exporter);
  return { exporter, metricsPort };
}

/** One sample of /metrics, by its exact labels; 0 when absent. */
async function sample(metricsPort: number, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

const iso = (ms = Date.now()) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** A pod bound to the fake kubelet's node, its status then written as that kubelet would. */
async function failingPod(ns: string, name: string, restartPolicy: string, status: Record<string, unknown>): Promise<void> {
  const container = status.name as string;
  await admin.sendJson('POST', `/api/v1/namespaces/${ns}/pods`, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns },
    spec: { nodeName: NODE, restartPolicy, containers: [{ name: container, image: `registry.invalid/${container}:1` }] },
  });
  const path = `/api/v1/namespaces/${ns}/pods/${name}`;
  const current = await admin.getJson<Record<string, unknown>>(path);
  await admin.sendJson('PUT', `${path}/status`, {
    ...current,
    status: {
      phase: 'Running',
      startTime: iso(Date.now() - 300_000),
      containerStatuses: [{ image: `registry.invalid/${container}:1`, imageID: '', ready: false, lastState: {}, ...status }],
    },
  });
}

const terminated = (reason: string, exitCode: number) => ({
  terminated: { reason, exitCode, startedAt: iso(Date.now() - 60_000), finishedAt: iso(Date.now() - 1000) },
});

beforeAll(async () => {
  h = await harness();
  writer = new EventWriter(h.kube.kubeConfig());
  admin = writer.api;
  kubelet = await startFakeKubelet(dirname(h.info.kube.caFile));
  await registerKubeletNode(admin, NODE, kubelet);
  await applyBundleRbac(h);
  saKubeconfig = await h.kube.serviceAccountKubeconfig(BUNDLE_NS, 'kube-eventline');
});

afterEach(async () => {
  while (processes.length) {
    const p = processes.pop()!;
    p.resumeStdout();
    await p.stop();
  }
});

afterAll(async () => {
  // The grants are optional: leave the cluster without them for the test files that follow.
  await withoutComponents().catch(() => undefined);
  for (const ns of namespaces) await admin?.sendJson('DELETE', `/api/v1/namespaces/${ns}`, {}).catch(() => undefined);
  await admin?.sendJson('DELETE', `/api/v1/nodes/${NODE}`, {}).catch(() => undefined);
  await kubelet?.close();
});

describe('podFailures as a user runs it', () => {
  it('without the pod-failures component: one warning naming the fix, Events still exported, Pods listed once the grant is applied', async () => {
    await withoutComponents();
    const ns = await writer.namespace('pods-forbidden');
    namespaces.push(ns);
    // The premise: the bundle's RBAC alone does not let its ServiceAccount list Pods.
    const kc = new KubeConfig();
    kc.loadFromFile(saKubeconfig);
    const refused = await new KubeHttp(kc).getJson(`/api/v1/namespaces/${ns}/pods`).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(KubeApiError);
    expect((refused as KubeApiError).statusCode).toBe(403);

    const { exporter, metricsPort } = await startExporter(ns);
    // The Event watch goes on.
    const event = await writer.create(ns, { reason: 'BackOff', type: 'Warning', objectName: 'api-1' });
    await eventually(`the Event's line\n${exporter.stderr}`, () => exporter.lines.some((l) => l.metadata.uid === event.metadata.uid));
    // Several refused lists of Pods (500 ms, 1 s, 2 s backoff) …
    await eventually('three refused Pod lists', async () => (await sample(metricsPort, 'kube_eventline_watch_restarts_total', 'reason="error"')) >= 3);
    // … said once, with what to do.
    // An RBAC refusal reads "…: 403 …is forbidden…"; a port or a time such as 40361 is not one.
    const refusals = exporter.stderr.split('\n').filter((l) => /forbidden|: 403 |\(403\)/i.test(l));
    expect(refusals, exporter.stderr).toHaveLength(1);
    expect(refusals[0]).toContain('deploy/components/pod-failures');
    expect(refusals[0]).toContain('podFailures.enabled: false');
    expect(JSON.parse(refusals[0]!)).toMatchObject({ level: 40 }); // pino's warn
    expect((await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).status).toBe(503);

    // The grant applied later: no restart needed.
    await kubectl(['apply', '--server-side', '--force-conflicts', '-f', COMPONENTS[0]!]);
    await exporter.ready(60_000);
    expect(exporter.badStdout).toEqual([]);
  });

  it('with both components: lines carry the fake kubelet’s last lines (previous=true after a restart, false for a container never restarted); a 500 leaves the tail out, counted', async () => {
    await Promise.all(COMPONENTS.map((file) => kubectl(['apply', '--server-side', '--force-conflicts', '-f', file])));
    const ns = await writer.namespace('pods-e2e');
    namespaces.push(ns);
    const { exporter, metricsPort } = await startExporter(ns);
    await exporter.ready();

    await failingPod(ns, 'oom', 'Always', { name: 'app', restartCount: 1, state: { running: { startedAt: iso() } }, lastState: terminated('OOMKilled', 137) });
    await failingPod(ns, 'once', 'Never', { name: 'job', restartCount: 0, state: terminated('Error', 1) });
    await failingPod(ns, 'flaky', 'Always', {
      name: 'broken',
      restartCount: 2,
      state: { waiting: { reason: 'CrashLoopBackOff' } },
      lastState: terminated('Error', 2),
    });
    const lineOf = (pod: string) => exporter.lines.find((l) => l.source.component === 'kube-eventline' && l.involvedObject.name === pod);
    await eventually(`the three pod failure lines\n${exporter.stderr}`, () => ['oom', 'once', 'flaky'].every((pod) => lineOf(pod)));
    const byPod = (pod: string): EventLine => lineOf(pod)!;

    expect(byPod('oom')).toMatchObject({
      reason: 'OOMKilled',
      level: 'error',
      namespace: ns,
      source: { component: 'kube-eventline', host: NODE },
      container: { name: 'app', exitCode: 137, restartCount: 1, logTail: hostileTail(LOG_LINES) },
    });
    expect(byPod('once')).toMatchObject({ reason: 'Error', container: { name: 'job', exitCode: 1, restartCount: 0, logTail: hostileTail(LOG_LINES) } });
    expect(byPod('flaky')).toMatchObject({ reason: 'Error', container: { name: 'broken', exitCode: 2, restartCount: 2 } });
    expect('logTail' in byPod('flaky').container!).toBe(false);

    // What the kubelet was asked, through the API server: the previous instance after a restart,
    // the current one for a container never restarted (the API server leaves previous=false out).
    const asked = (pod: string) => kubelet.requests.filter((r) => r.path.startsWith(`/containerLogs/${ns}/${pod}/`));
    const limitBytes = String(requestLimitBytes(4096));
    expect(asked('oom')).toEqual([{ method: 'GET', path: `/containerLogs/${ns}/oom/app`, query: { previous: 'true', tailLines: '5', limitBytes } }]);
    expect(asked('once')).toEqual([{ method: 'GET', path: `/containerLogs/${ns}/once/job`, query: { tailLines: '5', limitBytes } }]);
    expect(asked('flaky').map((r) => r.query.previous)).toEqual(['true']);

    const requests = (result: string) => sample(metricsPort, 'kube_eventline_pod_log_requests_total', `result="${result}"`);
    expect(await requests('ok')).toBe(2);
    expect(await requests('server_error')).toBe(1);
    // Pod notifications have a counter of their own; events_received_total stays about Events.
    expect(await sample(metricsPort, 'kube_eventline_pods_received_total', 'type="ADDED"')).toBeGreaterThanOrEqual(3);
    expect(await sample(metricsPort, 'kube_eventline_pods_received_total', 'type="MODIFIED"')).toBeGreaterThanOrEqual(3);

    expect(exporter.badStdout).toEqual([]);
    expect(exporter.stderr).not.toMatch(/forbidden|: 403 /i);
  });
});
