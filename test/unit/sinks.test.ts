import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildLine } from '../../src/line/build-line.js';
import { createFileSink } from '../../src/sinks/file-sink.js';
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
