/**
 * `${VAR}` / `${VAR:-default}` expansion over the raw config text, as KEE does before parsing,
 * keeping a map back to the original text so errors point at the line the user wrote.
 * `$${` writes a literal `${`. A default may itself hold references (`${A:-${B:-x}}`), expanded
 * the same way. References inside YAML comments are left alone. The values taken from the
 * environment are kept so that error messages can leave them out: a variable may hold a secret.
 */
import { Parser } from 'yaml';

export interface ExpansionProblem {
  /** offset of the `${` in the original text */
  originalOffset: number;
  /** offset where the (empty) value landed in the expanded text */
  expandedOffset: number;
  message: string;
}

/** A value that came from the environment, and the variable it came from. */
export interface ExpandedValue {
  name: string;
  value: string;
}

export interface Expansion {
  text: string;
  problems: ExpansionProblem[];
  /** every value taken from the environment, for error messages to leave out */
  values: ExpandedValue[];
  /** Maps an offset in the expanded text to the offset of what produced it in the original text. */
  toOriginalOffset(expandedOffset: number): number;
}

interface Substitution {
  originalStart: number;
  originalEnd: number;
  expandedStart: number;
  expandedEnd: number;
}

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HOW_TO_WRITE = '(write ${NAME} or ${NAME:-default}; $${ for a literal ${)';

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

/** The offset of the `}` that closes the reference opened at `start` (`${`), counting nested `${…}`; -1 if none. */
function closingBrace(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    if (text.startsWith('$${', i)) {
      i += 2; // a literal `${` opens nothing
    } else if (text.startsWith('${', i)) {
      depth += 1;
      i += 1;
    } else if (text[i] === '}') {
      depth -= 1;
      if (depth === 0) return i;
    } else if (text[i] === '\n') {
      return -1; // a reference never spans lines
    }
  }
  return -1;
}

interface Expander {
  env: NodeJS.ProcessEnv;
  problems: ExpansionProblem[];
  values: ExpandedValue[];
}

/**
 * Expands `text` (the whole file, or a default inside a reference). `originalBase` is where `text`
 * starts in the file, `expandedBase` where its expansion starts in the expanded file (for
 * positions of problems). Calls `substituted` for each top-level reference replaced.
 */
function expandText(
  text: string,
  originalBase: number,
  expandedBase: number,
  expander: Expander,
  skip: (offset: number) => boolean,
  substituted?: (substitution: Substitution) => void,
): string {
  let expanded = '';
  let copiedUpTo = 0;
  for (let start = text.indexOf('$'); start !== -1; start = text.indexOf('$', Math.max(start + 1, copiedUpTo))) {
    if (skip(originalBase + start)) continue;
    let end: number;
    let value: string;
    if (text.startsWith('$${', start)) {
      end = start + 3;
      value = '${';
    } else if (text.startsWith('${', start)) {
      const close = closingBrace(text, start);
      const at = { originalOffset: originalBase + start, expandedOffset: expandedBase + expanded.length + (start - copiedUpTo) };
      if (close === -1) {
        expander.problems.push({
          ...at,
          message: `unterminated variable reference ${JSON.stringify(text.slice(start, start + 40).split('\n')[0])} ${HOW_TO_WRITE}`,
        });
        end = text.indexOf('\n', start) === -1 ? text.length : text.indexOf('\n', start);
        value = '';
      } else {
        end = close + 1;
        const body = text.slice(start + 2, close);
        const separator = body.indexOf(':-');
        const name = separator === -1 ? body : body.slice(0, separator);
        const defined = expander.env[name];
        if (!VARIABLE_NAME.test(name)) {
          value = '';
          expander.problems.push({ ...at, message: `invalid variable reference \${${name}${separator === -1 ? '' : ':-…'}} ${HOW_TO_WRITE}` });
        } else if (defined !== undefined) {
          value = defined;
          expander.values.push({ name, value });
        } else if (separator !== -1) {
          const fallbackStart = start + 2 + separator + 2;
          value = expandText(body.slice(separator + 2), originalBase + fallbackStart, at.expandedOffset, expander, () => false);
        } else {
          value = '';
          expander.problems.push({ ...at, message: `environment variable ${name} is not set (write \${${name}:-default} to give a default)` });
        }
      }
    } else {
      continue;
    }
    expanded += text.slice(copiedUpTo, start);
    substituted?.({
      originalStart: originalBase + start,
      originalEnd: originalBase + end,
      expandedStart: expandedBase + expanded.length,
      expandedEnd: expandedBase + expanded.length + value.length,
    });
    expanded += value;
    copiedUpTo = end;
  }
  return expanded + text.slice(copiedUpTo);
}

export function expandEnvironment(text: string, env: NodeJS.ProcessEnv): Expansion {
  const substitutions: Substitution[] = [];
  const expander: Expander = { env, problems: [], values: [] };
  const comments = text.includes('${') ? commentRanges(text) : [];
  const inComment = (offset: number): boolean => comments.some(([start, end]) => offset >= start && offset < end);
  const expanded = expandText(text, 0, 0, expander, inComment, (substitution) => substitutions.push(substitution));
  return {
    text: expanded,
    problems: expander.problems,
    values: expander.values,
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
