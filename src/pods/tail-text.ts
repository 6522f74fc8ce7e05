/**
 * Turns the bytes a pods/log request returned into the `logTail` string: valid Unicode, at most
 * `maxBytes` UTF-8 bytes, the END of the log kept (the lines before a crash explain it).
 *
 * Invalid UTF-8 becomes U+FFFD (the WHATWG decoder's replacement), so the value is always a
 * well-formed string; control characters (ANSI escapes, NUL, CR) are kept and JSON escapes them
 * in the line (`\u001b`), so a reader gets back exactly the characters the container printed.
 */

/** Starts a tail whose beginning was cut off; followed by a newline when whole lines were dropped. */
export const CUT_BEFORE = '…';
/** Ends a tail whose end the API server cut off (the last N lines were longer than limitBytes). */
export const CUT_AFTER = '…';

const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
const CUT_BEFORE_BYTES = Buffer.byteLength(CUT_BEFORE);
const CUT_AFTER_BYTES = Buffer.byteLength(CUT_AFTER);
const NEWLINE = 0x0a;

export interface TailText {
  text: string;
  /** Something was left out: the start (over maxBytes) or the end (the server's limitBytes). */
  truncated: boolean;
}

/**
 * `raw` is the answer; `endCut` says the server stopped at limitBytes, so its last line may be
 * partial and later lines are missing. One final newline is dropped: lines are joined by "\n".
 */
export function tailText(raw: Buffer, maxBytes: number, endCut = false): TailText {
  // Decoded before cutting: a replacement character takes 3 bytes where the invalid byte took 1.
  let bytes = Buffer.from(decoder.decode(raw), 'utf8');
  if (!endCut && bytes.length > 0 && bytes[bytes.length - 1] === NEWLINE) bytes = bytes.subarray(0, bytes.length - 1);
  const suffix = endCut ? CUT_AFTER : '';
  const room = maxBytes - (endCut ? CUT_AFTER_BYTES : 0);
  if (bytes.length <= room) return { text: bytes.toString('utf8') + suffix, truncated: endCut };
  if (room < CUT_BEFORE_BYTES + 1) return { text: markerWithin(CUT_BEFORE + suffix, maxBytes), truncated: true };
  // Whole lines first: after "…\n", from the first line that starts inside the room ("\n" is
  // never part of a multi-byte character, so any newline is a boundary).
  const newline = bytes.indexOf(NEWLINE, bytes.length - (room - CUT_BEFORE_BYTES - 1) - 1);
  if (newline !== -1 && newline + 1 < bytes.length) {
    return { text: `${CUT_BEFORE}\n${bytes.subarray(newline + 1).toString('utf8')}${suffix}`, truncated: true };
  }
  // A last line longer than the room is cut inside it, after "…", at a character boundary.
  const start = charBoundary(bytes, bytes.length - (room - CUT_BEFORE_BYTES));
  return { text: `${CUT_BEFORE}${bytes.subarray(start).toString('utf8')}${suffix}`, truncated: true };
}

/** The first index at or after `i` that starts a UTF-8 character (not a 10xxxxxx continuation byte). */
function charBoundary(bytes: Buffer, i: number): number {
  let at = Math.max(0, i);
  while (at < bytes.length && ((bytes[at] ?? 0) & 0xc0) === 0x80) at++;
  return at;
}

/** A marker alone, for caps too small to hold any text (never more than maxBytes). */
function markerWithin(text: string, maxBytes: number): string {
  return Buffer.byteLength(text) <= maxBytes ? text : '';
}
