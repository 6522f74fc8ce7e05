import { once } from 'node:events';
import { existsSync, renameSync, rmSync } from 'node:fs';
import pino from 'pino';
import type { EventLine } from '../line/event-line.js';
import { BATCHING, BUFFER_CONTENT, LineLogger } from './line-logger.js';
import type { Sink } from './sink.js';
import { deDotLine } from './de-dot.js';

export interface FileSinkOptions {
  path: string;
  /** Rotate once the file holds about this many bytes; 0 = never. */
  maxBytes?: number;
  /** Rotated files kept as path.1 … path.N. */
  maxFiles?: number;
  deDot?: boolean;
}

/** Appends lines to a file, rotating by size (path → path.1 → … → path.maxFiles). */
export function createFileSink(name: string, options: FileSinkOptions): Sink {
  const maxBytes = options.maxBytes ?? 0;
  const maxFiles = Math.max(1, options.maxFiles ?? 3);
  const destination = pino.destination({ dest: options.path, sync: false, mkdir: true, append: true, ...BATCHING, ...BUFFER_CONTENT });
  const lines = new LineLogger(destination, { buffers: true });
  let rotateAt = maxBytes;
  let rotating: Promise<void> | undefined;

  async function rotate(): Promise<void> {
    await lines.flush();
    for (let i = maxFiles; i >= 1; i--) {
      const from = i === 1 ? options.path : `${options.path}.${i - 1}`;
      const to = `${options.path}.${i}`;
      if (i === maxFiles && existsSync(to)) rmSync(to);
      if (existsSync(from)) renameSync(from, to);
    }
    destination.reopen();
    await once(destination, 'ready');
    rotateAt = lines.written + maxBytes;
  }

  /** Rotates once the file has grown past maxBytes; a Promise only then. */
  function rotateIfDue(): void | Promise<void> {
    if (maxBytes === 0 || lines.written < rotateAt) return;
    // Several watch loops share a sink: one rotation at a time, and only one per crossing.
    rotating ??= rotate().finally(() => (rotating = undefined));
    return rotating;
  }

  return {
    name,
    write(line: EventLine) {
      const pending = lines.write(options.deDot ? deDotLine(line) : line);
      return pending ? pending.then(rotateIfDue) : rotateIfDue();
    },
    flush: () => lines.flush(),
    close: () => lines.close(),
  };
}
