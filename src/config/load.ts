/**
 * Reads a config file: `${ENV}` expansion, YAML parsing, schema validation, and every problem
 * reported as `file:line:col: path: problem` in one ConfigError.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { ConfigError, formatProblem, type ConfigProblem } from './config-error.js';
import { configWarnings } from './config-warnings.js';
import { expandEnvironment } from './env-expansion.js';
import { fieldSuggester } from './field-suggestions.js';
import { valueAtPath } from './raw-config.js';
import { configSchema, type Config } from './schema.js';
import { formatPath, offsetOfPath, pathAtOffset, type ConfigPath } from './yaml-paths.js';

export interface LoadedConfig {
  config: Config;
  /** each `file:line:col: path: message`, for the caller to print on stderr */
  warnings: string[];
}

const RECEIVER_TYPE_KEYS_ALLOWING_NULL = /^receivers\.\d+$/;

/**
 * YAML writes "nothing" as null (`namespaces:`); treat it as absent, except `stdout:` in a receiver,
 * which KEE users write to mean "a stdout receiver with default options".
 */
function dropNulls(value: unknown, where = ''): unknown {
  if (Array.isArray(value)) return value.map((item, index) => dropNulls(item, `${where}.${index}`));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (child === null) {
      if (RECEIVER_TYPE_KEYS_ALLOWING_NULL.test(where) && key !== 'name') out[key] = {};
      continue;
    }
    out[key] = dropNulls(child, where === '' ? key : `${where}.${key}`);
  }
  return out;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object' && value !== null) return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

interface LocatedIssue {
  path: ConfigPath;
  message: string;
  atKey: boolean;
}

const suggestField = fieldSuggester(configSchema);

function unknownFieldMessage(field: string): string {
  const suggestion = suggestField(field);
  return suggestion !== undefined && suggestion !== field
    ? `unknown field (did you mean "${suggestion}"?)`
    : 'unknown field (see docs/config.md)';
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown): LocatedIssue[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: [...issue.path, key], message: unknownFieldMessage(key), atKey: true }));
  }
  if (issue.code === 'invalid_type' && issue.expected !== 'never') {
    const actual = valueAtPath(raw, issue.path);
    const message =
      actual === undefined ? 'is required' : `expected ${issue.expected}, got ${describeValue(actual)}`;
    return [{ path: issue.path, message, atKey: false }];
  }
  return [{ path: issue.path, message: issue.message, atKey: false }];
}

/** Line and column (1-based) in the original text, through the expansion's offset map. */
function positionFinder(originalText: string, toOriginalOffset: (offset: number) => number) {
  const lines = new LineCounter();
  lines.addNewLine(0);
  for (let i = originalText.indexOf('\n'); i !== -1; i = originalText.indexOf('\n', i + 1)) lines.addNewLine(i + 1);
  return (expandedOffset: number | undefined): { line?: number; column?: number } => {
    if (expandedOffset === undefined) return {};
    const { line, col } = lines.linePos(toOriginalOffset(expandedOffset));
    return { line, column: col };
  };
}

function byPosition(a: ConfigProblem, b: ConfigProblem): number {
  return (a.line ?? Infinity) - (b.line ?? Infinity) || (a.column ?? 0) - (b.column ?? 0);
}

export function loadConfig(text: string, fileName: string, env: NodeJS.ProcessEnv): LoadedConfig {
  const expansion = expandEnvironment(text, env);
  const positionOf = positionFinder(text, expansion.toOriginalOffset);
  const doc: Document = parseDocument(expansion.text, { prettyErrors: false, uniqueKeys: true });
  const problems: ConfigProblem[] = [];

  const positionInOriginal = positionFinder(text, (offset) => offset);
  for (const undefinedVariable of expansion.problems) {
    problems.push({
      path: formatPath(pathAtOffset(doc, undefinedVariable.expandedOffset)),
      message: undefinedVariable.message,
      ...positionInOriginal(undefinedVariable.originalOffset),
    });
  }
  const unsetVariablePaths = new Set(problems.map((problem) => problem.path));
  const syntaxProblems: ConfigProblem[] = [];
  for (const error of doc.errors) {
    // The yaml package's message ends with a "at line …" excerpt; the position is reported our way.
    const message = error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? error.message;
    syntaxProblems.push({ path: '', message: `YAML syntax: ${message}`, ...positionOf(error.pos[0]) });
  }
  if (syntaxProblems.length > 0) throw new ConfigError(fileName, [...problems, ...syntaxProblems].sort(byPosition));

  const parsed: unknown = doc.toJS({ maxAliasCount: 100 }) ?? {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(fileName, [
      ...problems,
      { path: '', message: `the config must be a YAML mapping, got ${describeValue(parsed)}`, ...positionOf(0) },
    ]);
  }
  const raw = dropNulls(parsed) as Record<string, unknown>;
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    for (const issue of result.error.issues) {
      for (const located of describeIssue(issue, raw)) {
        // An unset variable left this field empty; its own problem already says so.
        if (unsetVariablePaths.has(formatPath(located.path))) continue;
        problems.push({
          path: formatPath(located.path),
          message: located.message,
          ...positionOf(offsetOfPath(doc, located.path, located.atKey)),
        });
      }
    }
  }
  if (!result.success || problems.length > 0) throw new ConfigError(fileName, problems.sort(byPosition));

  const fromVariable = (path: Array<string | number>): boolean => {
    const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
    if (!node?.range) return false;
    return text.slice(expansion.toOriginalOffset(node.range[0]), expansion.toOriginalOffset(node.range[1])).includes('${');
  };
  const warnings = configWarnings(raw, result.data, fromVariable)
    .map((warning) => ({
      path: formatPath(warning.path),
      message: warning.message,
      ...positionOf(offsetOfPath(doc, warning.path)),
    }))
    .sort(byPosition)
    .map((warning) => formatProblem(fileName, warning));
  return { config: result.data, warnings };
}

/** Reads and loads a config file; problems name the file by the path given. */
export function loadConfigFile(path: string, env: NodeJS.ProcessEnv): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
    throw new ConfigError(path, [{ path: '', message: `cannot read the config: ${reason}` }]);
  }
  return loadConfig(text, path, env);
}
