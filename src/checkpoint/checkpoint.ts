import { gunzipSync, gzipSync } from 'node:zlib';

/**
 * What survives a restart: per watched scope, each Event (by uid hash) with the occurrence
 * count already written and how long ago it was last seen (in tracker generations). With it, the first list after a restart writes
 * exactly what happened while the exporter was away: no duplicates, no gaps.
 */
export interface Checkpoint {
  version: 1;
  savedAt: string;
  scopes: Record<string, Array<[hashHi: number, hashLo: number, count: number, age: number]>>;
}

export interface CheckpointStore {
  readonly description: string;
  load(): Promise<Checkpoint | undefined>;
  save(checkpoint: Checkpoint): Promise<void>;
}

/** gzip then base64: Event uids are most of the bytes and a ConfigMap holds at most 1 MiB. */
export function encodeCheckpoint(checkpoint: Checkpoint): string {
  return gzipSync(JSON.stringify(checkpoint)).toString('base64');
}

/** The stored checkpoint cannot be decoded: treated as no checkpoint, with a warning. */
export class CheckpointUnreadableError extends Error {
  override name = 'CheckpointUnreadableError';
}

export function decodeCheckpoint(encoded: string, where: string): Checkpoint {
  let parsed: unknown;
  try {
    parsed = JSON.parse(gunzipSync(Buffer.from(encoded, 'base64')).toString('utf8'));
  } catch (err) {
    throw new CheckpointUnreadableError(`checkpoint in ${where} is unreadable: ${(err as Error).message}`);
  }
  const cp = parsed as Partial<Checkpoint>;
  if (cp.version !== 1 || typeof cp.scopes !== 'object' || cp.scopes === null) {
    throw new CheckpointUnreadableError(`checkpoint in ${where} has an unknown format (version ${String(cp.version)})`);
  }
  return cp as Checkpoint;
}

/** Keeps the newest entries so that the encoded checkpoint fits in `maxBytes`. */
export function fitCheckpoint(checkpoint: Checkpoint, maxBytes: number): { encoded: string; dropped: number } {
  let encoded = encodeCheckpoint(checkpoint);
  let dropped = 0;
  let current = checkpoint;
  while (encoded.length > maxBytes) {
    const total = Object.values(current.scopes).reduce((n, e) => n + e.length, 0);
    if (total === 0) break;
    const keepRatio = (maxBytes / encoded.length) * 0.95;
    const scopes: Checkpoint['scopes'] = {};
    for (const [scope, entries] of Object.entries(current.scopes)) {
      const keep = Math.floor(entries.length * keepRatio);
      dropped += entries.length - keep;
      scopes[scope] = entries.slice(entries.length - keep); // entries are oldest-seen first
    }
    current = { ...current, scopes };
    encoded = encodeCheckpoint(current);
  }
  return { encoded, dropped };
}
