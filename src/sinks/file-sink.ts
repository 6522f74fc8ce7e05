import { once } from 'node:events';
import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
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

/** A file receiver whose file cannot be opened: said at start-up, naming the receiver and the file. */
export class ReceiverFileError extends Error {
  constructor(receiver: string, path: string, cause: Error) {
    super(`receiver "${receiver}": cannot open ${path} for appending: ${cause.message}`);
    this.name = 'ReceiverFileError';
  }
}

/** Appends lines to a file, rotating by size (path → path.1 → … → path.maxFiles). */
export function createFileSink(name: string, options: FileSinkOptions): Sink {
  const maxBytes = options.maxBytes ?? 0;
  const maxFiles = Math.max(1, options.maxFiles ?? 3);
  // sonic-boom opens the file in the background; a path that cannot be opened (permissions, a
  // directory) must stop the start, not surface later as an obscure write error.
  try {
    mkdirSync(dirname(options.path), { recursive: true });
    closeSync(openSync(options.path, 'a'));
  } catch (err) {
    throw new ReceiverFileError(name, options.path, err as Error);
  }
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
    rotating ??= rotate()
      .catch((err: Error) => {
        // The line that crossed the limit was taken, so its write does not fail (the caller would
        // write it again); the next write reports the error. No rotation after that until a
        // restart: another one could move the file still being written and, at maxFiles, delete it.
        rotateAt = Number.POSITIVE_INFINITY;
        lines.reportOnNextWrite(err);
      })
      .finally(() => (rotating = undefined));
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
