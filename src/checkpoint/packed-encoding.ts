import type { Checkpoint } from './checkpoint.js';

/**
 * The checkpoint's stored form since format 2: columns of packed integers, then gzip. The
 * tracker keys Events by a 64-bit hash, so an entry is that hash, a count and an age; as JSON
 * in base64 the 100,000 entries of a big cluster took 1.5 MB (a ConfigMap holds 1 MiB). Here:
 *
 *   "KEL" 0x02 | header length (varint) | header (JSON: savedAt, trimmedScopes, scopes' names
 *   and sizes, shard) | per scope, entries sorted by hash: the high 32 bits as deltas (varint),
 *   the low 32 bits (uint32 LE), the counts (varint), the ages (one byte, capped at 255)
 *
 * Sorted hashes have small high-word deltas (about 3 bytes at 100,000 Events); the low words are
 * random and stay 4 bytes; counts and ages are mostly tiny and gzip squeezes their columns to
 * almost nothing: about 7.5 bytes an entry in all.
 */
const MAGIC = [0x4b, 0x45, 0x4c, 0x02]; // "KEL", format 2
const MAX_AGE = 255;

interface PackedHeader {
  savedAt: string;
  trimmedScopes?: string[];
  scopes: Array<[name: string, entries: number]>;
  /** Which part of a checkpoint split over several stores (ConfigMap shards) this is. */
  shard?: { index: number; of: number };
}

export type Entry = Checkpoint['scopes'][string][number];

/** Whether `bytes` (gunzipped) are in this format, rather than format 1's JSON. */
export function isPacked(bytes: Uint8Array): boolean {
  return bytes.length >= MAGIC.length && MAGIC.every((b, i) => bytes[i] === b);
}

export function packCheckpoint(checkpoint: Checkpoint, shard?: PackedHeader['shard']): Buffer {
  const names = Object.keys(checkpoint.scopes);
  const header: PackedHeader = {
    savedAt: checkpoint.savedAt,
    ...(checkpoint.trimmedScopes?.length ? { trimmedScopes: checkpoint.trimmedScopes } : {}),
    scopes: names.map((name) => [name, checkpoint.scopes[name]!.length]),
    ...(shard ? { shard } : {}),
  };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const total = names.reduce((n, name) => n + checkpoint.scopes[name]!.length, 0);
  const out = new Writer(MAGIC.length + 5 + headerBytes.length + total * 15);
  for (const b of MAGIC) out.byte(b);
  out.varint(headerBytes.length);
  out.bytes(headerBytes);
  for (const name of names) {
    const entries = checkpoint.scopes[name]!;
    const order = byHash(entries);
    let previousHi = 0;
    for (const i of order) {
      const hi = entries[i]![0];
      out.varint(hi - previousHi);
      previousHi = hi;
    }
    for (const i of order) out.uint32(entries[i]![1]);
    for (const i of order) out.varint(Math.min(entries[i]![2], 0xffffffff));
    for (const i of order) out.byte(Math.min(entries[i]![3], MAX_AGE));
  }
  return out.done();
}

/** Reads what packCheckpoint wrote; throws (with a reason) on anything else. */
export function unpackCheckpoint(bytes: Uint8Array): Checkpoint & { shard?: { index: number; of: number } } {
  if (!isPacked(bytes)) throw new Error('not a packed checkpoint');
  const input = new Reader(bytes, MAGIC.length);
  const header = JSON.parse(Buffer.from(input.bytes(input.varint())).toString('utf8')) as PackedHeader;
  if (typeof header.savedAt !== 'string' || !Array.isArray(header.scopes)) throw new Error('packed checkpoint header without savedAt or scopes');
  const scopes: Checkpoint['scopes'] = {};
  for (const [name, n] of header.scopes) {
    if (typeof name !== 'string' || !Number.isSafeInteger(n) || n < 0) throw new Error('packed checkpoint header names a scope badly');
    const entries: Entry[] = new Array(n);
    let hi = 0;
    for (let i = 0; i < n; i++) {
      hi += input.varint();
      if (hi > 0xffffffff) throw new Error('packed checkpoint hash out of range');
      entries[i] = [hi, 0, 0, 0];
    }
    for (let i = 0; i < n; i++) entries[i]![1] = input.uint32();
    for (let i = 0; i < n; i++) entries[i]![2] = input.varint();
    for (let i = 0; i < n; i++) entries[i]![3] = input.byte();
    scopes[name] = entries;
  }
  if (!input.atEnd()) throw new Error('packed checkpoint has bytes after its last scope');
  return {
    version: 1,
    savedAt: header.savedAt,
    scopes,
    ...(header.trimmedScopes?.length ? { trimmedScopes: header.trimmedScopes } : {}),
    ...(header.shard ? { shard: header.shard } : {}),
  };
}

/** Indexes of `entries` in hash order (high word; the low word's order does not matter to the deltas). */
function byHash(entries: readonly Entry[]): Uint32Array {
  const order = new Uint32Array(entries.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((a, b) => entries[a]![0] - entries[b]![0]);
}

class Writer {
  private buffer: Buffer;
  private at = 0;
  constructor(size: number) {
    this.buffer = Buffer.allocUnsafe(size);
  }
  byte(b: number): void {
    this.buffer[this.at++] = b;
  }
  bytes(b: Uint8Array): void {
    this.buffer.set(b, this.at);
    this.at += b.length;
  }
  uint32(v: number): void {
    this.buffer.writeUInt32LE(v >>> 0, this.at);
    this.at += 4;
  }
  /** LEB128, for 0 ≤ v < 2³² (at most 5 bytes). */
  varint(v: number): void {
    while (v >= 0x80) {
      this.buffer[this.at++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buffer[this.at++] = v;
  }
  done(): Buffer {
    return this.buffer.subarray(0, this.at);
  }
}

class Reader {
  constructor(
    private readonly buffer: Uint8Array,
    private at: number,
  ) {}
  byte(): number {
    if (this.at >= this.buffer.length) throw new Error('packed checkpoint ends early');
    return this.buffer[this.at++]!;
  }
  bytes(n: number): Uint8Array {
    if (this.at + n > this.buffer.length) throw new Error('packed checkpoint ends early');
    const out = this.buffer.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
  uint32(): number {
    const b = this.bytes(4);
    return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
  }
  varint(): number {
    let v = 0;
    for (let scale = 1; scale <= 2 ** 28; scale *= 128) {
      const b = this.byte();
      v += (b & 0x7f) * scale;
      if (b < 0x80) return v;
    }
    throw new Error('packed checkpoint varint too long');
  }
  atEnd(): boolean {
    return this.at === this.buffer.length;
  }
}
