// The built command, run as the bundle runs it: deploy/exporter/config.yaml, the bundle's own
// ServiceAccount and RBAC (applied for real), the ConfigMap checkpoint and the Lease.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventLine, RawEvent } from '../../src/line/event-line.js';
import { type Harness, harness } from '../harness/index.js';
import { freePort } from '../harness/server-process.js';
import { applyBundleRbac, clearExporterState, ExporterProcess, writeBundleConfig } from '../support/bundle-exporter.js';
import { eventually, occurrenceLedger } from '../support/capture-sink.js';
import { EventWriter } from '../support/kube-events.js';
import { linesBeforeSentinel } from '../support/sentinel.js';

const NS = 'kube-eventline';

let h: Harness;
let writer: EventWriter;
let saKubeconfig: string;
let configFile: string;
let metricsPort: number;

/** An exporter on the bundle's config file, its ServiceAccount and the current metrics port. */
const exporterProcess = () =>
  new ExporterProcess({ configFile, kubeconfig: saKubeconfig, metricsPort, env: { CLUSTER_NAME: 'e2e', POD_NAME: 'kube-eventline-test', POD_NAMESPACE: NS } });

beforeAll(async () => {
  h = await harness();
  writer = new EventWriter(h.kube.kubeConfig());
  // The bundle's Namespace, ServiceAccount and RBAC, rendered by kustomize and applied for real.
  await applyBundleRbac(h);
  const dir = mkdtempSync(join(tmpdir(), 'eventline-bundle-'));
  saKubeconfig = await h.kube.serviceAccountKubeconfig(NS, 'kube-eventline');
  metricsPort = await freePort();
  configFile = writeBundleConfig(dir, metricsPort);
  await clearExporterState(writer.api);
});

const processes: ExporterProcess[] = [];
afterAll(async () => {
  for (const p of processes) {
    p.resumeStdout(); // a stopped exporter waits until its lines are read
    await p.stop();
  }
});

describe('the exporter as the bundle deploys it', () => {
  it('runs with least privilege, writes only event lines on stdout, and resumes from its ConfigMap checkpoint', async () => {
    const ns = await writer.namespace('bundle');
    const first = exporterProcess();
    processes.push(first);
    await first.ready();
    const crash = await writer.create(ns, { reason: 'BackOff', type: 'Warning', objectName: 'api-1' });
    const other = await writer.create(ns, { reason: 'Scheduled', objectName: 'api-2' });
    await writer.bump(crash, 3);
    const mine = (lines: readonly EventLine[]) => lines.filter((l) => l.metadata.namespace === ns);
    await eventually('first lines', () => occurrenceLedger(mine(first.lines)).byUid.get(crash.metadata.uid!) === 4);

    // It holds the Lease and wrote its checkpoint with the bundle's RBAC.
    const lease = await writer.api.getJson<{ spec: { holderIdentity: string } }>(`/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/kube-eventline`);
    expect(lease.spec.holderIdentity).toMatch(/^kube-eventline-test_/);
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/kube_eventline_occurrences_written_total\{level="warning",receiver="stdout"\} [4-9]/);
    const lastEvent = Number(/^kube_eventline_last_event_timestamp_seconds (\S+)$/m.exec(metrics)?.[1]);
    expect(Math.abs(lastEvent - Date.now() / 1000)).toBeLessThan(3600); // the newest line's occurrence time
    expect(metrics).toMatch(/kube_eventline_route_rule_matches_total\{rule="route\.routes\[0\]\.match\[0\]",kind="match"\} [1-9]/);

    expect(await first.stop()).toBe(0);
    expect(first.badStdout).toEqual([]);
    expect(first.stderr).toContain('"component":"kube-eventline"');
    // An RBAC refusal reads "…: 403 …is forbidden…"; a port such as 40375 is not one.
    expect(first.stderr).not.toMatch(/forbidden|: 403 /i);
    const checkpoint = await writer.api.getJson<{ data?: Record<string, string>; binaryData: Record<string, string> }>(
      `/api/v1/namespaces/${NS}/configmaps/kube-eventline-checkpoint`,
    );
    expect(Object.keys(checkpoint.binaryData)).toEqual(['checkpoint.gz']);
    expect(checkpoint.data).toBeUndefined();
    const released = await writer.api.getJson<{ spec: { holderIdentity?: string } }>(`/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/kube-eventline`);
    expect(released.spec.holderIdentity ?? '').toBe('');

    // While it is away: one Event grows by 2, one is new.
    await writer.bump(crash, 2);
    const born = await writer.create(ns, { reason: 'OOMKilling', type: 'Warning', objectName: 'api-3' });

    const second = exporterProcess();
    processes.push(second);
    await second.ready();
    const afterRestart = mine(await linesBeforeSentinel(writer, ns, second));
    expect(afterRestart.map((l) => [l.metadata.uid, l.count, l.delta]).sort()).toEqual(
      [
        [crash.metadata.uid, 6, 2],
        [born.metadata.uid, 1, 1],
      ].sort(),
    );
    const all = occurrenceLedger([...mine(first.lines), ...afterRestart]);
    expect(all.repeatedPairs).toEqual([]);
    expect(all.byUid.get(other.metadata.uid!)).toBe(1);
    expect(all.byUid.get(crash.metadata.uid!)).toBe(6);
    expect(await second.stop()).toBe(0);
    expect(second.badStdout).toEqual([]);
  });

  it('a second replica waits for the Lease and is alive but not ready meanwhile', async () => {
    const leader = exporterProcess();
    processes.push(leader);
    await leader.ready();
    const leaderPort = metricsPort;
    metricsPort = await freePort();
    writeFileSync(configFile, readFileSync(configFile, 'utf8').replace(`port: ${leaderPort}`, `port: ${metricsPort}`));
    const candidate = exporterProcess();
    processes.push(candidate);
    await eventually('candidate serving probes', async () => {
      try {
        return (await fetch(`http://127.0.0.1:${metricsPort}/healthz`)).status === 200;
      } catch {
        return false;
      }
    });
    expect((await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).status).toBe(503);
    const ns = await writer.namespace('standby');
    const e: RawEvent = await writer.create(ns, { reason: 'BackOff', type: 'Warning' });
    await eventually('leader writes', () => leader.lines.some((l) => l.metadata.uid === e.metadata.uid));
    expect(candidate.lines.filter((l) => l.metadata.uid === e.metadata.uid)).toEqual([]);
    // The leader leaves; the candidate takes over from the checkpoint without repeating the line.
    expect(await leader.stop()).toBe(0);
    await candidate.ready();
    await writer.bump(e, 1);
    const byCandidate = await linesBeforeSentinel(writer, ns, candidate);
    expect(byCandidate.filter((l) => l.metadata.uid === e.metadata.uid).map((l) => [l.count, l.delta])).toEqual([[2, 1]]);
  });
  it('SIGTERM waits until every accepted line has reached stdout, even while the reader is stalled', async () => {
    for (const p of processes) await p.stop();
    const exporter = exporterProcess();
    processes.push(exporter);
    await exporter.ready();
    const written = () => exporter.metric('kube_eventline_lines_written_total');
    // Lines already on their way (Events of earlier tests) first, so the count below is ours: the
    // watch is ordered, so once a marker's line is out, every line before it is counted.
    await linesBeforeSentinel(writer, await writer.namespace('sigterm-settle'), exporter);
    const baseline = await written();
    const ns = await writer.namespace('sigterm');
    exporter.pauseStdout();
    try {
      // Lines of about 4 KiB (the message up to maxMessageBytes), 1,000 of them: far more than the
      // socket between the processes holds (child stdio is a socketpair of a few hundred KiB, a few
      // MiB at most): the exporter fills its own buffer, then its backpressure stops the pipeline.
      const created = 1000;
      const message = 'x'.repeat(4000);
      for (let batch = 0; batch < created / 40; batch++) {
        await Promise.all(Array.from({ length: 40 }, (_, i) => writer.create(ns, { reason: 'Pulled', objectName: `pod-${batch}-${i}`, message })));
      }
      // Stalled: the exporter's stdout is past its high-water mark and its writes wait for 'drain'.
      await eventually('the exporter waiting for its stalled stdout', async () => (await exporter.metric('kube_eventline_receiver_waiting')) === 1);
      const accepted = (await written()) - baseline;
      expect(accepted).toBeGreaterThan(0);
      const exited = exporter.stop();
      exporter.resumeStdout();
      expect(await exited).toBe(0);
      // Every line accepted before SIGTERM reached stdout: none was left in a buffer. (Also the
      // line whose write was waiting for the reader, and the rest of the watch chunk it came in.)
      // An exporter that exited at SIGTERM without waiting for the reader fails here: the lines
      // its buffers held (a stalled one holds more than sonic-boom's 16 KiB mark) never come out.
      const mine = exporter.lines.filter((l) => l.metadata.namespace === ns);
      expect(mine.length).toBeGreaterThan(accepted);
      expect(mine.length).toBeLessThan(created);
      expect(occurrenceLedger(mine).repeatedPairs).toEqual([]);
      expect(exporter.badStdout).toEqual([]);
      // The checkpoint saved at SIGTERM holds exactly what was written: the next start writes the rest, once.
      const next = exporterProcess();
      processes.push(next);
      await next.ready();
      const both = [...mine, ...(await linesBeforeSentinel(writer, ns, next)).filter((l) => l.metadata.namespace === ns)];
      const { byUid, repeatedPairs } = occurrenceLedger(both);
      expect(repeatedPairs).toEqual([]);
      expect(byUid.size).toBe(created);
      expect(both).toHaveLength(created);
      expect(await next.stop()).toBe(0);
    } finally {
      exporter.resumeStdout();
    }
  });
});
