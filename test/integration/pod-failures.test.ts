// Pod failure lines (issue #14) against the harness's real API server. There is no kubelet here
// (none can run in this environment), so the test writes Pods and their `status` subresource as
// the kubelet would: container states, restart counts, start and finish times. Everything else
// is real: the API server's list and watch of Pods, the owner chain enrichment follows, the
// checkpoint file between two exporters.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { EventLine } from '../../src/line/event-line.js';
import type { LogTailFetcher, LogTailRequest } from '../../src/pods/log-tail.js';
import { type RunningExporter, runExporter } from '../../src/run.js';
import type { KubeHttp } from '../../src/watch/kube-http.js';
import { type Harness, harness } from '../harness/index.js';
import { CaptureSink, eventually } from '../support/capture-sink.js';
import { EventWriter } from '../support/kube-events.js';

const quiet = pino({ level: 'warn' }, pino.destination(2));
const fastWatch = { minBackoffMs: 100, maxBackoffMs: 1000, timeoutSeconds: 60 };
/** Long enough that the sentinel's line comes well inside it, short enough to wait for its end. */
const GRACE_SECONDS = 8;

let h: Harness;
let writer: EventWriter;
let api: KubeHttp;
const running: RunningExporter[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  h = await harness();
  writer = new EventWriter(h.kube.kubeConfig());
  api = writer.api;
});

afterEach(async () => {
  while (running.length) await running.pop()!.stop();
});

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(h.kube.proxy.kubeconfigPath);
  return kc;
}

async function start(ns: string, out: CaptureSink, extra = '', options: { logLines?: number; logTail?: LogTailFetcher } = {}): Promise<RunningExporter> {
  const yaml =
    `namespaces: [${ns}]\nmaxEventAgeSeconds: 600\n` +
    `podFailures: {enabled: true, namespaces: [${ns}], gracePeriodSeconds: ${GRACE_SECONDS}, logLines: ${options.logLines ?? 0}}\n${extra}`;
  const { config } = loadConfig(yaml, 'test.yaml', {});
  const exporter = await runExporter(config, kubeConfig(), quiet, {
    sinks: new Map([[out.name, out]]),
    watch: fastWatch,
    ...(options.logTail ? { logTail: options.logTail } : {}),
  });
  running.push(exporter);
  await eventually('exporter ready (Events and Pods listed)', () => exporter.exporter.ready);
  return exporter;
}

const podLines = (out: CaptureSink): EventLine[] => out.lines.filter((l) => l.source.component === 'kube-eventline');
const iso = (ms = Date.now()) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

type Owner = { apiVersion: string; kind: string; name: string; uid: string; controller: true };

async function createPod(ns: string, name: string, options: { owner?: Owner; containers?: string[]; finalizer?: boolean; restartPolicy?: string } = {}) {
  const containers = options.containers ?? ['app'];
  return api.sendJson<{ metadata: { uid: string; name: string } }>('POST', `/api/v1/namespaces/${ns}/pods`, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: ns,
      ...(options.owner ? { ownerReferences: [options.owner] } : {}),
      ...(options.finalizer ? { finalizers: ['test.kube-eventline.invalid/hold'] } : {}),
    },
    spec: {
      nodeName: 'node-1',
      restartPolicy: options.restartPolicy ?? 'Always',
      containers: containers.map((c) => ({ name: c, image: `registry.invalid/${c}:1` })),
    },
  });
}

type ContainerState = Record<string, unknown>;

/** Writes the pod's status as the kubelet would: one container status per entry. */
async function writeStatus(
  ns: string,
  name: string,
  statuses: Array<{ name: string; restartCount: number; state: ContainerState; lastState?: ContainerState }>,
  startTime = iso(),
  conditions: object[] = [],
): Promise<{ metadata: { resourceVersion: string } }> {
  const path = `/api/v1/namespaces/${ns}/pods/${name}`;
  const current = await api.getJson<Record<string, unknown>>(path);
  return api.sendJson('PUT', `${path}/status`, {
    ...current,
    status: {
      phase: 'Running',
      startTime,
      conditions,
      containerStatuses: statuses.map((s) => ({
        name: s.name,
        image: `registry.invalid/${s.name}:1`,
        imageID: '',
        ready: false,
        restartCount: s.restartCount,
        state: s.state,
        lastState: s.lastState ?? {},
      })),
    },
  });
}

const oomKilled = (finishedAgoSeconds = 1) => ({
  terminated: { reason: 'OOMKilled', exitCode: 137, startedAt: iso(Date.now() - 60_000), finishedAt: iso(Date.now() - finishedAgoSeconds * 1000) },
});

/**
 * The sentinel.ts way for Pods: a pod written last whose container fails at once; the exporter
 * handles one watch's notifications in order, so once its line is out, every line the earlier
 * writes could cause is out too. Returns the pod failure lines before it.
 */
async function podLinesBeforeSentinel(ns: string, out: CaptureSink): Promise<EventLine[]> {
  const name = `sentinel-${randomUUID().slice(0, 8)}`;
  await createPod(ns, name, { containers: ['sentinel'] });
  await writeStatus(ns, name, [{ name: 'sentinel', restartCount: 0, state: { terminated: { reason: 'Error', exitCode: 1, finishedAt: iso() } } }]);
  await eventually(`the sentinel pod ${name}'s line`, () => podLines(out).some((l) => l.involvedObject.name === name));
  const lines = podLines(out);
  return lines.slice(
    0,
    lines.findIndex((l) => l.involvedObject.name === name),
  );
}

describe('pod failure lines against the real API server', () => {
  it("a Deployment's pod OOMKilled (exit 137) gives one line naming the Deployment; the same status again gives nothing", async () => {
    const ns = await writer.namespace('pods-oom');
    const deployment = await api.sendJson<{ metadata: { uid: string } }>('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: ns },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'registry.invalid/app:1' }] } },
      },
    });
    const replicaSet = await api.sendJson<{ metadata: { uid: string } }>('POST', `/apis/apps/v1/namespaces/${ns}/replicasets`, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: 'web-7d9c',
        namespace: ns,
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: deployment.metadata.uid, controller: true }],
      },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'registry.invalid/app:1' }] } },
      },
    });
    const out = new CaptureSink('stdout');
    await start(ns, out);
    const pod = await createPod(ns, 'web-7d9c-x2x', {
      owner: { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d9c', uid: replicaSet.metadata.uid, controller: true },
    });
    const status = [{ name: 'app', restartCount: 0, state: oomKilled() }];
    const startTime = iso();
    const written = await writeStatus(ns, 'web-7d9c-x2x', status, startTime);
    const first = await podLinesBeforeSentinel(ns, out);
    expect(first).toHaveLength(1);
    const line = first[0]!;
    expect(line).toMatchObject({
      level: 'error',
      reason: 'OOMKilled',
      type: 'Warning',
      delta: 1,
      count: 1,
      namespace: ns,
      source: { component: 'kube-eventline', host: 'node-1' },
      metadata: { name: 'web-7d9c-x2x', uid: `${pod.metadata.uid}/app` },
      involvedObject: {
        kind: 'Pod',
        name: 'web-7d9c-x2x',
        uid: pod.metadata.uid,
        fieldPath: 'spec.containers{app}',
        workload: { kind: 'Deployment', name: 'web' },
      },
      container: { name: 'app', type: 'regular', reason: 'OOMKilled', exitCode: 137, signal: 9, restartCount: 0 },
    });
    expect(line.message).toMatch(/exit code 137/);

    // The kubelet writes the same container status again with another field changed (a condition):
    // a real MODIFIED (the resourceVersion moved; an identical write would not even be one), nothing new.
    const rewritten = await writeStatus(ns, 'web-7d9c-x2x', status, startTime, [{ type: 'Ready', status: 'False', reason: 'ContainersNotReady' }]);
    expect(rewritten.metadata.resourceVersion).not.toBe(written.metadata.resourceVersion);
    const again = (await podLinesBeforeSentinel(ns, out)).filter((l) => !l.involvedObject.name?.startsWith('sentinel-'));
    expect(again).toEqual([line]);
  });

  it("gives nothing for a Job's pod exiting 0 or a pod being deleted", async () => {
    const ns = await writer.namespace('pods-quiet');
    const out = new CaptureSink('stdout');
    await start(ns, out);
    await createPod(ns, 'report-28xk', {
      restartPolicy: 'Never',
      owner: { apiVersion: 'batch/v1', kind: 'Job', name: 'report', uid: randomUUID(), controller: true },
    });
    await writeStatus(ns, 'report-28xk', [
      { name: 'app', restartCount: 0, state: { terminated: { reason: 'Completed', exitCode: 0, startedAt: iso(Date.now() - 5000), finishedAt: iso() } } },
    ]);
    await createPod(ns, 'leaving', { finalizer: true });
    await api.sendJson('DELETE', `/api/v1/namespaces/${ns}/pods/leaving`, {});
    const deleting = await api.getJson<{ metadata: { deletionTimestamp?: string } }>(`/api/v1/namespaces/${ns}/pods/leaving`);
    expect(deleting.metadata.deletionTimestamp).toBeTruthy();
    await writeStatus(ns, 'leaving', [{ name: 'app', restartCount: 0, state: { terminated: { reason: 'Error', exitCode: 143, finishedAt: iso() } } }]);
    expect(await podLinesBeforeSentinel(ns, out)).toEqual([]);
    const leaving = await api.getJson<Record<string, unknown>>(`/api/v1/namespaces/${ns}/pods/leaving`);
    await api.sendJson('PUT', `/api/v1/namespaces/${ns}/pods/leaving`, { ...leaving, metadata: { ...(leaving.metadata as object), finalizers: [] } });
  });

  it('waiting failures: nothing inside the grace period (ContainerCreating, ImagePullBackOff), one line for ImagePullBackOff once it has passed', async () => {
    const ns = await writer.namespace('pods-grace');
    const out = new CaptureSink('stdout');
    await start(ns, out);
    await createPod(ns, 'creating');
    await writeStatus(ns, 'creating', [{ name: 'app', restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }]);
    const startedAt = Date.now();
    await createPod(ns, 'pulling');
    await writeStatus(
      ns,
      'pulling',
      [{ name: 'app', restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "registry.invalid/app:1"' } } }],
      iso(startedAt),
    );
    const inGrace = await podLinesBeforeSentinel(ns, out);
    // The sentinel's line came inside the grace period, or this proves nothing.
    expect(Date.now() - startedAt).toBeLessThan(GRACE_SECONDS * 1000 - 1000);
    expect(inGrace).toEqual([]);
    // No status update comes: the exporter looks at the pod again when the grace period ends.
    await eventually('the ImagePullBackOff line after the grace period', () => podLines(out).some((l) => l.involvedObject.name === 'pulling'));
    // Re-pulling, as the kubelet does (ErrImagePull ↔ ImagePullBackOff), is the same failure.
    await writeStatus(ns, 'pulling', [{ name: 'app', restartCount: 0, state: { waiting: { reason: 'ErrImagePull' } } }], iso(startedAt));
    await writeStatus(ns, 'pulling', [{ name: 'app', restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff' } } }], iso(startedAt));
    const lines = (await podLinesBeforeSentinel(ns, out)).filter((l) => !l.involvedObject.name?.startsWith('sentinel-'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      reason: 'ImagePullBackOff',
      level: 'warning',
      delta: 1,
      container: { name: 'app', reason: 'ImagePullBackOff', restartCount: 0 },
    });
    expect(Date.parse(lines[0]!.time)).toBeGreaterThanOrEqual(startedAt + GRACE_SECONDS * 1000 - 1000);
  });

  it('a restart count going from 3 to 7 while the exporter was stopped gives one line with delta 4 after a restart from the checkpoint', async () => {
    const ns = await writer.namespace('pods-restart');
    const dir = mkdtempSync(join(tmpdir(), 'pods-checkpoint-'));
    dirs.push(dir);
    const checkpoint = `checkpoint: {file: ${join(dir, 'checkpoint')}, intervalSeconds: 3600}\n`;
    const before = new CaptureSink('stdout');
    const first = await start(ns, before, checkpoint);
    await createPod(ns, 'worker');
    const crashLoop = (restartCount: number) => [{ name: 'app', restartCount, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: oomKilled() }];
    await writeStatus(ns, 'worker', crashLoop(3), iso(Date.now() - 600_000));
    const atThree = (await podLinesBeforeSentinel(ns, before)).filter((l) => l.involvedObject.name === 'worker');
    expect(atThree.map((l) => [l.reason, l.count, l.delta])).toEqual([['OOMKilled', 3, 3]]);
    running.splice(running.indexOf(first), 1);
    await first.stop(); // graceful: the checkpoint is saved

    await writeStatus(ns, 'worker', crashLoop(7), iso(Date.now() - 600_000));
    const after = new CaptureSink('stdout');
    await start(ns, after, checkpoint);
    const lines = (await podLinesBeforeSentinel(ns, after)).filter((l) => !l.involvedObject.name?.startsWith('sentinel-'));
    expect(lines.map((l) => [l.involvedObject.name, l.reason, l.count, l.delta])).toEqual([['worker', 'OOMKilled', 7, 4]]);
  });

  it('levels and routes apply to pod failure lines as to Events: a level rule overrides OOMKilled, a drop rule drops a reason', async () => {
    const ns = await writer.namespace('pods-rules');
    const out = new CaptureSink('stdout');
    await start(
      ns,
      out,
      [
        'levels:',
        '  - { reason: "^OOMKilled$", level: fatal }',
        'route:',
        '  drop:',
        '    - reason: "^ImagePullBackOff$"',
        '  match:',
        '    - receiver: stdout',
        '',
      ].join('\n'),
    );
    await createPod(ns, 'oom');
    await writeStatus(ns, 'oom', [{ name: 'app', restartCount: 1, state: { running: {} }, lastState: oomKilled() }]);
    await createPod(ns, 'pull');
    await writeStatus(ns, 'pull', [{ name: 'app', restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff' } } }], iso(Date.now() - 600_000));
    await createPod(ns, 'crash');
    const crashed = { terminated: { reason: 'Error', exitCode: 2, startedAt: iso(Date.now() - 60_000), finishedAt: iso(Date.now() - 1000) } };
    await writeStatus(ns, 'crash', [{ name: 'app', restartCount: 1, state: { running: {} }, lastState: crashed }]);
    const lines = (await podLinesBeforeSentinel(ns, out)).filter((l) => !l.involvedObject.name?.startsWith('sentinel-'));
    // The built-in level of OOMKilled is error; the user's rule wins. ImagePullBackOff is dropped, Error keeps its built-in level.
    expect(lines.map((l) => [l.involvedObject.name, l.reason, l.level])).toEqual([
      ['oom', 'OOMKilled', 'fatal'],
      ['crash', 'Error', 'warning'],
    ]);
  });

  it('the log-tail seam: called for terminated containers only when logLines > 0, its answer in container.logTail', async () => {
    // A stand-in fetcher: what is tested here is this side of the seam, when it is called, with what,
    // and where its answer goes (src/pods/log-tail.ts end to end: pod-log-tail.test.ts).
    const ns = await writer.namespace('pods-tail');
    const asked: LogTailRequest[] = [];
    const logTail: LogTailFetcher = async (req) => {
      asked.push(req);
      if (req.pod === 'throws') throw new Error('a fetcher that throws instead of answering undefined');
      return req.pod === 'no-tail' ? undefined : `last lines of ${req.container}\nout of memory`;
    };
    const out = new CaptureSink('stdout');
    await start(ns, out, '', { logLines: 5, logTail });
    await createPod(ns, 'tailed');
    await writeStatus(ns, 'tailed', [{ name: 'app', restartCount: 1, state: { running: {} }, lastState: oomKilled() }]);
    await createPod(ns, 'no-tail');
    await writeStatus(ns, 'no-tail', [{ name: 'app', restartCount: 1, state: { running: {} }, lastState: oomKilled() }]);
    await createPod(ns, 'throws');
    await writeStatus(ns, 'throws', [{ name: 'app', restartCount: 1, state: { running: {} }, lastState: oomKilled() }]);
    await createPod(ns, 'pulling');
    await writeStatus(ns, 'pulling', [{ name: 'app', restartCount: 0, state: { waiting: { reason: 'ErrImagePull' } } }], iso(Date.now() - 600_000));
    const lines = (await podLinesBeforeSentinel(ns, out)).filter((l) => !l.involvedObject.name?.startsWith('sentinel-'));
    expect(lines.map((l) => [l.involvedObject.name, l.reason, l.container?.logTail])).toEqual([
      ['tailed', 'OOMKilled', 'last lines of app\nout of memory'],
      ['no-tail', 'OOMKilled', undefined],
      ['throws', 'OOMKilled', undefined],
      ['pulling', 'ErrImagePull', undefined],
    ]);
    expect(asked.filter((r) => !r.pod.startsWith('sentinel-'))).toEqual([
      { namespace: ns, pod: 'tailed', container: 'app', previous: true },
      { namespace: ns, pod: 'no-tail', container: 'app', previous: true },
      { namespace: ns, pod: 'throws', container: 'app', previous: true },
    ]);

    // logLines 0 (the default): never called, even when a fetcher is given.
    asked.length = 0;
    const ns2 = await writer.namespace('pods-notail');
    const out2 = new CaptureSink('stdout');
    await start(ns2, out2, '', { logLines: 0, logTail });
    await createPod(ns2, 'tailed');
    await writeStatus(ns2, 'tailed', [{ name: 'app', restartCount: 1, state: { running: {} }, lastState: oomKilled() }]);
    const quietLines = (await podLinesBeforeSentinel(ns2, out2)).filter((l) => !l.involvedObject.name?.startsWith('sentinel-'));
    expect(quietLines.map((l) => [l.reason, 'logTail' in (l.container ?? {})])).toEqual([['OOMKilled', false]]);
    expect(asked).toEqual([]);
  });
});
