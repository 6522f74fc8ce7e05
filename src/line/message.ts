/**
 * Messages are read at most this long (UTF-8 bytes) when `maxMessageBytes` is smaller: the API
 * server accepts Events of about 1.5 MiB, and a list page of them must not be held whole. Level
 * and route rules match this much of a message; the written line is cut to `maxMessageBytes`.
 */
export const MESSAGE_READ_BYTES = 64 * 1024;

/** How much of a message is kept while an Event is read, for a given `maxMessageBytes`. */
export function messageReadBytes(maxMessageBytes: number): number {
  return Math.max(maxMessageBytes, MESSAGE_READ_BYTES);
}

/** The whole UTF-8 length of messages that were cut while their Event was read, by Event. */
const cutWhileRead = new WeakMap<object, number>();

/** Records that `event.message` is the first part of a message of `wholeBytes` UTF-8 bytes. */
export function recordCutMessage(event: object, wholeBytes: number): void {
  cutWhileRead.set(event, wholeBytes);
}

/** The UTF-8 length of the message the API server sent, when it was cut while read. */
export function messageBytesBeforeRead(event: object): number | undefined {
  return cutWhileRead.get(event);
}

/**
 * Cuts `event.message` to `readBytes` if longer (the list and watch decoders do this for messages
 * they parsed whole), remembering the whole length for the written marker.
 */
export function boundMessage(event: { message?: unknown }, readBytes: number): void {
  const message = event.message;
  if (typeof message !== 'string' || message.length * 3 <= readBytes) return;
  const cut = cutUtf8(message, readBytes);
  if (!cut) return;
  event.message = cut.kept;
  recordCutMessage(event, cut.wholeBytes);
}

/** The longest prefix of `text` of at most `maxBytes` UTF-8 bytes, never splitting a character; undefined when it fits. */
export function cutUtf8(text: string, maxBytes: number): { kept: string; keptBytes: number; wholeBytes: number } | undefined {
  // Fast path: a UTF-16 string of n code units is at most 3n UTF-8 bytes.
  if (text.length * 3 <= maxBytes) return undefined;
  const wholeBytes = Buffer.byteLength(text, 'utf8');
  if (wholeBytes <= maxBytes) return undefined;
  // Only the first maxBytes + 3 bytes are encoded: enough to find the boundary.
  const encoded = Buffer.from(text.slice(0, maxBytes + 3), 'utf8');
  let end = maxBytes;
  // Step back over UTF-8 continuation bytes (10xxxxxx) so the cut lands on a character boundary.
  while (end > 0 && ((encoded[end] ?? 0) & 0xc0) === 0x80) end--;
  return { kept: encoded.subarray(0, end).toString('utf8'), keptBytes: end, wholeBytes };
}

/**
 * Cuts a message to at most `maxBytes` UTF-8 bytes (plus the marker), never splitting a
 * character, so a huge message still gives one valid, bounded JSON line. `wholeBytes`: the length
 * the message had before it was cut while read (`message` is then its first part).
 */
export function truncateMessage(message: string, maxBytes: number, wholeBytes?: number): string {
  const cut = cutUtf8(message, maxBytes);
  if (cut) return `${cut.kept} …[truncated ${(wholeBytes ?? cut.wholeBytes) - cut.keptBytes} bytes]`;
  if (wholeBytes === undefined) return message;
  const bytes = Buffer.byteLength(message, 'utf8');
  return wholeBytes > bytes ? `${message} …[truncated ${wholeBytes - bytes} bytes]` : message;
}
