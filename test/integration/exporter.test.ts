import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import pino from 'pino';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { EventLine, RawEvent } from '../../src/line/event-line.js';
import { type RunningExporter, runExporter } from '../../src/run.js';
import { type Harness, harness } from '../harness/index.js';
import { CaptureSink, eventually, occurrenceLedger } from '../support/capture-sink.js';
import { EventWriter } from '../support/kube-events.js';
import { repoPath } from '../support/real-events.js';
import { linesBeforeSentinel } from '../support/sentinel.js';

const quiet = pino({ level: 'warn' }, pino.destination(2));
const fastWatch = { minBackoffMs: 100, maxBackoffMs: 1000, timeoutSeconds: 60 };

let h: Harness;
let writer: EventWriter;
const running: RunningExporter[] = [];

beforeAll(async () => {
  h = await harness();
  writer = new EventWriter(h.kube.kubeConfig());
});

afterEach(async () => {
  while (running.length) await running.pop()!.stop();
});

function kubeConfigAt(path: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

async function start(configYaml: string, sinks: CaptureSink[], kubeconfigPath = h.kube.proxy.kubeconfigPath): Promise<RunningExporter> {
  const { config } = loadConfig(configYaml, 'test.yaml', {});
  const exporter = await runExporter(config, kubeConfigAt(kubeconfigPath), quiet, {
    sinks: new Map(sinks.map((s) => [s.name, s])),
    watch: fastWatch,
  });
  running.push(exporter);
  await eventually('exporter ready', () => exporter.exporter.ready);
  return exporter;
}

async function metric(exporter: RunningExporter, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = await exporter.metrics.registry.getSingleMetric(`kube_eventline_${name}`)!.get();
  return m.values.filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val)).reduce((n, v) => n + v.value, 0);
}

describe('exporter against the real API server', () => {
  it('writes every created Event once and every count increase once, with the right delta', async () => {
    const ns = await writer.namespace('once');
    const out = new CaptureSink('stdout');
    await start(`namespaces: [${ns}]\nmaxEventAgeSeconds: 600\nenrichment: {enabled: false}\n`, [out]);
    const created: RawEvent[] = [];
    for (let i = 0; i < 15; i++)
      created.push(await writer.create(ns, { reason: i % 3 ? 'Pulled' : 'BackOff', type: i % 3 ? 'Normal' : 'Warning', objectName: `pod-${i}` }));
    const backoff = created[0]!;
    await writer.bump(backoff, 2);
    await writer.bump(backoff, 4);
    await writer.touch(backoff); // a MODIFIED without a new occurrence
    const lines = await linesBeforeSentinel(writer, ns, out);

    expect(lines).toHaveLength(17);
    const ofBackoff = lines.filter((l) => l.metadata.uid === backoff.metadata.uid);
    expect(ofBackoff.map((l) => [l.count, l.delta])).toEqual([
      [1, 1],
      [3, 2],
      [7, 4],
    ]);
    expect(ofBackoff.every((l) => l.level === 'warning' && l.reason === 'BackOff')).toBe(true);
    const { byUid, repeatedPairs } = occurrenceLedger(lines);
    expect(repeatedPairs).toEqual([]);
    for (const e of created) expect(byUid.get(e.metadata.uid!)).toBe(e === backoff ? 7 : 1);
    const pulled = lines.find((l) => l.reason === 'Pulled')!;
    expect(pulled.level).toBe('info');
    expect(pulled.namespace).toBe(ns);
  });

  it('watches a list of namespaces, cuts long messages at maxMessageBytes, and counts what it did in its metrics', async () => {
    const [a, b, unwatched] = (await Promise.all(['ns-a', 'ns-b', 'ns-c'].map((p) => writer.namespace(p)))) as [string, string, string];
    const out = new CaptureSink('stdout');
    const exporter = await start(
      `namespaces: [${a}, ${b}]\nmaxEventAgeSeconds: 600\nmaxMessageBytes: 64\nenrichment: {enabled: false}\n` +
        `receivers: [{name: stdout, stdout: {}}]\nroute: {routes: [{drop: [{reason: "^Pulled$"}], match: [{receiver: stdout}]}]}\n`,
      [out],
    );
    const long = await writer.create(a, { reason: 'FailedMount', type: 'Warning', message: `${'m'.repeat(100)} and the end` });
    const inB = await writer.create(b, { reason: 'BackOff', type: 'Warning' });
    await writer.create(b, { reason: 'Pulled' }); // dropped by the route: no receiver
    await writer.create(unwatched, { reason: 'BackOff', type: 'Warning' });
    await writer.touch(inB); // MODIFIED, count unchanged
    // A watch per namespace, each ordered on its own: a sentinel in each.
    const lines = await linesBeforeSentinel(writer, [a, b], out);
    const sentinels = 2;

    expect(lines.map((l) => l.metadata.uid).sort()).toEqual([long.metadata.uid, inB.metadata.uid].sort());
    const cut = lines.find((l) => l.metadata.uid === long.metadata.uid)!.message;
    expect(cut).toBe(`${'m'.repeat(64)} …[truncated 48 bytes]`);
    expect(await metric(exporter, 'events_received_total', { type: 'ADDED' })).toBe(3 + sentinels);
    expect(await metric(exporter, 'lines_written_total', { level: 'error', receiver: 'stdout' })).toBe(1);
    expect(await metric(exporter, 'lines_written_total', { level: 'warning', receiver: 'stdout' })).toBe(1);
    expect(await metric(exporter, 'occurrences_written_total', { receiver: 'stdout' })).toBe(2 + sentinels);
    expect(await metric(exporter, 'events_dropped_total', { why: 'no_route' })).toBe(1);
    expect(await metric(exporter, 'events_dropped_total', { why: 'unchanged' })).toBe(1);
    const lastLineTime = Math.max(...out.lines.map((l) => Date.parse(l.time))) / 1000;
    expect(await metric(exporter, 'last_event_timestamp_seconds')).toBe(lastLineTime);
  });

  it('tracking.maxEvents bounds what is remembered, and evictions by size are counted', async () => {
    const ns = await writer.namespace('bounded');
    const out = new CaptureSink('stdout');
    const exporter = await start(`namespaces: [${ns}]\nmaxEventAgeSeconds: 600\nenrichment: {enabled: false}\ntracking: {maxEvents: 20}\n`, [out]);
    for (let i = 0; i < 45; i++) await writer.create(ns, { reason: 'Pulled', type: 'Normal', objectName: `pod-${i}` });
    await eventually('a line per created Event', () => out.lines.length >= 45);
    expect(await metric(exporter, 'tracked_events')).toBeGreaterThan(0);
    expect(await metric(exporter, 'tracked_events')).toBeLessThanOrEqual(20);
    // 45 Events through a table of 20, each eviction leaving at most 18: at least 25 forgotten.
    expect(await metric(exporter, 'tracker_evictions_total', { reason: 'size' })).toBeGreaterThanOrEqual(25);
    expect(await metric(exporter, 'tracker_evictions_total', { reason: 'age' })).toBe(0);
  });

  it('loses and repeats nothing across cut connections, a 410 Gone relist and an API server restart', async () => {
    const ns = await writer.namespace('faults');
    const out = new CaptureSink('stdout');
    const exporter = await start(`namespaces: [${ns}]\nmaxEventAgeSeconds: 600\nenrichment: {enabled: false}\n`, [out]);
    const events: RawEvent[] = [];
    for (let i = 0; i < 6; i++) events.push(await writer.create(ns, { reason: 'Unhealthy', type: 'Warning', objectName: `web-${i}` }));
    const finalCount = new Map(events.map((e) => [e.metadata.uid!, 1]));
    const bumpAll = async () => {
      for (const e of events) {
        await writer.bump(e, 1);
        finalCount.set(e.metadata.uid!, finalCount.get(e.metadata.uid!)! + 1);
      }
    };
    await bumpAll();

    // 1. Live connections cut by the proxy: the watch resumes from its resourceVersion.
    await eventually('first lines', () => out.lines.length >= 12);
    expect(await h.kube.proxy.cut()).toBeGreaterThan(0);
    await bumpAll();
    await h.kube.proxy.cut();
    await bumpAll();
    await eventually('watch restarted after cut', async () => (await metric(exporter, 'watch_restarts_total')) >= 1);
    await eventually('occurrences around the cuts written', () => {
      const { byUid } = occurrenceLedger(out.lines);
      return [...finalCount].every(([uid, n]) => byUid.get(uid) === n);
    });
    // Resumed from the resourceVersion it had: no relist, so nothing was listed again.
    expect(await metric(exporter, 'relists_total')).toBe(0);
    expect(await metric(exporter, 'watch_restarts_total', { reason: 'expired' })).toBe(0);

    // 2. History compacted while the watch is down: resuming gets 410 Gone, the exporter relists.
    const late = await writer.create(ns, { reason: 'FailedMount', type: 'Warning', objectName: 'db-0' });
    finalCount.set(late.metadata.uid!, 1);
    await eventually('late event written', () => out.lines.some((l) => l.metadata.uid === late.metadata.uid));
    const relistsBefore = await metric(exporter, 'relists_total');
    // A write outside the watched namespace moves etcd past the exporter's resourceVersion,
    // then compaction forgets the history before it: the resumed watch must get 410 Gone.
    const elsewhere = await writer.namespace('elsewhere');
    await writer.create(elsewhere, { reason: 'Pulled' });
    await h.kube.compact();
    await h.kube.proxy.cut();
    await eventually('relist after 410 Gone', async () => (await metric(exporter, 'relists_total')) > relistsBefore);
    await bumpAll();

    // 3. API server restart: connections drop, requests fail for a while, then everything resumes.
    await h.kube.restartApiServer();
    await bumpAll();
    const gone = events.pop()!; // an Event deleted after its last occurrence was written stays accounted for
    await eventually('all occurrences written', () => {
      const { byUid } = occurrenceLedger(out.lines);
      return [...finalCount].every(([uid, n]) => byUid.get(uid) === n);
    });
    await writer.remove(gone);
    const lines = await linesBeforeSentinel(writer, ns, out);

    const { byUid, repeatedPairs } = occurrenceLedger(lines);
    expect(repeatedPairs).toEqual([]);
    for (const [uid, n] of finalCount) expect(byUid.get(uid), `occurrences of ${uid}`).toBe(n);
    expect(byUid.size).toBe(finalCount.size);
    expect(await metric(exporter, 'watch_restarts_total', { reason: 'error' })).toBeGreaterThan(0);
  });

  it('a relist after an absence writes each grown Event once with all it missed, forgets deleted Events and writes new ones', async () => {
    const ns = await writer.namespace('relist');
    const out = new CaptureSink('stdout');
    const exporter = await start(`namespaces: [${ns}]\nmaxEventAgeSeconds: 600\nenrichment: {enabled: false}\n`, [out]);
    const [grows, growsToo, deleted, deletedToo, steady] = await Promise.all(
      ['grows', 'grows-too', 'deleted', 'deleted-too', 'steady'].map((name) => writer.create(ns, { reason: 'Unhealthy', type: 'Warning', objectName: name })),
    );
    await eventually('first lines', () => out.lines.length >= 5);
    expect(await metric(exporter, 'tracked_events')).toBe(5);
    const relistsBefore = await metric(exporter, 'relists_total');

    // The exporter is cut off. Meanwhile two Events grow by three single occurrences each (a watch
    // would have seen three lines of delta 1 each), two are deleted, one is born, and the history
    // the exporter would resume from is compacted away.
    expect(await h.kube.proxy.hold()).toBeGreaterThan(0);
    let born: RawEvent;
    try {
      for (let i = 0; i < 3; i++) {
        await writer.bump(grows!, 1);
        await writer.bump(growsToo!, 1);
      }
      await writer.remove(deleted!);
      await writer.remove(deletedToo!);
      born = await writer.create(ns, { reason: 'Evicted', type: 'Warning', objectName: 'born' });
      await h.kube.compact();
    } finally {
      await h.kube.proxy.release();
    }

    await eventually('relist after 410 Gone', async () => (await metric(exporter, 'relists_total')) > relistsBefore);
    const lines = await linesBeforeSentinel(writer, ns, out);
    expect(
      lines
        .slice(5)
        .map((l) => [l.metadata.uid, l.count, l.delta])
        .sort(),
    ).toEqual(
      [
        [grows!.metadata.uid, 4, 3],
        [growsToo!.metadata.uid, 4, 3],
        [born!.metadata.uid, 1, 1],
      ].sort(),
    );
    expect(occurrenceLedger(lines).repeatedPairs).toEqual([]);
    expect(lines.filter((l) => l.metadata.uid === steady!.metadata.uid)).toHaveLength(1);
    // The two deleted Events were not in the relist: forgotten, not kept until their TTL. (And the sentinel is tracked.)
    expect(await metric(exporter, 'tracked_events')).toBe(4 + 1);
    expect(await metric(exporter, 'watch_restarts_total', { reason: 'expired' })).toBeGreaterThan(0);
  });

  it('events.k8s.io/v1 Events: the occurrences and the time come from series', async () => {
    const ns = await writer.namespace('series');
    const out = new CaptureSink('stdout');
    await start(`namespaces: [${ns}]\nmaxEventAgeSeconds: 600\nenrichment: {enabled: false}\n`, [out]);
    const first = new Date(Date.now() - 30_000);
    const event = await writer.createSeries(ns, {
      reason: 'BackOff',
      type: 'Warning',
      objectName: 'web-0',
      count: 2,
      firstAt: first,
      lastAt: new Date(Date.now() - 20_000),
    });
    const lastAt = new Date(Date.now() - 1_000);
    await writer.updateSeries(event, 5, lastAt);
    const lines = await linesBeforeSentinel(writer, ns, out);
    expect(lines.map((l) => [l.metadata.uid, l.count, l.delta, l.reason, l.level])).toEqual([
      [event.metadata.uid, 2, 2, 'BackOff', 'warning'],
      [event.metadata.uid, 5, 3, 'BackOff', 'warning'],
    ]);
    // series.lastObservedTime wins over eventTime; the line keeps the microseconds' instant.
    expect(Date.parse(lines[1]!.time)).toBe(lastAt.getTime());
    expect(lines[1]!.series?.count).toBe(5);
    expect(lines[1]!.involvedObject.name).toBe('web-0');
  });

  it('a restart with a checkpoint writes exactly what happened while it was away', async () => {
    const ns = await writer.namespace('ckpt');
    const dir = mkdtempSync(join(tmpdir(), 'eventline-ckpt-'));
    const config = `namespaces: [${ns}]\nmaxEventAgeSeconds: 600\nenrichment: {enabled: false}\ncheckpoint: {file: ${join(dir, 'checkpoint')}, intervalSeconds: 1}\n`;
    const first = new CaptureSink('stdout');
    const a = await start(config, [first]);
    const kept = await writer.create(ns, { reason: 'BackOff', type: 'Warning', objectName: 'api-0' });
    const steady = await writer.create(ns, { reason: 'Pulled', objectName: 'api-1' });
    await writer.bump(kept, 2);
    await eventually('lines before the restart', () => occurrenceLedger(first.lines).byUid.get(kept.metadata.uid!) === 3);
    await a.stop();
    running.splice(running.indexOf(a), 1);

    // While the exporter is away: one Event grows, one is new, one stays as it was.
    await writer.bump(kept, 5);
    const born = await writer.create(ns, { reason: 'Evicted', type: 'Warning', objectName: 'api-2' });

    const second = new CaptureSink('stdout');
    await start(config, [second]);
    const afterRestart = await linesBeforeSentinel(writer, ns, second);
    expect(afterRestart.map((l) => [l.metadata.uid, l.count, l.delta]).sort()).toEqual(
      [
        [kept.metadata.uid, 8, 5],
        [born.metadata.uid, 1, 1],
      ].sort(),
    );
    const all = occurrenceLedger([...first.lines, ...afterRestart]);
    expect(all.repeatedPairs).toEqual([]);
    expect(all.byUid.get(steady.metadata.uid!)).toBe(1);
  });

  it('at first start skips Events older than maxEventAgeSeconds, and writes recent ones', async () => {
    const ns = await writer.namespace('age');
    const old = await writer.create(ns, { reason: 'Started', objectName: 'old' }, new Date(Date.now() - 2 * 3600_000));
    const recent = await writer.create(ns, { reason: 'Started', objectName: 'recent' }, new Date(Date.now() - 60_000));
    const out = new CaptureSink('stdout');
    const exporter = await start(`namespaces: [${ns}]\nmaxEventAgeSeconds: 600\nenrichment: {enabled: false}\n`, [out]);
    await eventually('recent written', () => out.lines.length >= 1);
    expect(out.lines.map((l) => l.metadata.uid)).toEqual([recent.metadata.uid]);
    expect(await metric(exporter, 'events_dropped_total', { why: 'too_old' })).toBe(1);
    // The skipped Event is remembered: its next occurrence is one new occurrence, not its whole count.
    await writer.bump(old, 1);
    await eventually('old Event grows', () => out.lines.some((l) => l.metadata.uid === old.metadata.uid));
    expect(out.lines.find((l) => l.metadata.uid === old.metadata.uid)!.delta).toBe(1);
  });

  it('enriches with labels and the owning workload, Pod → ReplicaSet → Deployment', async () => {
    const ns = await writer.namespace('enrich');
    const api = writer.api;
    const deployment = await api.sendJson<{ metadata: { uid: string } }>('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'checkout' },
      spec: {
        selector: { matchLabels: { app: 'checkout' } },
        template: { metadata: { labels: { app: 'checkout' } }, spec: { containers: [{ name: 'c', image: 'registry.example/checkout:1' }] } },
      },
    });
    const rs = await api.sendJson<{ metadata: { uid: string } }>('POST', `/apis/apps/v1/namespaces/${ns}/replicasets`, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: 'checkout-7d9c',
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'checkout', uid: deployment.metadata.uid, controller: true }],
      },
      spec: {
        selector: { matchLabels: { app: 'checkout' } },
        template: { metadata: { labels: { app: 'checkout' } }, spec: { containers: [{ name: 'c', image: 'registry.example/checkout:1' }] } },
      },
    });
    await api.sendJson('POST', `/api/v1/namespaces/${ns}/pods`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'checkout-7d9c-x2x',
        labels: { app: 'checkout', 'app.kubernetes.io/part-of': 'shop' },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'checkout-7d9c', uid: rs.metadata.uid, controller: true }],
      },
      spec: { containers: [{ name: 'c', image: 'registry.example/checkout:1' }] },
    });
    const out = new CaptureSink('stdout');
    await start(`namespaces: [${ns}]\nmaxEventAgeSeconds: 600\n`, [out]);
    await writer.create(ns, { reason: 'BackOff', type: 'Warning', objectName: 'checkout-7d9c-x2x' });
    await writer.create(ns, { reason: 'FailedMount', type: 'Warning', objectName: 'gone-pod' });
    await eventually('two lines', () => out.lines.length >= 2);
    const pod = out.lines.find((l) => l.involvedObject.name === 'checkout-7d9c-x2x')!;
    expect(pod.involvedObject.workload).toEqual({ kind: 'Deployment', name: 'checkout' });
    expect(pod.involvedObject.labels).toEqual({ app: 'checkout', 'app.kubernetes.io/part-of': 'shop' });
    expect(pod.involvedObject.ownerReferences?.[0]).toMatchObject({ kind: 'ReplicaSet', name: 'checkout-7d9c' });
    const missing = out.lines.find((l) => l.involvedObject.name === 'gone-pod')!;
    expect(missing.involvedObject.deleted).toBe(true);
  });

  it('routes as kubernetes-event-exporter does with one of its configs used unchanged', async () => {
    const keeConfig = readFileSync(repoPath('test', 'fixtures', 'configs', 'kee', 'stdout-drop-kube-system.yaml'), 'utf8');
    const ns = await writer.namespace('kee');
    const dump = new CaptureSink('dump');
    const nodes = new CaptureSink('nodes');
    await start(keeConfig, [dump, nodes]);
    const tag = ns.slice(-8);
    const made = {
      backoff: await writer.create(ns, { reason: 'BackOff', type: 'Warning', objectName: `api-${tag}` }),
      pulled: await writer.create(ns, { reason: 'Pulled', objectName: `api-${tag}` }),
      started: await writer.create(ns, { reason: 'Started', objectName: `api-${tag}` }),
      systemWarning: await writer.create('kube-system', { reason: 'BackOff', type: 'Warning', objectName: `coredns-${tag}` }),
      nodeWarning: await writer.create('default', {
        reason: 'NodeNotReady',
        type: 'Warning',
        kind: 'Node',
        objectName: `node-${tag}`,
        source: { component: 'node-controller' },
      }),
      // A namespaced custom resource whose kind contains "Node": KEE patterns are unanchored.
      systemNode: await writer.create('kube-system', { reason: 'Updated', type: 'Warning', kind: 'NodeFeature', objectName: `nf-${tag}` }),
      nodeNormal: await writer.create('default', { reason: 'NodeReady', kind: 'Node', objectName: `node-${tag}` }),
    };
    // Expected from KEE's rules by hand: route 1 drops kube-system and Normal Pulled, then sends
    // Warnings to dump; route 2 sends every Event whose kind contains "Node" to nodes (no drop there).
    const expectDump = [made.backoff, made.nodeWarning];
    const expectNodes = [made.nodeWarning, made.systemNode, made.nodeNormal];
    const ours = new Set(Object.values(made).map((e) => e.metadata.uid));
    const mine = (lines: EventLine[]) =>
      lines
        .filter((l) => ours.has(l.metadata.uid))
        .map((l) => l.metadata.uid)
        .sort();
    // One watch of all namespaces: one sentinel, a Warning about a Node (so in default, where Events
    // about cluster-scoped objects live), so that both routes send it on.
    const [toDump, toNodes] = await linesBeforeSentinel(writer, 'default', [dump, nodes], { type: 'Warning', kind: 'Node' });
    expect(mine(toDump!)).toEqual(expectDump.map((e) => e.metadata.uid).sort());
    expect(mine(toNodes!)).toEqual(expectNodes.map((e) => e.metadata.uid).sort());
    const nodeLine = toNodes!.find((l) => l.metadata.uid === made.nodeWarning.metadata.uid)!;
    expect(nodeLine.clusterName).toBe('staging');
    expect(nodeLine.namespace).toBe('_cluster');
    expect(nodeLine.level).toBe('error');
  });

  it('a kubernetes-event-exporter config used unchanged, with its own receivers: deDot on stdout, the file receiver with KEE maxsize and maxbackups', async () => {
    // The command itself, so the config's receivers are the real ones: stdout (deDot) and the file.
    const configPath = repoPath('test', 'fixtures', 'configs', 'kee', 'stdout-drop-kube-system.yaml');
    const filePath = '/tmp/node-events.log'; // as the config says
    rmSync(filePath, { force: true }); // lines of an earlier run
    // The config names no metrics port, so the default 2112 serves /readyz: it must be ours.
    const taken = await fetch('http://127.0.0.1:2112/readyz').then(
      () => true,
      () => false,
    );
    if (taken) throw new Error('port 2112 is in use by another process: this test runs a KEE config unchanged, whose exporter serves the default port 2112');
    const tag = (await writer.namespace('kee-file')).slice(-8);
    // A real Node with dotted label keys: enrichment (on in this config) copies them into the lines.
    const nodeName = `node-${tag}`;
    await writer.api.sendJson('POST', '/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: nodeName, labels: { 'kubernetes.io/hostname': nodeName, 'topology.kubernetes.io/zone': 'zone-a' } },
    });
    const child = spawn(process.execPath, [repoPath('dist', 'kube-eventline.mjs'), '--config', configPath, '--kubeconfig', h.kube.adminKubeconfigPath], {
      env: { PATH: process.env.PATH },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      // The config sets logLevel: error and no metrics port: the default port's /readyz says when the list is done.
      await eventually(`KEE-configured exporter ready on :2112/readyz\n${stderr}`, async () => {
        try {
          return (await fetch('http://127.0.0.1:2112/readyz')).status === 200;
        } catch {
          return false;
        }
      });
      const warning = await writer.create('default', {
        reason: 'NodeNotReady',
        type: 'Warning',
        kind: 'Node',
        objectName: nodeName,
        source: { component: 'node-controller' },
      });
      const normal = await writer.create('default', { reason: 'NodeReady', kind: 'Node', objectName: nodeName });
      // Whole lines only: a read may end inside a line still being written.
      const parse = (text: string) =>
        text
          .slice(0, text.lastIndexOf('\n') + 1)
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as EventLine);
      const fileText = () => (existsSync(filePath) ? readFileSync(filePath, 'utf8') : '');
      // A Warning about a Node goes to both receivers: stdout (route 1) and the file (route 2).
      const [toStdout, toFile] = await linesBeforeSentinel(writer, 'default', [() => parse(stdout), () => parse(fileText())], {
        type: 'Warning',
        kind: 'Node',
      });
      const of = (lines: EventLine[], e: RawEvent) => lines.filter((l) => l.metadata.uid === e.metadata.uid);
      // stdout (route 1, Warnings, deDot: true): dots in label keys became _.
      expect(of(toStdout!, warning)).toHaveLength(1);
      const onStdout = of(toStdout!, warning)[0]!;
      expect(onStdout.involvedObject.labels).toEqual({ 'kubernetes_io/hostname': nodeName, 'topology_kubernetes_io/zone': 'zone-a' });
      expect(onStdout.involvedObject.deleted).toBe(false);
      expect(of(toStdout!, normal)).toEqual([]);
      // The file (route 2, kind Node, no deDot): both Events, labels as they are.
      expect(of(toFile!, warning)).toHaveLength(1);
      const inFile = of(toFile!, warning)[0]!;
      expect(inFile.involvedObject.labels).toEqual({ 'kubernetes.io/hostname': nodeName, 'topology.kubernetes.io/zone': 'zone-a' });
      expect(of(toFile!, normal).map((l) => l.level)).toEqual(['normal']);
      expect(inFile.clusterName).toBe('staging');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('a stalled sink stalls the pipeline instead of piling lines up, and loses nothing', async () => {
    const ns = await writer.namespace('slow');
    for (let i = 0; i < 60; i++) await writer.create(ns, { reason: 'Pulled', objectName: `p-${i}` });
    // A receiver that takes the first line and then does not finish until released.
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const slow = new (class extends CaptureSink {
      calls = 0;
      override write(line: EventLine): void | Promise<void> {
        this.calls++;
        super.write(line);
        if (this.calls === 1) return released;
      }
    })('stdout');
    const { config } = loadConfig(`namespaces: [${ns}]\nmaxEventAgeSeconds: 600\nenrichment: {enabled: false}\n`, 'test.yaml', {});
    const exporter = await runExporter(config, kubeConfigAt(h.kube.proxy.kubeconfigPath), quiet, { sinks: new Map([['stdout', slow]]), watch: fastWatch });
    running.push(exporter);
    // The listed page is in hand once the first line is taken: a pipeline that did not wait for the
    // receiver would take the other 59 in the same turn of the event loop, before this poll looks.
    await eventually('the first line taken', () => slow.calls >= 1);
    expect(slow.calls).toBe(1); // nothing else was taken on while the sink was busy
    expect(exporter.exporter.ready).toBe(false);
    release();
    const lines = await linesBeforeSentinel(writer, ns, slow);
    expect(lines).toHaveLength(60);
    expect(occurrenceLedger(lines).repeatedPairs).toEqual([]);
  });

  it('a failing receiver is counted, the watch resumes, and once it works again every occurrence is written once', async () => {
    const ns = await writer.namespace('failing');
    // Fault injection: a receiver that fails as a full disk would, once by throwing and once by a
    // rejected write; a real full disk cannot be produced on demand here.
    const flaky = new (class extends CaptureSink {
      failures: ('throw' | 'reject')[] = [];
      override write(line: EventLine): void | Promise<void> {
        const failure = this.failures.shift();
        if (failure === 'throw') throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        if (failure === 'reject') return Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
        super.write(line);
      }
    })('stdout');
    const exporter = await start(`namespaces: [${ns}]\nmaxEventAgeSeconds: 600\nenrichment: {enabled: false}\n`, [flaky]);
    flaky.failures.push('throw', 'reject');
    const created: RawEvent[] = [];
    for (let i = 0; i < 5; i++) created.push(await writer.create(ns, { reason: 'BackOff', type: 'Warning', objectName: `disk-${i}` }));
    const lines = await linesBeforeSentinel(writer, ns, flaky);
    expect(flaky.failures).toEqual([]); // both faults were hit
    const { byUid, repeatedPairs } = occurrenceLedger(lines);
    expect(repeatedPairs).toEqual([]);
    for (const e of created) expect(byUid.get(e.metadata.uid!)).toBe(1);
    expect(await metric(exporter, 'sink_errors_total', { receiver: 'stdout' })).toBe(2);
    expect(await metric(exporter, 'watch_restarts_total', { reason: 'error' })).toBeGreaterThanOrEqual(1);
  });
});
