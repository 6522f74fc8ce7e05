/**
 * The pattern language of config rules: JavaScript RegExp, with the Go/RE2 habits of
 * kubernetes-event-exporter users translated where the meaning is certain and rejected
 * where JavaScript would silently read the pattern differently. Runaway backtracking is bounded
 * by a V8 flag the command sets at start (regexp-engine.ts).
 */

/** A pattern that cannot be compiled; `reason` is the part after `invalid regular expression "…": `. */
export class PatternError extends Error {
  constructor(
    readonly pattern: string,
    readonly reason: string,
  ) {
    super(`invalid regular expression ${JSON.stringify(pattern)}: ${reason}`);
    this.name = 'PatternError';
  }
}

// Go flag letters and their JavaScript equivalents; `U` (ungreedy) has none.
const GO_FLAG_TO_JS: Readonly<Record<string, string>> = { i: 'i', m: 'm', s: 's' };
const LEADING_FLAG_GROUP = /^\(\?([a-zA-Z-]+)\)/;
const INLINE_FLAG_GROUP = /^\(\?[a-zA-Z-]*[:)]/;
const POSIX_CLASS = /^\[:([a-z]+):\]/;

interface Translation {
  source: string;
  flags: string;
}

function translateLeadingFlags(pattern: string): Translation {
  const found = LEADING_FLAG_GROUP.exec(pattern);
  if (!found) return { source: pattern, flags: '' };
  let flags = '';
  for (const letter of found[1] ?? '') {
    const jsFlag = GO_FLAG_TO_JS[letter];
    if (jsFlag === undefined) {
      throw new PatternError(
        pattern,
        `flag "${letter}" in ${found[0]} is not supported (supported at the start of a pattern: (?i), (?m), (?s))`,
      );
    }
    if (!flags.includes(jsFlag)) flags += jsFlag;
  }
  return { source: pattern.slice(found[0].length), flags };
}

function escapeLiteral(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/**
 * Rewrites Go-only syntax into JavaScript (`(?P<name>`, `\A`, `\z`, `\Q…\E`) and rejects
 * Go syntax that JavaScript without the `u` flag would misread instead of failing.
 */
function translateGoSyntax(pattern: string, source: string, multiline: boolean): string {
  let out = '';
  let inClass = false;
  let i = 0;
  while (i < source.length) {
    const char = source[i];
    const next = source[i + 1];
    if (char === '\\') {
      if (next === undefined) break; // let RegExp report the trailing backslash
      if (next === 'p' || next === 'P') {
        throw new PatternError(pattern, `Unicode classes like \\${next}{…} are not supported; list the characters instead`);
      }
      if (!inClass && next === 'Q') {
        const end = source.indexOf('\\E', i + 2);
        const literal = end === -1 ? source.slice(i + 2) : source.slice(i + 2, end);
        out += escapeLiteral(literal);
        i = end === -1 ? source.length : end + 2;
        continue;
      }
      // Without (?m), JavaScript's ^ and $ already mean the start and end of the text: using them
      // keeps the pattern within what V8's linear-time engine runs (it runs no lookaround).
      if (!inClass && next === 'A') {
        out += multiline ? '(?<![\\s\\S])' : '^';
        i += 2;
        continue;
      }
      if (!inClass && next === 'z') {
        out += multiline ? '(?![\\s\\S])' : '$';
        i += 2;
        continue;
      }
      if (next === 'Z') {
        throw new PatternError(pattern, '\\Z is not a valid escape (use $ for the end of the text)');
      }
      out += char + next;
      i += 2;
      continue;
    }
    if (inClass) {
      if (char === '[' && POSIX_CLASS.test(source.slice(i))) {
        const name = POSIX_CLASS.exec(source.slice(i))?.[1] ?? '';
        throw new PatternError(
          pattern,
          `POSIX class [:${name}:] is not supported in JavaScript; write the range instead, e.g. [a-zA-Z0-9]`,
        );
      }
      if (char === ']') inClass = false;
      out += char;
      i += 1;
      continue;
    }
    if (char === '[') {
      inClass = true;
      const afterCaret = next === '^' ? i + 2 : i + 1;
      if (source[afterCaret] === ']') {
        throw new PatternError(
          pattern,
          "a ']' right after '[' is a literal in Go but ends the class in JavaScript; escape it as \\]",
        );
      }
      out += char;
      i += 1;
      continue;
    }
    if (char === '(' && next === '?') {
      if (source.startsWith('(?P<', i)) {
        out += '(?<';
        i += 4;
        continue;
      }
      if (INLINE_FLAG_GROUP.test(source.slice(i)) && !/^\(\?[:=!<]/.test(source.slice(i))) {
        throw new PatternError(
          pattern,
          'flag groups like (?i) or (?i:…) are only supported as a prefix of the whole pattern, e.g. "(?i)disk pressure"',
        );
      }
    }
    out += char;
    i += 1;
  }
  return out;
}

/** Compiles a config pattern, throwing PatternError with a user-facing reason. */
export function compilePattern(pattern: string): RegExp {
  const { source, flags } = translateLeadingFlags(pattern);
  const translated = translateGoSyntax(pattern, source, flags.includes('m'));
  try {
    return new RegExp(translated, flags);
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    // V8 says "Invalid regular expression: /src/flags: reason"; keep the reason only.
    const reason = text.slice(text.lastIndexOf(': ') + 2) || text;
    throw new PatternError(pattern, reason);
  }
}

/** The problem with a pattern, or undefined when it compiles. */
export function patternProblem(pattern: string): string | undefined {
  try {
    compilePattern(pattern);
    return undefined;
  } catch (error) {
    if (error instanceof PatternError) return error.message;
    throw error;
  }
}
