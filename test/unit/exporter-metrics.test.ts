// What the exporter counts about itself, fed through Exporter.ingest as the watch would feed it
// (no API server: ingest skips the network; the integration tests run the same pipeline against
// the real one). The invalid Events below are ones the real API server never sends (it always
// sets metadata.uid): they play a broken or hostile source.
import { spawn } from 'node:child_process';
import fs, { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { Exporter } from '../../src/exporter.js';
import type { RawEvent } from '../../src/line/event-line.js';
import { ExporterMetrics } from '../../src/serve/metrics.js';
import type { Sink } from '../../src/sinks/sink.js';
import { createStdoutSink } from '../../src/sinks/stdout-sink.js';
import { CaptureSink } from '../support/capture-sink.js';
import { kubeHttpAt } from '../support/fake-api.js';
import { realEvents } from '../support/real-events.js';

function exporterWith(sinks: Sink[], options: { now?: () => number; log?: pino.Logger } = {}) {
  const metrics = new ExporterMetrics('test_', false);
  const exporter = new Exporter({
    api: kubeHttpAt('http://127.0.0.1:1'), // unused: Events come through ingest
    clusterName: 'test',
    namespaces: [],
    maxEventAgeSeconds: 300,
    maxMessageBytes: 4096,
    grade: () => 'warning',
    route: () => sinks.map((s) => s.name),
    sinks: new Map(sinks.map((s) => [s.name, s])),
    metrics,
    log: options.log ?? pino({ level: 'silent' }),
    ...(options.now ? { now: options.now } : {}),
  });
  return { exporter, metrics };
}

async function sample(metrics: ExporterMetrics, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const metric = await metrics.registry.getSingleMetric(`test_${name}`)!.get();
  const found = metric.values.find((v) => Object.entries(labels).every(([k, value]) => v.labels[k] === value));
  return found?.value;
}

let uidSeq = 0;
function event(fields: Partial<RawEvent> = {}): RawEvent {
  const base = realEvents()[0]!;
  return { ...base, ...fields, metadata: { ...base.metadata, uid: `uid-${++uidSeq}`, ...fields.metadata } };
}

describe('exporter metrics', () => {
  it('an Event without metadata or uid is counted as dropped (invalid), with one warning', async () => {
    const logged: string[] = [];
    const log = pino(
      { level: 'info' },
      new Writable({
        write: (chunk, _enc, done) => {
          logged.push(String(chunk));
          done();
        },
      }),
    );
    const sink = new CaptureSink('capture');
    const { exporter, metrics } = exporterWith([sink], { log });
    await exporter.ingest('ADDED', { ...event(), metadata: undefined } as unknown as RawEvent);
    await exporter.ingest('ADDED', event({ metadata: { uid: '' } }));
    await exporter.ingest('MODIFIED', { reason: 'NoMetadata' } as unknown as RawEvent);
    await exporter.ingest('ADDED', event());
    expect(sink.lines).toHaveLength(1);
    expect(await sample(metrics, 'events_dropped_total', { why: 'invalid' })).toBe(3);
    const warnings = logged.filter((l) => l.includes('without metadata or metadata.uid'));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0]!).level).toBe(40);
  });

  it('a lastTimestamp far in the future counts as the time it was written: the gauge still moves with later Events', async () => {
    let now = Date.parse('2026-11-21T03:00:00Z');
    const { exporter, metrics } = exporterWith([new CaptureSink('capture')], { now: () => now });
    await exporter.ingest('ADDED', event({ lastTimestamp: '9999-12-31T23:59:59Z', firstTimestamp: '9999-12-31T23:59:59Z' }));
    expect(await sample(metrics, 'last_event_timestamp_seconds')).toBe(now / 1000);
    now += 120_000;
    const later = '2026-11-21T03:01:30Z'; // after the first line was written, before now
    await exporter.ingest('ADDED', event({ lastTimestamp: later }));
    expect(await sample(metrics, 'last_event_timestamp_seconds')).toBe(Date.parse(later) / 1000);
    // A node's clock a little ahead (under a minute) is taken as it is.
    const ahead = '2026-11-21T03:02:30Z';
    await exporter.ingest('ADDED', event({ lastTimestamp: ahead }));
    expect(await sample(metrics, 'last_event_timestamp_seconds')).toBe(Date.parse(ahead) / 1000);
    // An ordinary, older time does not move it back.
    await exporter.ingest('ADDED', event({ lastTimestamp: '2026-11-21T02:00:00Z' }));
    expect(await sample(metrics, 'last_event_timestamp_seconds')).toBe(Date.parse(ahead) / 1000);
  });

  it("lines_written_total counts lines that reached the operating system: none when stdout's reader went away (EPIPE), all on a file", async () => {
    // The reader closes its end of the pipe at once and stays alive, so our end stays open.
    const reader = spawn('sh', ['-c', 'exec 0<&-; sleep 30'], { stdio: ['pipe', 'ignore', 'ignore'] });
    try {
      const fd = (reader.stdin as unknown as { _handle: { fd: number } })._handle.fd;
      await new Promise((r) => setTimeout(r, 200));
      const broken = createStdoutSink('stdout', {}, fd);
      const file = join(mkdtempSync(join(tmpdir(), 'eventline-count-')), 'lines.jsonl');
      const healthy = createStdoutSink('file', {}, fs.openSync(file, 'w'));
      const { exporter, metrics } = exporterWith([broken, healthy]);
      let taken = 0;
      for (let i = 0; i < 50 && !broken.brokenBy!(); i++) {
        try {
          await exporter.ingest('ADDED', event());
          taken++;
        } catch {
          // the write that found the pipe broken
        }
        await new Promise((r) => setImmediate(r));
      }
      expect(String(broken.brokenBy!())).toMatch(/EPIPE/);
      expect(taken).toBeGreaterThan(0); // lines were taken before the break showed
      await healthy.flush();
      const inFile = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).length;
      expect(await sample(metrics, 'lines_written_total', { receiver: 'file' })).toBe(inFile);
      expect(await sample(metrics, 'lines_written_total', { receiver: 'stdout' })).toBeUndefined();
    } finally {
      reader.kill();
      reader.stdin!.destroy();
    }
  });

  it('receiver_waiting is 1 while writes wait for a stalled reader, 0 once it drained', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eventline-waiting-'));
    const go = join(dir, 'go');
    // A reader that reads nothing until the file `go` exists, then everything.
    const reader = spawn('sh', ['-c', `while [ ! -e ${go} ]; do sleep 0.05; done; cat > /dev/null`], { stdio: ['pipe', 'ignore', 'ignore'] });
    try {
      const fd = (reader.stdin as unknown as { _handle: { fd: number } })._handle.fd;
      const sink = createStdoutSink('stdout', {}, fd);
      const { exporter, metrics } = exporterWith([sink]);
      expect(await sample(metrics, 'receiver_waiting', { receiver: 'stdout' })).toBe(0);
      const message = 'x'.repeat(4000);
      let waiting: Promise<void> | undefined | void;
      for (let i = 0; i < 10_000 && !waiting; i++) {
        waiting = exporter.ingest('ADDED', event({ message }));
        if (!waiting) await new Promise((r) => setImmediate(r));
      }
      expect(waiting).toBeInstanceOf(Promise);
      expect(await sample(metrics, 'receiver_waiting', { receiver: 'stdout' })).toBe(1);
      writeFileSync(go, '');
      await waiting;
      await sink.flush();
      expect(await sample(metrics, 'receiver_waiting', { receiver: 'stdout' })).toBe(0);
    } finally {
      reader.kill();
      reader.stdin!.destroy();
    }
  });
});
