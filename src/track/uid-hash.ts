/**
 * A 64-bit hash of an Event uid as two 32-bit halves. The tracker keeps hashes, not uid strings:
 * a million uids as strings cost about half a gigabyte, as hashes 16 bytes each. Two different
 * uids share a hash with probability ~n²/2⁶⁵ (3·10⁻⁸ for a million Events).
 */
export interface UidHash {
  hi: number;
  lo: number;
}

export function hashUid(uid: string, out: UidHash): UidHash {
  // Two FNV-1a lanes with different offsets and primes, mixed at the end.
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ uid.length;
  for (let i = 0; i < uid.length; i++) {
    const c = uid.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  a ^= a >>> 15;
  a = Math.imul(a, 0x2c1b3c6d);
  b ^= b >>> 13;
  b = Math.imul(b, 0x297a2d39);
  out.hi = (a ^ (b >>> 16)) >>> 0;
  out.lo = (b ^ (a >>> 16)) >>> 0;
  return out;
}
