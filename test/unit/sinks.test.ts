import { spawn } from 'node:child_process';
import fs, { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { Exporter } from '../../src/exporter.js';
import { buildLine } from '../../src/line/build-line.js';
import type { RawEvent } from '../../src/line/event-line.js';
import { ExporterMetrics } from '../../src/serve/metrics.js';
import { createFileSink, ReceiverFileError } from '../../src/sinks/file-sink.js';
import { createStdoutSink } from '../../src/sinks/stdout-sink.js';
import { kubeHttpAt } from '../support/fake-api.js';
import { realEvents } from '../support/real-events.js';

const context = { clusterName: 'c', maxMessageBytes: 4096 };

describe('file sink', () => {
  it('writes one valid JSON line per occurrence line, level first, nothing else', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eventline-sink-'));
    const sink = createFileSink('f', { path: join(dir, 'events.jsonl') });
    const events = realEvents().slice(0, 50);
    for (const e of events) await sink.write(buildLine(e, 'warning', 1, context));
    await sink.close();
    const lines = readFileSync(join(dir, 'events.jsonl'), 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(50);
    lines.forEach((text, i) => {
      expect(text.startsWith('{"level":"warning",')).toBe(true);
      const parsed = JSON.parse(text) as Record<string, unknown>;
      expect(parsed.metadata).toEqual(expect.objectContaining({ uid: events[i]!.metadata.uid }));
      expect(Object.keys(parsed).filter((k) => k === 'level')).toHaveLength(1);
      expect(parsed).not.toHaveProperty('pid');
      expect(parsed).not.toHaveProperty('hostname');
    });
  });

  /** The bytes the file receiver writes for one Event. */
  async function writtenFor(event: RawEvent): Promise<Buffer> {
    const path = join(mkdtempSync(join(tmpdir(), 'eventline-sink-')), 'odd.jsonl');
    const sink = createFileSink('f', { path });
    await sink.write(buildLine(event, 'info', 1, context));
    await sink.close();
    return readFileSync(path);
  }

  it('escapes control characters and lone surrogates so each line stays one valid JSON line', async () => {
    const odd = { ...realEvents()[0]!, message: 'bell\u0007 newline\n tab\t nul\u0000 lone\ud800 quote" backslash\\ replacement\ufffd' };
    const text = (await writtenFor(odd)).toString('utf8');
    expect(text.split('\n')).toHaveLength(2); // one line and the final newline
    expect((JSON.parse(text) as { message: string }).message).toBe(odd.message);
    expect(text).toContain('\\u0007');
    expect(text).toContain('\\ud800');
  });

  it('a lone surrogate becomes U+FFFD in a short top-level string and stays an escape in a nested one, as docs/event-line.md says', async () => {
    const base = realEvents()[0]!;
    const bytes = await writtenFor({ ...base, message: 'lone\ud800 only', involvedObject: { ...base.involvedObject, name: 'pod\udc00' } });
    expect(new TextDecoder('utf-8', { fatal: true }).decode(bytes)).toBeTruthy(); // valid UTF-8 throughout
    const parsed = JSON.parse(bytes.toString('utf8')) as { message: string; involvedObject: { name: string } };
    expect(parsed.message).toBe('lone\ufffd only');
    expect(parsed.involvedObject.name).toBe('pod\udc00');
    expect(bytes.toString('utf8')).toContain('pod\\udc00');
  });

  it('DEL and C1 controls pass as their UTF-8 bytes: valid JSON needs no escape for them', async () => {
    const odd = { ...realEvents()[0]!, message: 'del\u007f csi\u009b nel\u0085' };
    const text = (await writtenFor(odd)).toString('utf8');
    expect(text.split('\n')).toHaveLength(2);
    expect((JSON.parse(text) as { message: string }).message).toBe(odd.message);
  });

  it('rotates by size, keeping maxFiles rotated files and losing no line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eventline-rotate-'));
    const path = join(dir, 'events.jsonl');
    const sink = createFileSink('f', { path, maxBytes: 4096, maxFiles: 2 });
    const events = realEvents();
    for (const e of events.slice(0, 40)) await sink.write(buildLine(e, 'normal', 1, context));
    await sink.close();
    const files = readdirSync(dir).sort();
    expect(files).toEqual(['events.jsonl', 'events.jsonl.1', 'events.jsonl.2']);
    for (const f of files) {
      const text = readFileSync(join(dir, f), 'utf8');
      if (f !== 'events.jsonl') expect(text.length).toBeGreaterThanOrEqual(4096);
      for (const l of text.split('\n').filter((l) => l !== '')) expect(() => JSON.parse(l)).not.toThrow();
    }
  });

  it('counts the size the file already had: a file 1 byte short of maxBytes rotates on the first write after a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eventline-restart-'));
    const path = join(dir, 'events.jsonl');
    const maxBytes = 4096;
    const before = `${'x'.repeat(maxBytes - 2)}\n`; // left by the previous run
    writeFileSync(path, before);
    const sink = createFileSink('f', { path, maxBytes, maxFiles: 2 });
    const line = buildLine(realEvents()[0]!, 'normal', 1, context);
    await sink.write(line);
    await sink.close();
    expect(readdirSync(dir).sort()).toEqual(['events.jsonl', 'events.jsonl.1']);
    const rotated = readFileSync(`${path}.1`, 'utf8');
    expect(rotated.startsWith(before)).toBe(true);
    expect((JSON.parse(rotated.slice(before.length)) as { metadata: { uid: string } }).metadata.uid).toBe(line.metadata.uid);
    expect(statSync(path).size).toBe(0);
  });

  it('rotates by bytes, not characters: lines of "é" and "日本" fill a file to maxBytes bytes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eventline-rotate-bytes-'));
    const path = join(dir, 'events.jsonl');
    const maxBytes = 16 * 1024;
    const sink = createFileSink('f', { path, maxBytes, maxFiles: 2 });
    // 1,500 characters, 4,000 bytes in UTF-8 (under maxMessageBytes, so not truncated).
    const message = `${'é'.repeat(500)}${'日本'.repeat(500)}`;
    const line = buildLine({ ...realEvents()[0]!, message }, 'normal', 1, context);
    const lineBytes = Buffer.byteLength(`${JSON.stringify(line)}\n`);
    for (let i = 0; i < 12; i++) {
      await sink.write(line);
      await new Promise(setImmediate); // each line handed to the file before the next one
    }
    await sink.close();
    expect(readdirSync(dir).sort()).toEqual(['events.jsonl', 'events.jsonl.1', 'events.jsonl.2']);
    for (const rotated of [`${path}.1`, `${path}.2`]) {
      const size = statSync(rotated).size;
      expect(size).toBeGreaterThanOrEqual(maxBytes);
      // Counting characters would let a file hold about 2.5 × maxBytes bytes of these lines.
      expect(size).toBeLessThan(maxBytes + 2 * lineBytes);
      expect(readFileSync(rotated, 'utf8')).toContain(message);
    }
  });

  it('a file that cannot be opened stops the start, naming the receiver and the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eventline-open-'));
    const path = join(dir, 'events.jsonl');
    mkdirSync(path); // a directory where the file should be
    expect(() => createFileSink('archive', { path })).toThrow(ReceiverFileError);
    expect(() => createFileSink('archive', { path })).toThrow(`receiver "archive": cannot open ${path} for appending: EISDIR`);
  });

  it('a rotation whose new file cannot be opened fails the next write, not the one that crossed the limit, and rotates no more; no line is lost or doubled', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eventline-rotate-fail-'));
    const path = join(dir, 'events.jsonl');
    const sink = createFileSink('f', { path, maxBytes: 4096, maxFiles: 2 });
    const events = realEvents();
    const written: string[] = [];
    const write = async (i: number) => {
      const line = buildLine(events[i]!, 'normal', 1, context);
      await sink.write(line);
      written.push(line.metadata.uid!);
    };
    let i = 0;
    // Fault injection: the reopen after the first rotation fails as with too many open files;
    // a real EMFILE cannot be produced on demand here. sonic-boom opens through fs.open.
    const open = fs.open;
    const failing = vi.spyOn(fs, 'open').mockImplementation(((...args: Parameters<typeof fs.open>) => {
      if (args[0] === path && fs.existsSync(`${path}.1`)) {
        failing.mockRestore();
        const callback = args[args.length - 1] as (err: NodeJS.ErrnoException) => void;
        process.nextTick(() => callback(Object.assign(new Error(`EMFILE: too many open files, open '${path}'`), { code: 'EMFILE' })));
        return;
      }
      return (open as (...a: unknown[]) => void)(...args);
    }) as typeof fs.open);
    while (!fs.existsSync(`${path}.1`)) await write(i++); // the write that crossed the limit is not failed
    await expect(sink.write(buildLine(events[i]!, 'normal', 1, context))).rejects.toMatchObject({ code: 'EMFILE' });
    for (const end = i + 60; i < end; i++) await write(i); // well past maxBytes again: no rotation
    await sink.close();
    expect(readdirSync(dir).sort()).toEqual(['events.jsonl.1']); // the lines went on into the file that was open
    const uids = readFileSync(`${path}.1`, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l).metadata.uid as string);
    expect(uids).toEqual(written);
  });
});

describe('stdout sink flush', () => {
  it('resolves only when every line written so far has reached the file descriptor', async () => {
    const { openSync, closeSync } = await import('node:fs');
    const { createStdoutSink } = await import('../../src/sinks/stdout-sink.js');
    const path = join(mkdtempSync(join(tmpdir(), 'eventline-flush-')), 'out.jsonl');
    const fd = openSync(path, 'w');
    const sink = createStdoutSink('stdout', {}, fd);
    // Enough lines to start one write (past the 8 KiB batch), then two more that stay buffered
    // while that write is in flight: the case where one sonic-boom flush returns too early.
    const line = buildLine(realEvents()[0]!, 'info', 1, context);
    const lineBytes = Buffer.byteLength(`${JSON.stringify(line)}\n`);
    const total = Math.ceil(8192 / lineBytes) + 2;
    for (let i = 0; i < total; i++) expect(sink.write(line)).toBeUndefined();
    await sink.flush();
    // Read at once: the checkpoint relies on flush() meaning "written".
    expect(
      readFileSync(path, 'utf8')
        .split('\n')
        .filter((l) => l !== ''),
    ).toHaveLength(total);
    await sink.close();
    try {
      closeSync(fd);
    } catch {
      // already closed by the sink
    }
  });
});

describe('a receiver that can never write again', () => {
  it('stdout whose reader went away (EPIPE) says so, and the exporter names it for the liveness probe', async () => {
    // The reader closes its end of the pipe at once and stays alive, so our end stays open.
    const reader = spawn('sh', ['-c', 'exec 0<&-; sleep 30'], { stdio: ['pipe', 'ignore', 'ignore'] });
    try {
      const fd = (reader.stdin as unknown as { _handle: { fd: number } })._handle.fd;
      await new Promise((r) => setTimeout(r, 200));
      const sink = createStdoutSink('stdout', {}, fd);
      const healthy = createStdoutSink('other', {}, fs.openSync('/dev/null', 'w'));
      const exporter = new Exporter({
        api: kubeHttpAt('http://127.0.0.1:1'), // unused: lines are written directly
        clusterName: 'test',
        namespaces: ['shop'],
        maxEventAgeSeconds: 300,
        maxMessageBytes: 4096,
        grade: () => 'warning',
        route: () => ['stdout', 'other'],
        sinks: new Map([
          ['stdout', sink],
          ['other', healthy],
        ]),
        metrics: new ExporterMetrics('test_', false),
        log: pino({ level: 'silent' }),
      });
      expect(exporter.brokenReceivers()).toEqual([]);
      const line = buildLine(realEvents()[0]!, 'info', 1, context);
      for (let i = 0; i < 200 && !sink.brokenBy!(); i++) {
        await Promise.resolve(sink.write({ ...line, message: 'x'.repeat(40_000) })).catch(() => {});
        await new Promise((r) => setTimeout(r, 5));
      }
      expect(String(sink.brokenBy!())).toMatch(/EPIPE/);
      expect(healthy.brokenBy!()).toBeUndefined();
      expect(exporter.brokenReceivers()).toEqual(['stdout']);
    } finally {
      reader.kill();
      reader.stdin!.destroy();
    }
  });
});
