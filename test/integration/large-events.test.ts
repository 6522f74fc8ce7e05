// Events as large as the real API server accepts (messages of 1.4 MiB), read by the built command
// (dist/kube-eventline.mjs) under the Deployment's own memory flags (NODE_OPTIONS read from
// deploy/exporter/deployment.yaml): the first list (500 items a page) and the watch.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { EventLine, RawEvent } from '../../src/line/event-line.js';
import { type Harness, harness } from '../harness/index.js';
import { freePort } from '../harness/server-process.js';
import { applyBundleRbac, clearExporterState, ExporterProcess, writeBundleConfig } from '../support/bundle-exporter.js';
import { eventually, occurrenceLedger } from '../support/capture-sink.js';
import { EventWriter } from '../support/kube-events.js';
import { repoPath } from '../support/real-events.js';

const NS = 'kube-eventline';
const MESSAGE_BYTES = Math.round(1.4 * 1024 * 1024);
/** The bundle's config leaves maxMessageBytes at its default. */
const MAX_MESSAGE_BYTES = 4096;

let h: Harness;
let writer: EventWriter;
let saKubeconfig: string;
let configFile: string;
let metricsPort: number;
let nodeOptions: string;

/** NODE_OPTIONS as the Deployment sets it, so the heap limit is the one the Pod has. */
function deploymentNodeOptions(): string {
  const docs = parseAllDocuments(readFileSync(repoPath('deploy', 'exporter', 'deployment.yaml'), 'utf8')).map((d) => d.toJS());
  const deployment = docs.find((d) => d?.kind === 'Deployment') as {
    spec: { template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } } };
  };
  const value = deployment.spec.template.spec.containers[0]!.env?.find((e) => e.name === 'NODE_OPTIONS')?.value;
  if (!value || !/--max-old-space-size=\d+/.test(value))
    throw new Error('deploy/exporter/deployment.yaml: no NODE_OPTIONS with --max-old-space-size on the exporter container');
  return value;
}

/** A message of `bytes` bytes, told apart by `tag`; "<" and "é" so the API server escapes and encodes. */
function largeMessage(tag: string, bytes: number): string {
  const unit = 'Back-off pulling image <registry.example/app:é> because the layer was not found; ';
  const head = `${tag}: `;
  let text = head + unit.repeat(Math.ceil(bytes / Buffer.byteLength(unit)));
  const encoded = Buffer.from(text, 'utf8').subarray(0, bytes);
  text = encoded.toString('utf8').replace(/\uFFFD$/, 'x'); // a cut "é" made whole with one byte
  return text;
}

/** What the written line's message must be: the first maxMessageBytes bytes at a character boundary, and the marker. */
function expectedMessage(message: string): string {
  const bytes = Buffer.from(message, 'utf8');
  let end = MAX_MESSAGE_BYTES;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return `${bytes.subarray(0, end).toString('utf8')} …[truncated ${bytes.length - end} bytes]`;
}

/** The peak resident set of a running process (VmHWM), in MiB. */
function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return vmHwmMiB(status, pid);
}

/** The peak so far, or 0 once the process is gone (then the last reading stands). */
function peakRssSoFar(pid: number): number {
  try {
    return peakRssMiB(pid);
  } catch {
    return 0;
  }
}

function vmHwmMiB(status: string, pid: number): number {
  const kib = Number(/^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1]);
  if (!Number.isFinite(kib)) throw new Error(`/proc/${pid}/status has no VmHWM`);
  return kib / 1024;
}

async function createLarge(ns: string, tags: string[]): Promise<Map<string, string>> {
  const messages = new Map<string, string>(); // uid → message
  for (let i = 0; i < tags.length; i += 10) {
    const created = await Promise.all(
      tags.slice(i, i + 10).map(async (tag) => {
        const message = largeMessage(tag, MESSAGE_BYTES);
        const event: RawEvent = await writer.create(ns, { reason: 'Failed', type: 'Warning', objectName: `pod-${tag}`, message });
        return [event.metadata.uid!, message] as const;
      }),
    );
    for (const [uid, message] of created) messages.set(uid, message);
  }
  return messages;
}

beforeAll(async () => {
  h = await harness();
  writer = new EventWriter(h.kube.kubeConfig());
  await applyBundleRbac(h);
  saKubeconfig = await h.kube.serviceAccountKubeconfig(NS, 'kube-eventline');
  metricsPort = await freePort();
  configFile = writeBundleConfig(mkdtempSync(join(tmpdir(), 'eventline-large-')), metricsPort);
  nodeOptions = deploymentNodeOptions();
});

let exporter: ExporterProcess | undefined;
afterAll(async () => {
  await exporter?.stop();
});

describe('Events with messages of 1.4 MiB, as the real API server accepts them', () => {
  it('150 of them at start (the first list) and 20 more on the watch: each written once, its message cut to maxMessageBytes, in the Deployment heap', async () => {
    await clearExporterState(writer.api);
    const ns = await writer.namespace('large');
    const listed = await createLarge(
      ns,
      Array.from({ length: 150 }, (_, i) => `listed-${i}`),
    );

    exporter = new ExporterProcess({
      configFile,
      kubeconfig: saKubeconfig,
      metricsPort,
      env: { CLUSTER_NAME: 'e2e', POD_NAME: 'kube-eventline-large', POD_NAMESPACE: NS, NODE_OPTIONS: nodeOptions },
    });
    const running = exporter;
    const mine = () => running.lines.filter((l) => l.metadata.namespace === ns);
    let gone = false; // exitCode stays null when a signal ended it (V8 aborts on heap out of memory)
    void running.exited.then(() => (gone = true));
    const failed = () => (gone ? `the exporter exited (code ${running.exitCode}):\n${running.stderr.slice(-2000)}` : '');
    let peakSeen = 0; // read while waiting, so an exporter that dies still leaves a figure
    await eventually(
      '150 listed Events written',
      () => {
        peakSeen = Math.max(peakSeen, peakRssSoFar(running.pid));
        if (failed()) throw new Error(`${failed()}\npeak RSS seen ${peakSeen.toFixed(0)} MiB`);
        return mine().length >= listed.size;
      },
      180_000,
    ).catch((err: Error) => {
      // What an exporter that cannot cope looks like: its peak so far, and its last words.
      throw new Error(
        `${err.message}: ${mine().length} written, peak RSS seen ${peakSeen.toFixed(0)} MiB, exit code ${running.exitCode}\n${running.stderr.slice(-1500)}`,
      );
    });
    const afterList = peakRssMiB(running.pid);

    const watched = await createLarge(
      ns,
      Array.from({ length: 20 }, (_, i) => `watched-${i}`),
    );
    await eventually(
      '20 watched Events written',
      () => {
        if (failed()) throw new Error(failed());
        return mine().length >= listed.size + watched.size;
      },
      120_000,
    );
    const peak = peakRssMiB(running.pid);
    console.log(
      `large Events: NODE_OPTIONS="${nodeOptions}", peak RSS (VmHWM) ${afterList.toFixed(0)} MiB after the list of 150, ${peak.toFixed(0)} MiB after 20 more on the watch`,
    );

    const lines: EventLine[] = mine();
    const expected = new Map([...listed, ...watched]);
    const { byUid, repeatedPairs } = occurrenceLedger(lines);
    expect(repeatedPairs).toEqual([]);
    expect(lines).toHaveLength(expected.size);
    expect([...byUid.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const line of lines) {
      const message = expected.get(line.metadata.uid!)!;
      expect(line.message).toBe(expectedMessage(message));
    }
    expect(await running.stop()).toBe(0);
    exporter = undefined;
    expect(running.badStdout).toEqual([]);
    expect(running.stderr).not.toMatch(/heap out of memory/i);
  }, 600_000);
});
