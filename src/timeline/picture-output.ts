import { closeSync, openSync, writeSync } from 'node:fs';

/** Thrown when the picture cannot be written; the message names the file. */
export class OutputError extends Error {}

const BATCH_CHARS = 1 << 16;

/**
 * Where the picture goes, a file or stdout, in batches of about 64 KiB: the renderers emit small
 * pieces, and the whole picture (megabytes for 100,000 lines) is never one string.
 */
export class PictureOutput {
  private readonly fd: number | undefined;
  private pending: string[] = [];
  private pendingChars = 0;

  constructor(private readonly path: string | undefined) {
    if (path === undefined) return;
    try {
      this.fd = openSync(path, 'w');
    } catch (err) {
      throw new OutputError(`cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }

  readonly write = (chunk: string): void => {
    this.pending.push(chunk);
    this.pendingChars += chunk.length;
    if (this.pendingChars >= BATCH_CHARS) this.flush();
  };

  close(): void {
    this.flush();
    if (this.fd !== undefined) closeSync(this.fd);
  }

  private flush(): void {
    const text = this.pending.join('');
    this.pending = [];
    this.pendingChars = 0;
    if (this.fd === undefined) {
      process.stdout.write(text);
      return;
    }
    try {
      writeSync(this.fd, text);
    } catch (err) {
      throw new OutputError(`cannot write ${this.path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
}
