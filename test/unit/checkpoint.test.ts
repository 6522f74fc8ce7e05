import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Checkpoint,
  type CheckpointSaved,
  type CheckpointStore,
  CheckpointStoreError,
  decodeCheckpoint,
  encodeCheckpoint,
  fitCheckpoint,
  joinCheckpointParts,
} from '../../src/checkpoint/checkpoint.js';
import { ConfigMapCheckpointStore } from '../../src/checkpoint/configmap-store.js';
import { FileCheckpointStore } from '../../src/checkpoint/file-store.js';
import { API_RESOURCES } from '../../src/demo/api-resources.js';
import { SimulatedApiServer } from '../../src/demo/api-server.js';
import { simulatedKubeconfigYaml } from '../../src/demo/kubeconfig.js';
import { type ApiObject, ObjectStore } from '../../src/demo/object-store.js';
import { Exporter } from '../../src/exporter.js';
import type { RawEvent } from '../../src/line/event-line.js';
import { ExporterMetrics } from '../../src/serve/metrics.js';
import type { Sink } from '../../src/sinks/sink.js';
import { hashUid } from '../../src/track/uid-hash.js';
import type { KubeHttp } from '../../src/watch/kube-http.js';
import { CaptureSink, eventually } from '../support/capture-sink.js';
import { kubeHttpAt, startFaultServer } from '../support/fake-api.js';
import { repoPath } from '../support/real-events.js';

/** Entries in hash order, as the stored form keeps them. */
function byHash(entries: Checkpoint['scopes'][string]): Checkpoint['scopes'][string] {
  return [...entries].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}

/** `cp` with its entries in hash order. */
function sorted(cp: Checkpoint): Checkpoint {
  return { ...cp, scopes: Object.fromEntries(Object.entries(cp.scopes).map(([scope, entries]) => [scope, byHash(entries)])) };
}

function decodeSorted(encoded: Buffer | string): Checkpoint {
  const { shard: _shard, ...cp } = decodeCheckpoint(encoded, 't');
  return sorted(cp);
}

function checkpointOf(n: number): Checkpoint {
  return {
    version: 1,
    savedAt: '2026-11-22T00:00:00.000Z',
    scopes: {
      '*': Array.from(
        { length: n },
        (_, i) => [(Math.random() * 2 ** 32) >>> 0, (Math.random() * 2 ** 32) >>> 0, i + 1, Math.floor((n - i) / (n / 8))] as [number, number, number, number],
      ),
    },
  };
}

/** The checkpoint entry of `uid` with `count` written, seen this generation. */
function entry(uid: string, count: number): [number, number, number, number] {
  const { hi, lo } = hashUid(uid, { hi: 0, lo: 0 });
  return [hi, lo, count, 0];
}

/** A core/v1 Event in namespace `shop` whose last occurrence was `secondsAgo` ago; its uid is `uid-<name>`. */
function event(name: string, count: number, secondsAgo: number): RawEvent & ApiObject {
  const at = new Date(Date.now() - secondsAgo * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: 'shop', uid: `uid-${name}` },
    involvedObject: { kind: 'Pod', namespace: 'shop', name: 'pod-a', apiVersion: 'v1' },
    reason: 'BackOff',
    message: 'Back-off restarting failed container',
    type: 'Warning',
    source: { component: 'kubelet', host: 'node-1' },
    firstTimestamp: at,
    lastTimestamp: at,
    count,
  };
}

/** A checkpoint held in memory, through its encoding, as a store would hand it back. */
class MemoryStore implements CheckpointStore {
  readonly description = 'memory';
  readonly saved: Checkpoint[] = [];
  constructor(private stored?: Checkpoint) {}
  async load(): Promise<Checkpoint | undefined> {
    return this.stored && decodeCheckpoint(encodeCheckpoint(this.stored), this.description);
  }
  async save(checkpoint: Checkpoint): Promise<CheckpointSaved> {
    this.saved.push(checkpoint);
    this.stored = checkpoint;
    return { droppedEntries: 0, trimmedScopes: [] };
  }
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

/** The demo's simulated API server holding `events`: list, watch and ConfigMaps, no cluster needed. */
async function simulatedCluster(events: ApiObject[]): Promise<KubeHttp> {
  const store = new ObjectStore({ historyLimit: 1000, initialResourceVersion: 1000 });
  const eventsResource = API_RESOURCES.find((r) => r.plural === 'events')!;
  for (const e of events) store.create(eventsResource, e);
  const server = new SimulatedApiServer({ store, token: 'test-token', bookmarkIntervalMs: 60_000 });
  const url = await server.listen();
  cleanups.push(() => server.close());
  return kubeHttpAt(url);
}

/** For exporters fed through ingest() only: nothing listens on port 1. */
function unreachableApi(): KubeHttp {
  return kubeHttpAt('http://127.0.0.1:1');
}

interface LogRecord {
  level: number;
  msg: string;
  [key: string]: unknown;
}

const WARN = 40;

function exporterWith(api: KubeHttp, options: { store?: CheckpointStore; sinks?: Map<string, Sink> } = {}) {
  const logs: LogRecord[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as LogRecord) });
  const metrics = new ExporterMetrics('test_', false);
  const sinks = options.sinks ?? new Map<string, Sink>([['capture', new CaptureSink('capture')]]);
  const exporter = new Exporter({
    api,
    clusterName: 'test',
    namespaces: ['shop'],
    maxEventAgeSeconds: 300,
    maxMessageBytes: 4096,
    grade: () => 'warning',
    route: () => [...sinks.keys()],
    sinks,
    ...(options.store ? { checkpoint: { store: options.store, intervalMs: 3_600_000 } } : {}),
    metrics,
    log,
    watch: { minBackoffMs: 10, maxBackoffMs: 50 },
  });
  return { exporter, logs, metrics, sinks };
}

async function metricValue(metrics: ExporterMetrics, name: string): Promise<number> {
  const metric = await metrics.registry.getSingleMetric(name)!.get();
  return metric.values.reduce((sum, v) => sum + v.value, 0);
}

describe('checkpoint', () => {
  it('round-trips through its encoding and the file store', async () => {
    const cp = checkpointOf(100);
    expect(decodeSorted(encodeCheckpoint(cp))).toEqual(sorted(cp));
    const store = new FileCheckpointStore(join(mkdtempSync(join(tmpdir(), 'cp-')), 'sub', 'checkpoint'));
    expect(await store.load()).toBeUndefined();
    await store.save(cp);
    expect(sorted((await store.load())!)).toEqual(sorted(cp));
  });

  it('still reads the format-1 checkpoint (JSON, gzip, base64 text) that earlier versions wrote, from a file', async () => {
    const cp = checkpointOf(100);
    const path = join(mkdtempSync(join(tmpdir(), 'cp-')), 'checkpoint');
    writeFileSync(path, gzipSync(JSON.stringify(cp)).toString('base64'));
    expect(await new FileCheckpointStore(path).load()).toEqual(cp);
  });

  it("still reads the format-1 checkpoint that earlier versions wrote in a ConfigMap's data, and replaces it with format 2 in binaryData", async () => {
    const api = await simulatedCluster([]);
    const cp = checkpointOf(100);
    const legacy = gzipSync(JSON.stringify(cp)).toString('base64');
    await api.sendJson('POST', '/api/v1/namespaces/kube-eventline/configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'checkpoint', namespace: 'kube-eventline' },
      data: { 'checkpoint.json.gz.b64': legacy },
    });
    const store = new ConfigMapCheckpointStore(api, 'kube-eventline', 'checkpoint', 900 * 1024, 1);
    expect(await store.load()).toEqual(cp);
    await store.save(cp);
    const cm = await api.getJson<{ data?: Record<string, string>; binaryData: Record<string, string> }>(
      '/api/v1/namespaces/kube-eventline/configmaps/checkpoint',
    );
    expect(cm.data).toBeUndefined();
    expect(sorted((await new ConfigMapCheckpointStore(api, 'kube-eventline', 'checkpoint', 900 * 1024, 1).load())!)).toEqual(sorted(cp));
  });

  it('packs 200,000 entries of a cluster (counts mostly small) in under 8 bytes each', () => {
    const cp = checkpointOf(200_000);
    for (const e of cp.scopes['*']!) e[2] = 1 + (e[1] % 7 === 0 ? e[0] % 1000 : 0);
    const encoded = encodeCheckpoint(cp);
    expect(encoded.length / 200_000).toBeLessThan(8);
    // As text: a deep comparison of 200,000 tuples takes seconds.
    expect(JSON.stringify(decodeSorted(encoded))).toBe(JSON.stringify(sorted(cp)));
  }, 30_000);

  it('splits a checkpoint too big for one part by hash range, and the parts join back whole', () => {
    const cp: Checkpoint = { ...checkpointOf(30_000), trimmedScopes: ['still-listing'] };
    cp.scopes['still-listing'] = [entry('uid-a', 3)];
    const fitted = fitCheckpoint(cp, 100 * 1024, 5);
    expect(fitted.parts.length).toBeGreaterThan(1);
    expect(fitted.parts.length).toBeLessThanOrEqual(5);
    expect(fitted.droppedEntries).toBe(0);
    for (const part of fitted.parts) expect(part.length).toBeLessThanOrEqual(100 * 1024);
    const parts = fitted.parts.map((p) => decodeCheckpoint(p, 't'));
    expect(parts.map((p) => p.shard)).toEqual(parts.map((_, index) => ({ index, of: parts.length })));
    expect(sorted(joinCheckpointParts(parts))).toEqual(sorted(cp));
  });

  it('says where an unreadable checkpoint is', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'cp-')), 'checkpoint');
    writeFileSync(path, 'not a checkpoint');
    await expect(new FileCheckpointStore(path).load()).rejects.toThrow(`checkpoint in file ${path} is unreadable`);
  });

  it('keeps the most recently seen entries when it must fit a ConfigMap', () => {
    const cp = checkpointOf(120_000);
    const { parts, droppedEntries } = fitCheckpoint(cp, 600 * 1024);
    expect(parts).toHaveLength(1);
    expect(parts[0]!.length).toBeLessThanOrEqual(600 * 1024);
    expect(droppedEntries).toBeGreaterThan(0);
    const kept = decodeCheckpoint(parts[0]!, 't').scopes['*']!;
    expect(kept.length + droppedEntries).toBe(120_000);
    const youngest = cp.scopes['*']!.at(-1)!;
    expect(kept).toContainEqual(youngest);
  });

  it('marks the scopes it trimmed in the checkpoint, and keeps those marked already', () => {
    const cp: Checkpoint = { ...checkpointOf(2000), trimmedScopes: ['still-listing'] };
    cp.scopes.quiet = [];
    const fitted = fitCheckpoint(cp, 10_000);
    expect(fitted.parts[0]!.length).toBeLessThanOrEqual(10_000);
    expect(fitted.trimmedScopes).toEqual(['*']);
    expect(decodeCheckpoint(fitted.parts[0]!, 't').trimmedScopes?.sort()).toEqual(['*', 'still-listing']);

    const fits = fitCheckpoint(checkpointOf(100), 10_000);
    expect(fits).toMatchObject({ droppedEntries: 0, trimmedScopes: [] });
    expect(decodeCheckpoint(fits.parts[0]!, 't')).not.toHaveProperty('trimmedScopes');
  });

  it('leaves out the least recently seen entries of all scopes: a scope of recent Events keeps them all', () => {
    const stale = checkpointOf(4000).scopes['*']!.map(([hi, lo, count, age]) => [hi, lo, count, age + 1] as [number, number, number, number]);
    const recent = Array.from({ length: 50 }, (_, i) => entry(`uid-recent-${i}`, 1));
    const fitted = fitCheckpoint({ version: 1, savedAt: '2026-11-22T00:00:00.000Z', scopes: { stale, recent } }, 10_000);
    expect(fitted.trimmedScopes).toEqual(['stale']);
    const kept = decodeCheckpoint(fitted.parts[0]!, 't').scopes;
    expect(kept.recent).toEqual(byHash(recent));
    expect(kept.stale!.length).toBeGreaterThan(0);
    // What stayed of the stale scope is its most recently seen part.
    const oldestKept = Math.max(...kept.stale!.map((e) => e[3]));
    expect(stale.filter((e) => e[3] < oldestKept).every((e) => kept.stale!.some((k) => k[0] === e[0] && k[1] === e[1]))).toBe(true);
  });

  it('refuses a trimmedScopes that is not a list of scopes, as an unreadable checkpoint', () => {
    const encoded = encodeCheckpoint({ ...checkpointOf(1), trimmedScopes: 'shop' as unknown as string[] });
    expect(() => decodeCheckpoint(encoded, 'test')).toThrow('trimmedScopes is not a list of scopes');
  });

  describe('restoring', () => {
    // Written before the restart: `kept` (5 of its 6 occurrences); `leftOutOld` and
    // `leftOutRecent` were written whole but left out of a trimmed checkpoint.
    const cluster = () => simulatedCluster([event('kept', 6, 10), event('leftOutOld', 3, 7200), event('leftOutRecent', 2, 30)]);
    const savedBefore = (trimmed: boolean): Checkpoint => ({
      version: 1,
      savedAt: new Date().toISOString(),
      scopes: { shop: [entry('uid-kept', 5)] },
      ...(trimmed ? { trimmedScopes: ['shop'] } : {}),
    });

    async function restartWith(store: MemoryStore) {
      const { exporter, logs, sinks } = exporterWith(await cluster(), { store });
      await exporter.start();
      // Saved before the first list has ended: the left-out Events are still unknown.
      await exporter.saveCheckpoint();
      await eventually('every scope listed', () => exporter.ready, 10_000);
      await exporter.stop();
      const lines = (sinks.get('capture') as CaptureSink).lines;
      return { logs, written: Object.fromEntries(lines.map((l) => [l.metadata.uid, { delta: l.delta, count: l.count }])) };
    }

    it('in a trimmed scope, filters Events the checkpoint does not hold by age, as a first start does', async () => {
      const store = new MemoryStore(savedBefore(true));
      const { logs, written } = await restartWith(store);
      expect(written).toEqual({
        'uid-kept': { delta: 1, count: 6 }, // in the checkpoint: only the missed occurrence
        'uid-leftOutRecent': { delta: 2, count: 2 }, // within maxEventAgeSeconds: whole count, as at a first start
      }); // leftOutOld, older than maxEventAgeSeconds, is not written again
      expect(logs.some((l) => l.level === WARN && l.msg.startsWith('the checkpoint is incomplete in these scopes'))).toBe(true);
      const [duringList, afterStop] = store.saved;
      expect(duringList!.trimmedScopes).toEqual(['shop']); // a restart now must still filter by age
      expect(afterStop!.trimmedScopes).toBeUndefined(); // the list has recorded every Event
      expect(afterStop!.scopes.shop!.map(([hi, lo, count]) => [hi, lo, count]).sort()).toEqual(
        [entry('uid-kept', 6), entry('uid-leftOutOld', 3), entry('uid-leftOutRecent', 2)].map(([hi, lo, count]) => [hi, lo, count]).sort(),
      );
    });

    it('a first start saved before its first list ended marks the scope: a restart then still filters by age', async () => {
      const store = new MemoryStore(); // no checkpoint: a first start
      const { written } = await restartWith(store);
      expect(written).toEqual({
        'uid-kept': { delta: 6, count: 6 },
        'uid-leftOutRecent': { delta: 2, count: 2 },
      }); // leftOutOld is older than maxEventAgeSeconds: skipped at a first start
      const [duringList, afterStop] = store.saved;
      expect(duringList!.trimmedScopes).toEqual(['shop']);
      expect(afterStop!.trimmedScopes).toBeUndefined();
      // Restarted from the checkpoint saved during the list: the old Event is still skipped (unmarked, it would be written whole).
      const again = await restartWith(new MemoryStore(duringList));
      expect(again.written).not.toHaveProperty('uid-leftOutOld');
      expect(again.written).toHaveProperty('uid-leftOutRecent');
    });

    it('a checkpoint without trimmedScopes (as saved before it existed) is complete: what it lacks is new', async () => {
      const { written } = await restartWith(new MemoryStore(savedBefore(false)));
      expect(written).toEqual({
        'uid-kept': { delta: 1, count: 6 },
        'uid-leftOutOld': { delta: 3, count: 3 },
        'uid-leftOutRecent': { delta: 2, count: 2 },
      });
    });
  });

  it('warns once when saves start leaving Events out, shows how many the last save left out, and says when it fits again', async () => {
    const api = await simulatedCluster([]);
    const store = new ConfigMapCheckpointStore(api, 'kube-eventline', 'checkpoint', 8 * 1024, 1);
    const { exporter, logs, metrics } = exporterWith(api, { store });
    for (let i = 0; i < 2000; i++) await exporter.ingest('ADDED', event(`e${i}`, 1, 10));
    for (let save = 0; save < 3; save++) await exporter.saveCheckpoint();

    const warnings = logs.filter((l) => l.level === WARN);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ checkpoint: 'ConfigMap kube-eventline/checkpoint', scopes: ['shop'], tracked: 2000 });
    const leftOutPerSave = warnings[0]!.leftOut as number;
    expect(leftOutPerSave).toBeGreaterThan(0);
    expect(await metricValue(metrics, 'test_checkpoint_entries_left_out')).toBe(leftOutPerSave);
    const configMap = await api.getJson<{ binaryData: Record<string, string> }>('/api/v1/namespaces/kube-eventline/configmaps/checkpoint');
    expect(decodeCheckpoint(Buffer.from(configMap.binaryData['checkpoint.gz']!, 'base64'), 'cm').trimmedScopes).toEqual(['shop']);

    for (let i = 0; i < 1990; i++) await exporter.ingest('DELETED', event(`e${i}`, 1, 10));
    await exporter.saveCheckpoint();
    await exporter.saveCheckpoint();
    expect(logs.filter((l) => l.msg === 'the checkpoint fits again: no Events left out')).toHaveLength(1);
    expect(logs.filter((l) => l.level === WARN)).toHaveLength(1);
    expect(await metricValue(metrics, 'test_checkpoint_entries_left_out')).toBe(0);
  });

  it('stop() flushes every receiver although one fails, does not save a checkpoint that would lose its lines, then rejects naming that receiver', async () => {
    class FailingFlushSink extends CaptureSink {
      closed = false;
      override async flush(): Promise<void> {
        throw new Error('ENOSPC: no space left on device, write');
      }
      override async close(): Promise<void> {
        this.closed = true;
        await this.flush();
      }
    }
    class FlushCountingSink extends CaptureSink {
      flushes = 0;
      closed = false;
      override async flush(): Promise<void> {
        this.flushes++;
      }
      override async close(): Promise<void> {
        this.closed = true;
      }
    }
    const broken = new FailingFlushSink('broken');
    const healthy = new FlushCountingSink('healthy');
    const store = new MemoryStore();
    const { exporter, logs } = exporterWith(unreachableApi(), {
      store,
      sinks: new Map<string, Sink>([
        ['broken', broken],
        ['healthy', healthy],
      ]),
    });
    await exporter.ingest('ADDED', event('e1', 4, 10));

    await expect(exporter.stop()).rejects.toThrow('receiver "broken" could not write out its last lines: ENOSPC: no space left on device, write');
    expect(healthy.flushes).toBeGreaterThan(0);
    expect(store.saved).toEqual([]);
    expect(broken.closed && healthy.closed).toBe(true);
    expect(logs.filter((l) => l.level >= 50).map((l) => l.msg)).toEqual([
      'not saving the checkpoint: a receiver could not write out its last lines; the next start writes again what came after the last save',
    ]);
  });

  describe('a store that cannot be read', () => {
    it('a checkpoint file that cannot be read names the file and the cause', async () => {
      // A directory: unreadable as a file even for root, where chmod 000 would not stop a read.
      const path = mkdtempSync(join(tmpdir(), 'cp-'));
      const err = await new FileCheckpointStore(path).load().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CheckpointStoreError);
      expect((err as Error).message).toMatch(new RegExp(`^cannot read the checkpoint file ${path}: EISDIR`));
    });

    it('a 403 on the checkpoint ConfigMap names the ConfigMap, the missing permission and the answer', async () => {
      const url = await forbiddingServer();
      const err = await new ConfigMapCheckpointStore(kubeHttpAt(url), 'ns', 'cp').load().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CheckpointStoreError);
      expect((err as Error).message).toBe(
        `cannot read the checkpoint ConfigMap ns/cp (the exporter's ServiceAccount needs get on it): GET /api/v1/namespaces/ns/configmaps/cp: 403 ${FORBIDDEN_MESSAGE}`,
      );
    });

    describe('the command', () => {
      const cli = repoPath('dist', 'kube-eventline.mjs'); // the bundle the image runs

      it('exits 1 with one line, no stack trace, when the checkpoint file is a directory', async () => {
        const dir = mkdtempSync(join(tmpdir(), 'eventline-cp-'));
        const r = await runCli(cli, dir, 'http://127.0.0.1:1', `checkpoint: {file: ${dir}}`);
        expect(r.status).toBe(1);
        expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^kube-eventline: cannot read the checkpoint file ${dir}: EISDIR`))]);
        expect(r.stdout).toBe('');
      });

      it('exits 1 with one line, no stack trace, on a 403 for the checkpoint ConfigMap', async () => {
        const dir = mkdtempSync(join(tmpdir(), 'eventline-cp-'));
        const r = await runCli(cli, dir, await forbiddingServer(), 'checkpoint: {configMap: {namespace: ns, name: cp}}');
        expect(r.status).toBe(1);
        expect(r.stderr.trim().split('\n')).toEqual([
          `kube-eventline: cannot read the checkpoint ConfigMap ns/cp (the exporter's ServiceAccount needs get on it): GET /api/v1/namespaces/ns/configmaps/cp: 403 ${FORBIDDEN_MESSAGE}`,
        ]);
      });
    });
  });
});

const FORBIDDEN_MESSAGE =
  'configmaps "cp" is forbidden: User "system:serviceaccount:kube-eventline:kube-eventline" cannot get resource "configmaps" in API group "" in the namespace "ns"';

/** An API server whose RBAC allows nothing: a fault the test's real servers are not set up to give. */
async function forbiddingServer(): Promise<string> {
  const server = await startFaultServer((_req, res) => {
    res
      .writeHead(403, { 'Content-Type': 'application/json' })
      .end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: FORBIDDEN_MESSAGE, reason: 'Forbidden', code: 403 }));
  });
  cleanups.push(server.close);
  return server.url;
}

/** Runs the built command against `serverUrl` with `checkpointYaml`; asynchronous, so a server in this process can answer it. */
async function runCli(cli: string, dir: string, serverUrl: string, checkpointYaml: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first (npm test does)`);
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, simulatedKubeconfigYaml(serverUrl, 'test-token'));
  const config = join(dir, 'config.yaml');
  writeFileSync(config, `logLevel: error\nmetrics: {address: 127.0.0.1, port: 0}\n${checkpointYaml}\n`);
  const child = spawn(process.execPath, [cli, '--config', config, '--kubeconfig', kubeconfig], { env: { PATH: process.env.PATH } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill(), 30_000);
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  return { status, stdout, stderr };
}
