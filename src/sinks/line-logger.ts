import { once } from 'node:events';
import pino, { type Logger } from 'pino';
import { LEVELS, type Level } from '../grade/levels.js';
import type { EventLine } from '../line/event-line.js';

/** The severity levels as pino levels, so each line is written with `logger[level]`. */
const PINO_LEVELS = Object.fromEntries(LEVELS.map((level, i) => [level, (i + 1) * 10])) as Record<Level, number>;

type SonicBoom = ReturnType<typeof pino.destination>;

/** What fsync says of descriptors that cannot be synced (pipes, /dev/null), whose data was handed over all the same. */
const FSYNC_UNSUPPORTED = new Set(['EINVAL', 'ENOTSUP', 'EROFS', 'EBADF']);

/** sonic-boom's file descriptor; -1 until the file is open. */
function descriptor(destination: SonicBoom): number {
  return (destination as unknown as { fd: number }).fd;
}

/** Bytes sonic-boom holds that have not reached the operating system yet (its private `_len`). */
function pendingBytes(destination: SonicBoom): number {
  return (destination as unknown as { _len: number })._len;
}

/**
 * Lines are handed to the operating system in batches of about 8 KiB (one system call for many
 * lines) and at least every 200 ms, so a quiet cluster's lines are not held back.
 */
export const BATCHING = { minLength: 8192, periodicFlush: 200 } as const;

/**
 * Destinations made with these options take Buffers (LineLogger's `buffers`): in its default utf8
 * mode sonic-boom measures the whole pending batch string (`Buffer.byteLength`) on every write.
 */
export const BUFFER_CONTENT = { contentMode: 'buffer' } as const;

/**
 * Lines are gathered into one string and handed to the destination as one chunk once this many
 * characters have gathered, or when the event loop next gets a turn: one call into sonic-boom, one
 * Buffer and one write system call per chunk instead of per line or per 8 KiB, which took a tenth
 * of the pipeline's time. A chunk is over sonic-boom's high-water mark (16 KiB), so after each one
 * the writer waits for it to reach the operating system: at most two chunks are held.
 */
const CHUNK_CHARS = 32 * 1024;

/** A chunk handed to the destination: where its bytes end in the stream, and its lines. */
interface InFlightChunk {
  end: number;
  bytes: Buffer;
  lines: EventLine[];
  /** Lines of it already told of, and bytes of it already searched for their newlines. */
  counted: number;
  scanned: number;
}

function brokenPipe(): Error {
  return new Error("the destination's reader went away (EPIPE): no more lines can be written to it");
}

/**
 * Writes event lines through pino to a sonic-boom destination, and remembers whether the
 * destination's buffer passed its high-water mark, so the caller can wait for 'drain' instead
 * of letting a slow sink grow memory.
 *
 * Write errors reach the caller as a rejected write() and never crash the process. An error that
 * comes while a write waits for 'drain' rejects that write (its line had been taken); one that
 * comes while nobody waits rejects the next write, which then does not take its line. Bytes
 * already taken stay in sonic-boom, which writes them first on its next write.
 */
export class LineLogger {
  private readonly logger: Logger<Level, true>;
  /**
   * Set when the destination went past its high-water mark, at that moment: a chunk handed over
   * between two writes (setImmediate) could otherwise see its 'drain' go by before anyone waits.
   */
  private drained: Promise<void> | undefined;
  /** Whether `drained` was given to a caller, who then hears of an error through it. */
  private drainAwaited = false;
  /** A write error that came while no caller was waiting: the next write() reports it. */
  private unreported: Error | undefined;
  /** Why the destination can take nothing more (destroyed, or its reader gone: EPIPE), if so. */
  private broken: Error | undefined;

  /** Whether the destination is past its high-water mark: writes wait for its 'drain'. */
  get waiting(): boolean {
    return this.drained !== undefined;
  }

  /** Why nothing can be written any more, if so. */
  get brokenBy(): Error | undefined {
    return this.broken;
  }
  /** Lines pino has written that the destination has not been given yet. */
  private chunk = '';
  /** The lines of `chunk`, in order. */
  private chunkLines: EventLine[] = [];
  /** Chunks handed to the destination whose bytes have not all reached the operating system, oldest first. */
  private readonly inFlight: InFlightChunk[] = [];
  /** Bytes handed to the destination, and bytes it reported written (its 'write' events). */
  private handedBytes = 0;
  private reachedBytes = 0;
  /** Told of each line once all its bytes reached the operating system (`onLineWritten`). */
  private lineWritten: ((line: EventLine) => void) | undefined;
  private handOverScheduled = false;
  /** sonic-boom's write: true, false past the high-water mark, undefined once pino has silenced it after EPIPE. */
  private readonly toDestination: (chunk: string) => boolean | undefined;
  /** Characters of the lines taken since creation (gathered or handed over): the file sink counts bytes by it until a chunk is handed over. */
  written = 0;

  /** `buffers`: the destination was made with BUFFER_CONTENT and takes Buffers, not strings. */
  constructor(
    readonly destination: SonicBoom,
    options: { buffers?: boolean } = {},
  ) {
    const buffers = options.buffers === true;
    this.toDestination = (chunk) => {
      const bytes = Buffer.from(chunk, 'utf8');
      this.handedBytes += bytes.length;
      this.inFlight.push({ end: this.handedBytes, bytes, lines: this.chunkLines, counted: 0, scanned: 0 });
      this.chunkLines = [];
      return destination.write((buffers ? bytes : chunk) as unknown as string);
    };
    destination.on('write', (n: number) => this.reached(n));
    this.logger = pino<Level, true>(
      {
        customLevels: PINO_LEVELS,
        useOnlyCustomLevels: true,
        level: 'info',
        base: null,
        // The line carries the occurrence `time`; pino's own clock has no place in it.
        timestamp: false,
        // pino writes the level first, from the method called (`logger[line.level]`); the
        // line's own `level` key is skipped so it is not written twice.
        formatters: { level: (label) => ({ level: label }) },
        serializers: { level: () => undefined },
      },
      { write: (line: string) => this.gather(line) },
    );
    destination.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') this.broken ??= brokenPipe();
      else if (descriptor(destination) < 0) {
        // The file could not be opened (createFileSink checked it at start-up, so this is a race):
        // nothing can be written, and sonic-boom's periodic flush would throw on fd -1.
        this.broken ??= err;
        clearInterval((destination as unknown as { _periodicFlushTimer?: NodeJS.Timeout })._periodicFlushTimer);
      } else this.unreported = err; // cleared if a caller waiting for 'drain' hears of it (nextDrain)
    });
  }

  private gather(line: string): void {
    this.written += line.length;
    this.chunk += line;
    if (this.chunk.length >= CHUNK_CHARS) this.handOver();
    else if (!this.handOverScheduled) {
      this.handOverScheduled = true;
      setImmediate(this.handOverLater);
    }
  }

  private readonly handOverLater = (): void => {
    this.handOverScheduled = false;
    this.handOver();
  };

  private handOver(): void {
    if (this.chunk === '') return;
    const chunk = this.chunk;
    this.chunk = '';
    let accepted: boolean | undefined;
    try {
      accepted = this.toDestination(chunk);
    } catch (err) {
      // sonic-boom throws once destroyed or without a file: for good. The chunk stays with us.
      const taken = this.inFlight.pop();
      if (taken) {
        this.handedBytes -= taken.bytes.length;
        this.chunkLines = taken.lines.concat(this.chunkLines);
      }
      this.chunk = chunk;
      this.broken ??= err as Error;
      return;
    }
    if (accepted === undefined) this.broken ??= brokenPipe();
    else if (!accepted && !this.drained) this.drained = this.nextDrain();
  }

  private nextDrain(): Promise<void> {
    const settled = () => {
      this.drained = undefined;
    };
    // Cleared on an error too: later writes go on after an error was reported.
    this.drainAwaited = false;
    const drained = once(this.destination, 'drain').then(settled, (err: unknown) => {
      if (this.drainAwaited) this.unreported = undefined;
      settled();
      throw err;
    });
    drained.catch(() => {}); // the error reaches whoever waits; none may be waiting yet
    return drained;
  }

  /**
   * Writes one line; resolves immediately unless the destination asked to slow down. Rejects
   * without taking the line when the destination failed since the last write; rejects after taking
   * it when handing this very line over found the destination broken (nothing more can be written).
   */
  write(line: EventLine): void | Promise<void> {
    const failure = this.broken ?? this.unreported;
    if (failure) {
      this.unreported = undefined;
      return Promise.reject(failure);
    }
    // Before pino writes it: a chunk full with this line is handed over from within that call.
    this.chunkLines.push(line);
    this.logger[line.level](line);
    if (this.broken) return Promise.reject(this.broken); // by this very line's hand-over
    if (this.drained) this.drainAwaited = true;
    return this.drained;
  }

  /**
   * Calls `listener` with each line once all its bytes have reached the operating system (what
   * `lines_written_total` counts): a line still gathered or in sonic-boom's buffer when the
   * destination breaks (its reader went away) never reached it.
   */
  onLineWritten(listener: (line: EventLine) => void): void {
    this.lineWritten = listener;
  }

  /** The destination wrote `n` more bytes: tells of the lines they complete. */
  private reached(n: number): void {
    this.reachedBytes += n;
    while (this.inFlight.length) {
      const head = this.inFlight[0]!;
      const start = head.end - head.bytes.length;
      const written = Math.min(this.reachedBytes, head.end) - start;
      // A chunk written in part (a pipe that was nearly full): its lines that ended count already.
      let complete = head.lines.length;
      if (written < head.bytes.length) {
        complete = head.counted;
        let at = head.scanned;
        while ((at = head.bytes.indexOf(10, at)) >= 0 && at < written) {
          complete++;
          at++;
        }
        head.scanned = written;
      }
      if (this.lineWritten) for (let i = head.counted; i < complete; i++) this.lineWritten(head.lines[i]!);
      head.counted = complete;
      if (written < head.bytes.length) return;
      this.inFlight.shift();
    }
  }

  /** An error from outside the writes (a failed rotation) that the next write reports. */
  reportOnNextWrite(err: Error): void {
    this.unreported = err;
  }

  async flush(): Promise<void> {
    this.handOver();
    if (this.broken) throw this.broken;
    // sonic-boom opens its file asynchronously; a flush before that has nothing to flush into.
    if (descriptor(this.destination) < 0) await once(this.destination, 'ready');
    // One sonic-boom flush can end with up to minLength bytes still buffered (its 'drain' fires
    // below minLength while a write was in flight), so flush until nothing is left.
    do {
      await new Promise<void>((resolve, reject) => {
        this.destination.flush((err?: NodeJS.ErrnoException | null) => {
          // sonic-boom fsyncs after the last write, and hands write errors to this callback too:
          // only an fsync refused for the kind of descriptor counts as done.
          if (err && !(err.syscall === 'fsync' && FSYNC_UNSUPPORTED.has(err.code ?? ''))) reject(err);
          else resolve();
        });
      });
    } while (pendingBytes(this.destination) > 0);
  }

  async close(): Promise<void> {
    await this.flush();
    const closed = once(this.destination, 'close');
    this.destination.end();
    await closed;
  }
}
