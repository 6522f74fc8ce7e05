import fs, { mkdirSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { buildLine } from '../../src/line/build-line.js';
import { createFileSink, ReceiverFileError } from '../../src/sinks/file-sink.js';
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

  it('escapes control characters and lone surrogates so each line stays one valid JSON line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eventline-sink-'));
    const sink = createFileSink('f', { path: join(dir, 'odd.jsonl') });
    const odd = { ...realEvents()[0]!, message: 'bell\u0007 newline\n tab\t nul\u0000 lone\ud800 quote" backslash\\ replacement\ufffd' };
    await sink.write(buildLine(odd, 'info', 1, context));
    await sink.close();
    const text = readFileSync(join(dir, 'odd.jsonl'), 'utf8');
    expect(text.split('\n')).toHaveLength(2); // one line and the final newline
    expect((JSON.parse(text) as { message: string }).message).toBe(odd.message);
    expect(text).toContain('\\u0007');
    expect(text).toContain('\\ud800');
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
    const uids = readFileSync(`${path}.1`, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).metadata.uid as string);
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
    expect(readFileSync(path, 'utf8').split('\n').filter((l) => l !== '')).toHaveLength(total);
    await sink.close();
    try {
      closeSync(fd);
    } catch {
      // already closed by the sink
    }
  });
});
