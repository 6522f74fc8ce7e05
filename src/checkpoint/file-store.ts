import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { type Checkpoint, type CheckpointSaved, type CheckpointStore, CheckpointStoreError, decodeCheckpoint, encodeCheckpoint } from './checkpoint.js';

/** A checkpoint in a local file (a volume that outlives the container), replaced atomically. No size limit: nothing is left out. */
export class FileCheckpointStore implements CheckpointStore {
  constructor(private readonly path: string) {}

  get description(): string {
    return `file ${this.path}`;
  }

  async load(): Promise<Checkpoint | undefined> {
    let stored: Buffer;
    try {
      stored = readFileSync(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new CheckpointStoreError(`cannot read the checkpoint file ${this.path}`, err);
    }
    // Gzip bytes since format 2; the base64 text of format 1 still reads.
    return decodeCheckpoint(stored, this.description);
  }

  async save(checkpoint: Checkpoint): Promise<CheckpointSaved> {
    try {
      this.write(encodeCheckpoint(checkpoint));
    } catch (err) {
      throw new CheckpointStoreError(`cannot write the checkpoint file ${this.path}`, err);
    }
    return { droppedEntries: 0, trimmedScopes: [] };
  }

  private write(encoded: Uint8Array): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const partial = `${this.path}.partial`;
    // fsync before the rename: after a node crash the file is the old one or the new one, never torn.
    const fd = openSync(partial, 'w');
    try {
      writeSync(fd, encoded);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(partial, this.path);
  }
}
