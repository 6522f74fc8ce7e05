/**
 * Text as XML character data or an attribute value. Messages are written by whoever can create
 * Events (any tenant): markup characters are escaped, and characters XML 1.0 cannot hold at all
 * (C0 controls other than tab, newline and return; lone surrogates; U+FFFE, U+FFFF) become U+FFFD.
 */
export function xmlText(text: string): string {
  return (
    text
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the characters XML 1.0 cannot hold are what it replaces
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
      .replace(/[&<>"']/g, (c) => ESCAPES[c]!)
  );
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
