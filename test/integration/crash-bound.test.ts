// The crash bound (#12 item 3), measured: the built command (dist/kube-eventline.mjs) on the
// bundle's config (ConfigMap checkpoint, intervalSeconds 10; leader election off so that a
// restart need not wait for a dead leader's Lease to expire), against the real API server, while a
// producer bumps Events at a steady rate. The exporter is killed with SIGKILL five times, each at
// a random moment 3–9 s after it became ready (crashes closer together than intervalSeconds), and
// restarted at once. At the end: Σdelta per uid ≥ its final count (nothing lost), and the
// occurrences each crash had written again stay within docs/design.md's bound: those written in
// the intervalSeconds before the crash, plus the 2 s a save and a start may take.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventLine, RawEvent } from '../../src/line/event-line.js';
import { harness } from '../harness/index.js';
import { freePort } from '../harness/server-process.js';
import { applyBundleRbac, clearExporterState, ExporterProcess, writeBundleConfig } from '../support/bundle-exporter.js';
import { EventWriter } from '../support/kube-events.js';
import { linesBeforeSentinel } from '../support/sentinel.js';

const NS = 'kube-eventline';
const EVENTS = 20;
const BUMPS_PER_SECOND = 10;
const CRASHES = 5;
const INTERVAL_SECONDS = 10;
/** What a save and a restart may add to intervalSeconds (docs/design.md, the crash bound). */
const SLACK_SECONDS = 2;

let writer: EventWriter;
let saKubeconfig: string;
let configFile: string;
let metricsPort: number;
let ns: string;
const processes: ExporterProcess[] = [];

beforeAll(async () => {
  const h = await harness();
  writer = new EventWriter(h.kube.kubeConfig());
  await applyBundleRbac(h);
  saKubeconfig = await h.kube.serviceAccountKubeconfig(NS, 'kube-eventline');
  metricsPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'eventline-crash-'));
  const bundle = readFileSync(writeBundleConfig(dir, metricsPort), 'utf8');
  const withoutLeader = bundle.replace(/^(leaderElection:\n {2}enabled: )true$/m, '$1false');
  if (withoutLeader === bundle) throw new Error('deploy/exporter/config.yaml: no "leaderElection: enabled: true" to turn off');
  if (!new RegExp(`^ {2}intervalSeconds: ${INTERVAL_SECONDS}$`, 'm').test(bundle))
    throw new Error(`deploy/exporter/config.yaml: checkpoint.intervalSeconds is no longer ${INTERVAL_SECONDS}`);
  configFile = join(dir, 'config.yaml');
  writeFileSync(configFile, withoutLeader);
  await clearExporterState(writer.api);
  ns = await writer.namespace('crash');
});

afterAll(async () => {
  for (const p of processes) if (p.exitCode === null) await p.kill();
  await clearExporterState(writer.api);
});

const start = () => {
  const p = new ExporterProcess({ configFile, kubeconfig: saKubeconfig, metricsPort, env: { CLUSTER_NAME: 'e2e', POD_NAME: 'crash-test', POD_NAMESPACE: NS } });
  processes.push(p);
  return p;
};

/**
 * Occurrences each process wrote that an earlier process had already written: a line covers the
 * counts (count - delta, count]; those at or below the highest count written before are repeats.
 */
function repeatsPerProcess(lines: ReadonlyArray<readonly EventLine[]>): number[] {
  const highest = new Map<string, number>();
  return lines.map((own) => {
    let repeats = 0;
    const after = new Map(highest);
    for (const line of own) {
      const uid = line.metadata.uid!;
      const before = highest.get(uid) ?? 0;
      repeats += Math.max(0, Math.min(line.count, before) - (line.count - line.delta));
      after.set(uid, Math.max(after.get(uid) ?? 0, line.count));
    }
    for (const [uid, count] of after) highest.set(uid, count);
    return repeats;
  });
}

describe('the crash bound', () => {
  it('five SIGKILLs closer together than intervalSeconds, under a steady producer: nothing lost, each crash repeats at most intervalSeconds of occurrences', async () => {
    const events: RawEvent[] = [];
    for (let i = 0; i < EVENTS; i++) events.push(await writer.create(ns, { reason: 'BackOff', type: 'Warning', objectName: `api-${i}` }));
    const first = start();
    await first.ready();

    // The producer: one bump every 1/BUMPS_PER_SECOND s, round robin, until told to stop.
    let producing = true;
    let bumps = 0;
    const producerStarted = Date.now();
    const producer = (async () => {
      for (let i = 0; producing; i++) {
        const due = producerStarted + (i * 1000) / BUMPS_PER_SECOND;
        await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
        await writer.bump(events[i % EVENTS]!);
        bumps++;
      }
    })();

    // The first process runs past a save, then five crashes 3–9 s after each start became ready.
    await new Promise((r) => setTimeout(r, (INTERVAL_SECONDS + 3) * 1000));
    let current = first;
    const lifetimes: number[] = [];
    for (let crash = 0; crash < CRASHES; crash++) {
      const wait = 3000 + Math.random() * 6000;
      await new Promise((r) => setTimeout(r, wait));
      await current.kill();
      lifetimes.push(Math.round(wait));
      current = start();
      await current.ready();
    }
    await new Promise((r) => setTimeout(r, 2000));
    producing = false;
    await producer;
    const rate = bumps / ((Date.now() - producerStarted) / 1000);
    await linesBeforeSentinel(writer, ns, current);
    expect(await current.stop()).toBe(0);

    const mine = processes.map((p) => p.lines.filter((l) => l.metadata.namespace === ns && l.reason !== 'TestSentinel'));
    const finalCounts = new Map<string, number>();
    for (const e of events)
      finalCounts.set(e.metadata.uid!, (await writer.api.getJson<RawEvent>(`/api/v1/namespaces/${ns}/events/${e.metadata.name}`)).count ?? 1);
    const written = new Map<string, number>();
    for (const line of mine.flat()) written.set(line.metadata.uid!, (written.get(line.metadata.uid!) ?? 0) + line.delta);
    const lost = [...finalCounts].filter(([uid, count]) => (written.get(uid) ?? 0) < count);
    expect(lost).toEqual([]);

    const repeats = repeatsPerProcess(mine).slice(1); // a restart's repeats are its crash's cost
    const bound = Math.ceil(rate * (INTERVAL_SECONDS + SLACK_SECONDS));
    const total = [...finalCounts.values()].reduce((a, b) => a + b, 0);
    console.log(
      `[crash-bound] ${bumps} bumps at ${rate.toFixed(1)}/s over ${EVENTS} Events (final Σcount ${total}, Σdelta written ${[...written.values()].reduce((a, b) => a + b, 0)}); ` +
        `killed ${lifetimes.join(', ')} ms after ready; occurrences written again per crash: ${repeats.join(', ')} (bound ${bound} = ${rate.toFixed(1)}/s × (${INTERVAL_SECONDS} + ${SLACK_SECONDS}) s); lost: ${lost.length}`,
    );
    expect(repeats).toHaveLength(CRASHES);
    for (const r of repeats) expect(r).toBeLessThanOrEqual(bound);
  }, 300_000);
});
