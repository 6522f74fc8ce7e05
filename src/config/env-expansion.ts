/**
 * `${VAR}` / `${VAR:-default}` expansion over the raw config text, as KEE does before parsing,
 * keeping a map back to the original text so errors point at the line the user wrote.
 * `$${` writes a literal `${`. References inside YAML comments are left alone.
 */
import { Parser } from 'yaml';

export interface UndefinedVariable {
  name: string;
  /** offset of the `${` in the original text */
  originalOffset: number;
  /** offset where the (empty) value landed in the expanded text */
  expandedOffset: number;
  message: string;
}

export interface Expansion {
  text: string;
  problems: UndefinedVariable[];
  /** Maps an offset in the expanded text to the offset of what produced it in the original text. */
  toOriginalOffset(expandedOffset: number): number;
}

interface Substitution {
  originalStart: number;
  originalEnd: number;
  expandedStart: number;
  expandedEnd: number;
}

const REFERENCE = /\$(\$\{)|\$\{([^}]*)\}/g;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** [start, end) ranges of YAML comments, found through the CST so `#` inside quoted strings is not mistaken. */
function commentRanges(text: string): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const child of node) visit(child);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    const token = node as { type?: unknown; offset?: unknown; source?: unknown };
    if (token.type === 'comment' && typeof token.offset === 'number' && typeof token.source === 'string') {
      ranges.push([token.offset, token.offset + token.source.length]);
      return;
    }
    for (const value of Object.values(node)) visit(value);
  };
  for (const token of new Parser().parse(text)) visit(token);
  return ranges;
}

export function expandEnvironment(text: string, env: NodeJS.ProcessEnv): Expansion {
  const substitutions: Substitution[] = [];
  const problems: UndefinedVariable[] = [];
  const comments = text.includes('${') ? commentRanges(text) : [];
  const inComment = (offset: number): boolean => comments.some(([start, end]) => offset >= start && offset < end);

  let expanded = '';
  let copiedUpTo = 0;
  for (const found of text.matchAll(REFERENCE)) {
    const start = found.index;
    if (inComment(start)) continue;
    const end = start + found[0].length;
    let value: string;
    if (found[1] !== undefined) {
      value = '${'; // escaped `$${`
    } else {
      const body = found[2] ?? '';
      const separator = body.indexOf(':-');
      const name = separator === -1 ? body : body.slice(0, separator);
      const fallback = separator === -1 ? undefined : body.slice(separator + 2);
      const defined = env[name];
      if (!VARIABLE_NAME.test(name)) {
        value = '';
        problems.push({
          name,
          originalOffset: start,
          expandedOffset: expanded.length + (start - copiedUpTo),
          message: `invalid variable reference ${found[0]} (write \${NAME} or \${NAME:-default}; $\${ for a literal \${)`,
        });
      } else if (defined !== undefined) {
        value = defined;
      } else if (fallback !== undefined) {
        value = fallback;
      } else {
        value = '';
        problems.push({
          name,
          originalOffset: start,
          expandedOffset: expanded.length + (start - copiedUpTo),
          message: `environment variable ${name} is not set (write \${${name}:-default} to give a default)`,
        });
      }
    }
    expanded += text.slice(copiedUpTo, start);
    substitutions.push({
      originalStart: start,
      originalEnd: end,
      expandedStart: expanded.length,
      expandedEnd: expanded.length + value.length,
    });
    expanded += value;
    copiedUpTo = end;
  }
  expanded += text.slice(copiedUpTo);

  return {
    text: expanded,
    problems,
    toOriginalOffset(expandedOffset: number): number {
      let shift = 0;
      for (const substitution of substitutions) {
        if (expandedOffset < substitution.expandedStart) break;
        if (expandedOffset < substitution.expandedEnd) return substitution.originalStart;
        shift = substitution.originalEnd - substitution.expandedEnd;
      }
      return expandedOffset + shift;
    },
  };
}
