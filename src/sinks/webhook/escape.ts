/**
 * Escaping of event text for each body format, so that what an Event says arrives as text and
 * never as structure: no link, code span, heading, HTML or template function can come from a
 * message, a reason or an object name. JSON itself is escaped by JSON.stringify (bodies are
 * built as objects and serialised once).
 */

/** ASCII punctuation that CommonMark lets a backslash escape and that can start structure. */
const MARKDOWN_SPECIAL = /[\\`*_{}[\]()<>#+\-.!|~=&^]/g;

/**
 * Markdown (CommonMark, which DingTalk's and WeCom's robots render a subset of): every
 * structural character is backslash-escaped, spaces at the start or end of a line become
 * `&#32;` (no indented code block, no hard break from trailing spaces), and a newline stays a
 * line break (`\` before it, CommonMark's hard break) instead of folding into the paragraph.
 */
export function escapeMarkdown(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      const escaped = line.replace(MARKDOWN_SPECIAL, (c) => `\\${c}`);
      return escaped.replace(/^[ \t]+|[ \t]+$/g, (spaces) => spaces.replace(/ /g, '&#32;').replace(/\t/g, '&#9;'));
    })
    .join('\\\n');
}

/**
 * Slack: the three characters its docs say to escape in any text (`&`, `<`, `>`), which also
 * keeps `<http://x|link>` and `<!channel>` from being read. Preset bodies put event text in
 * `plain_text` objects, where no other character has a meaning.
 */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Adaptive Card TextRun text has no markdown; the one thing a host still interprets is the
 * date/time function `{{DATE(…)}}` / `{{TIME(…)}}`. A word joiner after `{{` keeps it text.
 */
export function escapeAdaptiveCardText(text: string): string {
  return text.replace(/\{\{(?=\s*(?:DATE|TIME)\s*\()/gi, '{{\u2060');
}

/** Cuts `text` so that `encode(text)` fits in `maxBytes` UTF-8 bytes, marking the cut. */
export function fitEscaped(text: string, encode: (text: string) => string, maxBytes: number): string {
  const marker = ' …';
  let encoded = encode(text);
  if (Buffer.byteLength(encoded) <= maxBytes) return encoded;
  let keep = text.length;
  while (keep > 0) {
    keep = Math.floor(keep * 0.9);
    // do not split a surrogate pair
    const cut = keep > 0 && /[\uD800-\uDBFF]/.test(text[keep - 1]!) ? keep - 1 : keep;
    encoded = encode(text.slice(0, cut) + marker);
    if (Buffer.byteLength(encoded) <= maxBytes) return encoded;
  }
  return encode(marker);
}
