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
  /**
   * Scopes whose entries are incomplete (some were left out to fit the store, or the first list
   * had not ended): an Event of such a scope that the checkpoint does not hold may have been
   * written before, or be old. Absent in checkpoints saved before this field existed, and when
   * nothing was missing.
   */
  trimmedScopes?: string[];
}

/** What a save had to leave out (only a store with a size limit leaves anything out). */
export interface CheckpointSaved {
  droppedEntries: number;
  trimmedScopes: string[];
}

export interface CheckpointStore {
  readonly description: string;
  /** Rejects with CheckpointStoreError when the store cannot be read, CheckpointUnreadableError when its content cannot be decoded. */
  load(): Promise<Checkpoint | undefined>;
  /** Rejects with CheckpointStoreError when the store cannot be written. */
  save(checkpoint: Checkpoint): Promise<CheckpointSaved>;
}

/** gzip then base64: Event uids are most of the bytes and a ConfigMap holds at most 1 MiB. */
export function encodeCheckpoint(checkpoint: Checkpoint): string {
  return gzipSync(JSON.stringify(checkpoint)).toString('base64');
}

/** The stored checkpoint cannot be decoded: treated as no checkpoint, with a warning. */
export class CheckpointUnreadableError extends Error {
  override name = 'CheckpointUnreadableError';
}

/**
 * The store itself cannot be read or written (permissions, RBAC, I/O, the API server): the
 * environment is wrong, so the user gets one line naming the store and the cause.
 */
export class CheckpointStoreError extends Error {
  override name = 'CheckpointStoreError';
  constructor(message: string, cause: unknown) {
    super(`${message}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
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
  if (cp.trimmedScopes !== undefined && !(Array.isArray(cp.trimmedScopes) && cp.trimmedScopes.every((s) => typeof s === 'string'))) {
    throw new CheckpointUnreadableError(`checkpoint in ${where} has an unknown format (trimmedScopes is not a list of scopes)`);
  }
  return cp as Checkpoint;
}

/**
 * Keeps the newest entries so that the encoded checkpoint fits in `maxBytes`. Every scope that
 * loses entries is marked trimmed in the encoded checkpoint (besides those `checkpoint` already
 * marks) and named in `trimmedScopes`.
 */
export function fitCheckpoint(checkpoint: Checkpoint, maxBytes: number): { encoded: string } & CheckpointSaved {
  let encoded = encodeCheckpoint(checkpoint);
  let droppedEntries = 0;
  let current = checkpoint;
  const trimmedHere = new Set<string>();
  while (encoded.length > maxBytes) {
    const total = Object.values(current.scopes).reduce((n, e) => n + e.length, 0);
    if (total === 0) break;
    const keepRatio = (maxBytes / encoded.length) * 0.95;
    const scopes: Checkpoint['scopes'] = {};
    for (const [scope, entries] of Object.entries(current.scopes)) {
      const keep = Math.floor(entries.length * keepRatio);
      droppedEntries += entries.length - keep;
      if (keep < entries.length) trimmedHere.add(scope);
      scopes[scope] = entries.slice(entries.length - keep); // entries are oldest-seen first
    }
    current = { ...current, scopes, trimmedScopes: [...new Set([...(checkpoint.trimmedScopes ?? []), ...trimmedHere])] };
    encoded = encodeCheckpoint(current);
  }
  return { encoded, droppedEntries, trimmedScopes: [...trimmedHere] };
}
