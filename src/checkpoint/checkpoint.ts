import { gunzipSync, gzipSync } from 'node:zlib';
import { isPacked, packCheckpoint, unpackCheckpoint } from './packed-encoding.js';

/**
 * What survives a restart: per watched scope, each Event (by uid hash) with the occurrence
 * count already written and how long ago it was last seen (in tracker generations). With it, the first list after a restart writes
 * exactly what happened while the exporter was away: no duplicates, no gaps. This is the form in
 * memory (`version` 1 since the first release); the stored encodings are `encodeCheckpoint`'s.
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

/**
 * The stored form: the packed columns of packed-encoding.ts, gzipped. `shard` marks one part of a
 * checkpoint split over several stores.
 */
export function encodeCheckpoint(checkpoint: Checkpoint, shard?: { index: number; of: number }): Buffer {
  return gzipSync(packCheckpoint(checkpoint, shard));
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

/**
 * Reads a stored checkpoint: format 2 (packed, gzip; bytes), or format 1 (JSON, gzip, base64
 * text), which the versions before wrote: a checkpoint they saved still restores.
 */
export function decodeCheckpoint(stored: Uint8Array | string, where: string): Checkpoint & { shard?: { index: number; of: number } } {
  let parsed: unknown;
  try {
    // Format 1 was stored as base64 text, format 2 as gzip bytes.
    const gzipped = typeof stored !== 'string' && isGzip(stored) ? stored : Buffer.from(Buffer.from(stored).toString('latin1').trim(), 'base64');
    const bytes = gunzipSync(gzipped);
    parsed = isPacked(bytes) ? unpackCheckpoint(bytes) : JSON.parse(bytes.toString('utf8'));
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

function isGzip(bytes: Uint8Array): boolean {
  return bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** What fitCheckpoint made: the parts to store, in order, and what it left out. */
export interface FittedCheckpoint extends CheckpointSaved {
  parts: Buffer[];
}

/**
 * Encodes `checkpoint` in as few parts as it takes for each to fit in `maxPartBytes`, up to
 * `maxParts`; the parts split the 64-bit hash range evenly, so each part is a checkpoint of its
 * own Events. If even `maxParts` parts cannot hold it, keeps the most recently seen entries,
 * across all scopes, so that they do. Every scope that loses entries is marked trimmed (besides
 * those `checkpoint` already marks) and named in `trimmedScopes`; a scope of only recent Events
 * keeps them all.
 */
export function fitCheckpoint(checkpoint: Checkpoint, maxPartBytes: number, maxParts = 1): FittedCheckpoint {
  let droppedEntries = 0;
  let current = checkpoint;
  const trimmedHere = new Set<string>();
  for (;;) {
    const whole = encodeCheckpoint(current);
    for (let count = Math.max(1, Math.ceil(whole.length / maxPartBytes)); count <= maxParts; count++) {
      const parts =
        count === 1
          ? [encodeCheckpoint(current, { index: 0, of: 1 })]
          : splitByHash(current, count).map((part, index) => encodeCheckpoint(part, { index, of: count }));
      if (parts.every((part) => part.length <= maxPartBytes)) return { parts, droppedEntries, trimmedScopes: [...trimmedHere] };
    }
    const total = Object.values(current.scopes).reduce((n, e) => n + e.length, 0);
    if (total === 0) return { parts: [whole], droppedEntries, trimmedScopes: [...trimmedHere] };
    const keep = keepMostRecent(current.scopes, Math.floor(total * ((maxParts * maxPartBytes) / whole.length) * 0.95));
    const scopes: Checkpoint['scopes'] = {};
    for (const [scope, entries] of Object.entries(current.scopes)) {
      scopes[scope] = entries.filter((_, i) => keep.get(scope)?.has(i));
      droppedEntries += entries.length - scopes[scope].length;
      if (scopes[scope].length < entries.length) trimmedHere.add(scope);
    }
    current = { ...current, scopes, trimmedScopes: [...new Set([...(checkpoint.trimmedScopes ?? []), ...trimmedHere])] };
  }
}

/** `count` checkpoints, each with the entries of one slice of the hash range (every scope named in each). */
function splitByHash(checkpoint: Checkpoint, count: number): Checkpoint[] {
  const parts = Array.from({ length: count }, (): Checkpoint => ({ ...checkpoint, scopes: {} }));
  for (const [scope, entries] of Object.entries(checkpoint.scopes)) {
    for (const part of parts) part.scopes[scope] = [];
    for (const entry of entries) parts[Math.floor((entry[0] * count) / 4294967296)]!.scopes[scope]!.push(entry);
  }
  return parts;
}

/** The parts of one checkpoint read back (fitCheckpoint's), as one: the first part's header, every part's entries. */
export function joinCheckpointParts(parts: readonly Checkpoint[]): Checkpoint {
  const [first] = parts;
  if (!first) throw new Error('no checkpoint parts to join');
  const scopes: Checkpoint['scopes'] = {};
  for (const part of parts) {
    for (const [scope, entries] of Object.entries(part.scopes)) {
      const joined = (scopes[scope] ??= []);
      for (const entry of entries) joined.push(entry); // not push(...entries): 100,000 arguments overflow the stack
    }
  }
  return { version: 1, savedAt: first.savedAt, scopes, ...(first.trimmedScopes?.length ? { trimmedScopes: first.trimmedScopes } : {}) };
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
