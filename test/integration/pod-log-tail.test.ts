/**
 * The last log lines of a failed container through the REAL API server: pods/log, authorized by
 * RBAC (the bundle's ServiceAccount and RBAC plus the optional component
 * deploy/components/pod-logs, applied as they are), the pod and its node looked up by the API
 * server, which proxies the request to the node's kubelet.
 *
 * THE ONE FAKE: the kubelet (test/support/fake-kubelet.ts, which says why and what the API server
 * needs for it). No kubelet can run here (no container runtime), so the Node this test registers
 * names that small HTTPS server of the test as its kubelet endpoint.
 */

import { execFile } from 'node:child_process';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogTailFetcher, type LogTailOptions, requestLimitBytes } from '../../src/pods/log-tail.js';
import { CUT_BEFORE } from '../../src/pods/tail-text.js';
import { ExporterMetrics } from '../../src/serve/metrics.js';
import { KubeHttp } from '../../src/watch/kube-http.js';
import { type Harness, harness } from '../harness/index.js';
import { applyBundleRbac } from '../support/bundle-exporter.js';
import { type FakeKubelet, HOSTILE_LOG as HOSTILE, hostileTail, registerKubeletNode, startFakeKubelet } from '../support/fake-kubelet.js';
import { REPO } from '../unit/deploy-checks.js';

const run = promisify(execFile);
const RUN = `${process.pid}-${Date.now().toString(36)}`;
const NS = `pod-log-tail-${RUN}`;
const NODE = `fake-kubelet-${RUN}`;
const POD = 'crashing-api';
/** The bundle's ServiceAccount, which deploy/components/pod-logs binds. */
const BUNDLE_NS = 'kube-eventline';
const BUNDLE_SA = 'kube-eventline';

let h: Harness;
let admin: KubeHttp;
let kubelet: FakeKubelet;

async function kubectl(args: string[]): Promise<string> {
  try {
    return (await run(h.kube.kubectl, [...args, `--kubeconfig=${h.kube.adminKubeconfigPath}`], { cwd: REPO })).stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`kubectl ${args.join(' ')} failed:\n${e.stderr || e.message}`);
  }
}

async function kubeHttpOf(namespace: string, serviceAccount: string): Promise<KubeHttp> {
  const kc = new KubeConfig();
  kc.loadFromFile(await h.kube.serviceAccountKubeconfig(namespace, serviceAccount));
  return new KubeHttp(kc);
}

/** A fetcher as the exporter builds it, counting into a real ExporterMetrics, warnings kept. */
function fetcherFor(api: KubeHttp, options: Partial<LogTailOptions> = {}) {
  const metrics = new ExporterMetrics('kube_eventline_', false);
  const warnings: Array<Record<string, unknown>> = [];
  const fetch = createLogTailFetcher(api, {
    lines: 5,
    bytes: 4096,
    perSecond: 100,
    metrics,
    log: { warn: (fields: Record<string, unknown>) => void warnings.push(fields) } as never,
    ...options,
  });
  const count = async (result: string) => {
    const metric = await metrics.registry.getSingleMetric('kube_eventline_pod_log_requests_total')!.get();
    return metric.values.find((v) => v.labels.result === result)?.value ?? 0;
  };
  return { fetch, count, warnings };
}

beforeAll(async () => {
  h = await harness();
  admin = new KubeHttp(h.kube.kubeConfig());
  kubelet = await startFakeKubelet(dirname(h.info.kube.caFile));

  // The node, as a kubelet registers it: its address and the port its server listens on.
  await registerKubeletNode(admin, NODE, kubelet);

  await admin.sendJson('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  const container = (name: string) => ({ name, image: 'registry.invalid/crashing-api:1.0' });
  await admin.sendJson('POST', `/api/v1/namespaces/${NS}/pods`, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: POD, namespace: NS },
    // Bound as the scheduler would: the API server finds the kubelet through spec.nodeName.
    spec: { nodeName: NODE, containers: ['app', 'broken', 'hung', 'gone'].map(container) },
  });

  // The bundle's ServiceAccount and RBAC, plus the optional component, applied exactly as they are.
  await applyBundleRbac(h);
  await kubectl(['apply', '--server-side', '--force-conflicts', '-f', 'deploy/components/pod-logs/rbac.yaml']);
  // And one without it, in the test's namespace.
  await admin.sendJson('POST', `/api/v1/namespaces/${NS}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'no-pod-logs' } });
});

afterAll(async () => {
  // The grant is optional: leave the cluster without it for the test files that follow.
  await kubectl(['delete', '--ignore-not-found', '-f', 'deploy/components/pod-logs/rbac.yaml']).catch(() => undefined);
  await admin?.sendJson('DELETE', `/api/v1/namespaces/${NS}/pods/${POD}`, { gracePeriodSeconds: 0 }).catch(() => undefined);
  await admin?.sendJson('DELETE', `/api/v1/nodes/${NODE}`, {}).catch(() => undefined);
  await admin?.sendJson('DELETE', `/api/v1/namespaces/${NS}`, {}).catch(() => undefined);
  await kubelet?.close();
});

describe('pods/log through the real API server to the (fake) kubelet', () => {
  it('the last N lines of the previous instance, hostile content intact, as the kubelet was asked', async () => {
    const { fetch, count, warnings } = fetcherFor(await kubeHttpOf(BUNDLE_NS, BUNDLE_SA), { lines: 5, bytes: 4096 });
    const before = kubelet.requests.length;
    const started = performance.now();
    const tail = await fetch({ namespace: NS, pod: POD, container: 'app' });
    console.log(`[pod-log-tail] one pods/log request through the API server to the kubelet: ${(performance.now() - started).toFixed(1)} ms`);

    // The API server passed the request on: the kubelet's path, the previous instance, the limits.
    expect(kubelet.requests.slice(before)).toEqual([
      {
        method: 'GET',
        path: `/containerLogs/${NS}/${POD}/app`,
        query: { previous: 'true', tailLines: '5', limitBytes: String(requestLimitBytes(4096)) },
      },
    ]);
    // Exactly the last five lines; invalid UTF-8 as U+FFFD, everything else as printed.
    expect(tail).toBe(hostileTail(5));
    // In a JSON line it is one escaped string that reads back unchanged.
    const line = JSON.stringify({ container: { name: 'app', logTail: tail } });
    // biome-ignore lint/suspicious/noControlCharactersInRegex: no raw control character may reach the line
    expect(line).not.toMatch(/[\u0000-\u001f]/);
    expect(line.split('\n')).toHaveLength(1);
    expect(JSON.parse(line).container.logTail).toBe(tail);
    expect(await count('ok')).toBe(1);
    expect(warnings).toEqual([]);
  });

  it('capped to logBytes: the last whole lines that fit, after the cut marker, at most logBytes', async () => {
    const { fetch } = fetcherFor(await kubeHttpOf(BUNDLE_NS, BUNDLE_SA), { lines: 40, bytes: 300 });
    const tail = (await fetch({ namespace: NS, pod: POD, container: 'app' }))!;
    expect(kubelet.requests.at(-1)!.query).toMatchObject({ tailLines: '40', previous: 'true' });
    expect(Buffer.byteLength(tail)).toBeLessThanOrEqual(300);
    expect(tail.startsWith(`${CUT_BEFORE}\n`)).toBe(true);
    const kept = tail.slice(CUT_BEFORE.length + 1).split('\n');
    expect(kept.length).toBeGreaterThanOrEqual(2);
    expect(kept).toEqual(HOSTILE.slice(-kept.length).map((l) => l.text));
  });

  it('a container never restarted: its current instance (previous=false)', async () => {
    const { fetch } = fetcherFor(await kubeHttpOf(BUNDLE_NS, BUNDLE_SA), { lines: 1 });
    expect(await fetch({ namespace: NS, pod: POD, container: 'app', previous: false })).toBe(HOSTILE.at(-1)!.text);
    expect(kubelet.requests.at(-1)!.query).toEqual({ tailLines: '1', limitBytes: String(requestLimitBytes(4096)) });
  });

  it('a kubelet answering 500: undefined, counted server_error, warned once', async () => {
    const { fetch, count, warnings } = fetcherFor(await kubeHttpOf(BUNDLE_NS, BUNDLE_SA));
    const before = kubelet.requests.length;
    expect(await fetch({ namespace: NS, pod: POD, container: 'broken' })).toBeUndefined();
    expect(await fetch({ namespace: NS, pod: POD, container: 'broken' })).toBeUndefined();
    expect(kubelet.requests.length - before).toBe(2);
    expect(await count('server_error')).toBe(2);
    expect(await count('ok')).toBe(0);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ result: 'server_error', namespace: NS, pod: POD, container: 'broken' });
    expect(String(warnings[0]!.reason)).toMatch(/the runtime is down/);
  });

  it('a kubelet that never answers: undefined within the timeout, counted timeout', async () => {
    const { fetch, count } = fetcherFor(await kubeHttpOf(BUNDLE_NS, BUNDLE_SA), { timeoutMs: 1500 });
    const before = kubelet.requests.length;
    const started = performance.now();
    expect(await fetch({ namespace: NS, pod: POD, container: 'hung' })).toBeUndefined();
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(1400);
    expect(took).toBeLessThan(10_000);
    // It reached the kubelet: the wait was the kubelet's, not the API server's.
    expect(kubelet.requests.slice(before).map((r) => r.path)).toEqual([`/containerLogs/${NS}/${POD}/hung`]);
    expect(await count('timeout')).toBe(1);
  });

  it('the previous instance already gone (the kubelet answers 400): undefined, counted bad_request', async () => {
    const { fetch, count, warnings } = fetcherFor(await kubeHttpOf(BUNDLE_NS, BUNDLE_SA));
    expect(await fetch({ namespace: NS, pod: POD, container: 'gone' })).toBeUndefined();
    expect(await count('bad_request')).toBe(1);
    expect(String(warnings[0]?.reason)).toMatch(/previous terminated container "gone"/);
  });

  it('without the pod-logs component: 403 from the API server, the kubelet never asked, counted forbidden', async () => {
    const { fetch, count, warnings } = fetcherFor(await kubeHttpOf(NS, 'no-pod-logs'));
    const before = kubelet.requests.length;
    expect(await fetch({ namespace: NS, pod: POD, container: 'app' })).toBeUndefined();
    expect(kubelet.requests.length).toBe(before);
    expect(await count('forbidden')).toBe(1);
    expect(warnings[0]).toMatchObject({ result: 'forbidden' });
    expect(String(warnings[0]!.hint)).toContain('deploy/components/pod-logs');
  });

  it('a pod that does not exist: 404, counted not_found; the rate limit holds against the real server', async () => {
    const { fetch, count } = fetcherFor(await kubeHttpOf(BUNDLE_NS, BUNDLE_SA), { perSecond: 1 });
    const before = kubelet.requests.length;
    expect(await Promise.all([fetch({ namespace: NS, pod: 'no-such-pod', container: 'app' }), fetch({ namespace: NS, pod: POD, container: 'app' })])).toEqual([
      undefined,
      undefined,
    ]);
    expect(await count('not_found')).toBe(1);
    expect(await count('throttled')).toBe(1);
    expect(kubelet.requests.length).toBe(before);
  });
});
