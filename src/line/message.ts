/**
 * Cuts a message to at most `maxBytes` UTF-8 bytes (plus the marker), never splitting a
 * character, so a huge message still gives one valid, bounded JSON line.
 */
export function truncateMessage(message: string, maxBytes: number): string {
  // Fast path: a UTF-16 string of n code units is at most 3n UTF-8 bytes.
  if (message.length * 3 <= maxBytes) return message;
  const bytes = Buffer.byteLength(message, 'utf8');
  if (bytes <= maxBytes) return message;
  const encoded = Buffer.from(message, 'utf8');
  let end = maxBytes;
  // Step back over UTF-8 continuation bytes (10xxxxxx) so the cut lands on a character boundary.
  while (end > 0 && ((encoded[end] ?? 0) & 0xc0) === 0x80) end--;
  return `${encoded.subarray(0, end).toString('utf8')} …[truncated ${bytes - end} bytes]`;
}
