import { once } from 'node:events';
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import pino from 'pino';
import type { EventLine } from '../line/event-line.js';
import { deDotLine } from './de-dot.js';
import { BATCHING, BUFFER_CONTENT, LineLogger } from './line-logger.js';
import type { Sink } from './sink.js';

export interface FileSinkOptions {
  path: string;
  /** Rotate once the file holds about this many bytes, counting what it held at start; 0 = never. */
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
  let sizeAtStart: number;
  try {
    mkdirSync(dirname(options.path), { recursive: true });
    const fd = openSync(options.path, 'a');
    try {
      sizeAtStart = fstatSync(fd).size;
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    throw new ReceiverFileError(name, options.path, err as Error);
  }
  const destination = pino.destination({ dest: options.path, sync: false, mkdir: true, append: true, ...BATCHING, ...BUFFER_CONTENT });
  const lines = new LineLogger(destination, { buffers: true });

  // Bytes are counted per chunk: LineLogger hands all it has gathered to destination.write as one
  // Buffer, whose length is the byte count, already computed (no Buffer.byteLength per line). Its
  // `written` counts characters as lines are gathered, so the characters gathered since the last
  // hand-over are the only part not yet counted in bytes.
  let bytesHandedOver = 0;
  let charsHandedOver = 0;
  const handOver = destination.write.bind(destination);
  destination.write = (chunk: string | Buffer): boolean => {
    const accepted = handOver(chunk as string); // throws when destroyed: then the chunk was not taken
    bytesHandedOver += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    charsHandedOver = lines.written;
    return accepted;
  };
  /** Bytes of the lines taken: exact up to the last hand-over, one per character after it (a lower bound until the next). */
  const bytesTaken = (): number => bytesHandedOver + (lines.written - charsHandedOver);

  // A restart goes on with the file the last run left: its size counts towards maxBytes.
  let rotateAt = maxBytes - sizeAtStart;
  let rotating: Promise<void> | undefined;

  async function rotate(): Promise<void> {
    await lines.flush();
    for (let i = maxFiles; i >= 1; i--) {
      const from = i === 1 ? options.path : `${options.path}.${i - 1}`;
      const to = `${options.path}.${i}`;
      if (i === maxFiles && existsSync(to)) rmSync(to);
      if (existsSync(from)) renameSync(from, to);
    }
    // Everything flushed is in the moved file; lines taken since (still gathered, or held by
    // sonic-boom until the new file is open) go to the new one.
    rotateAt = bytesHandedOver + maxBytes;
    destination.reopen();
    await once(destination, 'ready');
  }

  /** Rotates once the file has grown past maxBytes; a Promise only then. */
  function rotateIfDue(): void | Promise<void> {
    if (maxBytes === 0 || bytesTaken() < rotateAt) return;
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
    brokenBy: () => lines.brokenBy,
    onLineWritten: (listener) => lines.onLineWritten(listener),
    waiting: () => lines.waiting,
  };
}
