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
 * Keeps the most recently seen entries, across all scopes, so that the encoded checkpoint fits in
 * `maxBytes`. Every scope that loses entries is marked trimmed in the encoded checkpoint (besides
 * those `checkpoint` already marks) and named in `trimmedScopes`; a scope of only recent Events
 * keeps them all.
 */
export function fitCheckpoint(checkpoint: Checkpoint, maxBytes: number): { encoded: string } & CheckpointSaved {
  let encoded = encodeCheckpoint(checkpoint);
  let droppedEntries = 0;
  let current = checkpoint;
  const trimmedHere = new Set<string>();
  while (encoded.length > maxBytes) {
    const total = Object.values(current.scopes).reduce((n, e) => n + e.length, 0);
    if (total === 0) break;
    const keep = keepMostRecent(current.scopes, Math.floor(total * (maxBytes / encoded.length) * 0.95));
    const scopes: Checkpoint['scopes'] = {};
    for (const [scope, entries] of Object.entries(current.scopes)) {
      scopes[scope] = entries.filter((_, i) => keep.get(scope)?.has(i));
      droppedEntries += entries.length - scopes[scope].length;
      if (scopes[scope].length < entries.length) trimmedHere.add(scope);
    }
    current = { ...current, scopes, trimmedScopes: [...new Set([...(checkpoint.trimmedScopes ?? []), ...trimmedHere])] };
    encoded = encodeCheckpoint(current);
  }
  return { encoded, droppedEntries, trimmedScopes: [...trimmedHere] };
}

/** Which entries (by index, per scope) are the `count` most recently seen of all scopes. */
function keepMostRecent(scopes: Checkpoint['scopes'], count: number): Map<string, Set<number>> {
  const ranked = Object.entries(scopes).flatMap(([scope, entries]) => entries.map((entry, index) => ({ scope, index, age: entry[3] })));
  ranked.sort((a, b) => a.age - b.age); // youngest first
  const keep = new Map<string, Set<number>>();
  for (const { scope, index } of ranked.slice(0, count)) {
    let indexes = keep.get(scope);
    if (!indexes) keep.set(scope, (indexes = new Set()));
    indexes.add(index);
  }
  return keep;
}
