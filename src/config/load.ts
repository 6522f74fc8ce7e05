/**
 * Reads a config file: `${ENV}` expansion, YAML parsing, schema validation, and every problem
 * reported as `file:line:col: path: problem` in one ConfigError.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { type Document, LineCounter, type Node, parseDocument, visit } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigProblem, formatProblem } from './config-error.js';
import { configWarnings } from './config-warnings.js';
import { type ExpandedValue, expandEnvironment } from './env-expansion.js';
import { fieldSuggester } from './field-suggestions.js';
import { valueAtPath } from './raw-config.js';
import { type Config, configSchema } from './schema.js';
import { type ConfigPath, formatPath, offsetOfPath, pathAtOffset } from './yaml-paths.js';

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
  return suggestion !== undefined && suggestion !== field ? `unknown field (did you mean "${suggestion}"?)` : 'unknown field (see docs/config.md)';
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown): LocatedIssue[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: [...issue.path, key], message: unknownFieldMessage(key), atKey: true }));
  }
  if (issue.code === 'invalid_type' && issue.expected !== 'never') {
    const actual = valueAtPath(raw, issue.path);
    const message = actual === undefined ? 'is required' : `expected ${issue.expected}, got ${describeValue(actual)}`;
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

/** Aliases expanded at most this many times: a "billion laughs" document is refused, not expanded. */
const MAX_ALIAS_EXPANSIONS = 100;

/**
 * Messages may quote what the file says, and what the file says after expansion may be a secret
 * from the environment: each such value is shown as the reference that produced it.
 */
function withoutExpandedValues(message: string, values: readonly ExpandedValue[]): string {
  let out = message;
  for (const { name, value } of [...values].sort((a, b) => b.value.length - a.value.length)) {
    const reference = `\${${name}}`;
    if (value.length < MIN_REDACTED_LENGTH) {
      // A value of a character or two (a port digit) is no secret, and replacing it everywhere
      // would garble the message ("at most 1,000"): only where the message quotes it whole.
      if (value.length > 0) out = out.split(JSON.stringify(value)).join(`"${reference}"`);
      continue;
    }
    out = out.split(value).join(reference);
    // Quoted in a message (JSON.stringify), a value with quotes or backslashes is spelt differently.
    const quoted = JSON.stringify(value).slice(1, -1);
    if (quoted !== value) out = out.split(quoted).join(reference);
  }
  return out;
}

const MIN_REDACTED_LENGTH = 3;

/** The first NUL character of the text, which no config has a use for (a binary file, a wrong path). */
function nulProblem(text: string, positionOf: (offset: number) => { line?: number; column?: number }): ConfigProblem | undefined {
  const at = text.indexOf('\0');
  return at === -1 ? undefined : { path: '', message: 'the file holds a NUL byte: a config is UTF-8 text', ...positionOf(at) };
}

/** Aliases whose anchor is not defined before them, each at its place. */
function unresolvedAliases(doc: Document, positionOf: (offset: number | undefined) => { line?: number; column?: number }): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  visit(doc, {
    Alias(_key, alias) {
      if (!alias.resolve(doc)) {
        problems.push({ path: '', message: `YAML: alias *${alias.source} has no anchor &${alias.source} before it`, ...positionOf(alias.range?.[0]) });
      }
    },
  });
  return problems;
}

function firstAliasOffset(doc: Document): number | undefined {
  let offset: number | undefined;
  visit(doc, {
    Alias(_key, alias: Node) {
      offset = alias.range?.[0];
      return visit.BREAK;
    },
  });
  return offset;
}

export function loadConfig(text: string, fileName: string, env: NodeJS.ProcessEnv): LoadedConfig {
  const expansion = expandEnvironment(text, env);
  const positionOf = positionFinder(text, expansion.toOriginalOffset);
  const positionInOriginal = positionFinder(text, (offset) => offset);
  const fail = (found: ConfigProblem[]): never => {
    const redacted = found.map((problem) => ({ ...problem, message: withoutExpandedValues(problem.message, expansion.values) }));
    throw new ConfigError(fileName, redacted.sort(byPosition));
  };
  const nul = nulProblem(text, positionInOriginal);
  if (nul) fail([nul]);
  // Core YAML only: a tag such as !!js/function or !!binary is an error, not a value read another way.
  const doc: Document = parseDocument(expansion.text, { prettyErrors: false, uniqueKeys: true, schema: 'core', resolveKnownTags: false });
  const problems: ConfigProblem[] = [];

  for (const expansionProblem of expansion.problems) {
    problems.push({
      path: formatPath(pathAtOffset(doc, expansionProblem.expandedOffset)),
      message: expansionProblem.message,
      ...positionInOriginal(expansionProblem.originalOffset),
    });
  }
  const unsetVariablePaths = new Set(problems.map((problem) => problem.path));
  const syntaxProblems: ConfigProblem[] = [];
  for (const error of doc.errors) {
    // The yaml package's message ends with a "at line …" excerpt; the position is reported our way.
    const message = error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? error.message;
    syntaxProblems.push({ path: '', message: `YAML syntax: ${message}`, ...positionOf(error.pos[0]) });
  }
  for (const warning of doc.warnings) {
    const message =
      warning.code === 'TAG_RESOLVE_FAILED'
        ? `YAML tag ${expansion.text.slice(warning.pos[0], warning.pos[1]).trim()} is not supported: a config holds plain strings, numbers, booleans, lists and mappings`
        : `YAML: ${warning.message.split('\n')[0] ?? warning.message}`;
    syntaxProblems.push({ path: '', message, ...positionOf(warning.pos[0]) });
  }
  syntaxProblems.push(...unresolvedAliases(doc, positionOf));
  if (syntaxProblems.length > 0) fail([...problems, ...syntaxProblems]);

  let parsed: unknown;
  try {
    parsed = doc.toJS({ maxAliasCount: MAX_ALIAS_EXPANSIONS }) ?? {};
  } catch (error) {
    if (!(error instanceof ReferenceError)) throw error;
    fail([
      ...problems,
      {
        path: '',
        message: `YAML: aliases expand to more than ${MAX_ALIAS_EXPANSIONS} copies (a document built to exhaust memory?); write the values out`,
        ...positionOf(firstAliasOffset(doc)),
      },
    ]);
  }
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    fail([...problems, { path: '', message: `the config must be a YAML mapping, got ${describeValue(parsed)}`, ...positionOf(0) }]);
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
  if (!result.success || problems.length > 0) return fail(problems);

  const fromVariable = (path: Array<string | number>): boolean => {
    const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
    if (!node?.range) return false;
    return text.slice(expansion.toOriginalOffset(node.range[0]), expansion.toOriginalOffset(node.range[1])).includes('${');
  };
  const warnings = configWarnings(raw, result.data, fromVariable)
    .map((warning) => ({
      path: formatPath(warning.path),
      message: withoutExpandedValues(warning.message, expansion.values),
      ...positionOf(offsetOfPath(doc, warning.path)),
    }))
    .sort(byPosition)
    .map((warning) => formatProblem(fileName, warning));
  return { config: result.data, warnings };
}

/** Larger than any config (a ConfigMap holds at most 1 MiB): a wrong path is refused, not read into memory. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** The text of a UTF-8 file, or the offset of its first byte that is not UTF-8. */
function decodeUtf8(bytes: Buffer): { text: string } | { invalidAt: number; textBefore: string } {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes) };
  } catch {
    const lenient = bytes.toString('utf8');
    const reencoded = Buffer.from(lenient, 'utf8');
    let at = 0;
    while (at < bytes.length && bytes[at] === reencoded[at]) at++;
    return { invalidAt: at, textBefore: bytes.subarray(0, at).toString('utf8') };
  }
}

function readConfigBytes(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new ConfigError(path, [{ path: '', message: 'cannot read the config: not a regular file' }]);
    if (stat.size > MAX_CONFIG_BYTES) {
      throw new ConfigError(path, [{ path: '', message: `cannot read the config: ${stat.size} bytes, more than the ${MAX_CONFIG_BYTES} a config may have` }]);
    }
    // Read at most one byte past the limit: a file that grows while it is read is still bounded.
    const bytes = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let length = 0;
    for (let n: number; length < bytes.length && (n = readSync(fd, bytes, length, bytes.length - length, null)) > 0; ) length += n;
    if (length > MAX_CONFIG_BYTES) {
      throw new ConfigError(path, [{ path: '', message: `cannot read the config: more than the ${MAX_CONFIG_BYTES} bytes a config may have` }]);
    }
    return bytes.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

/** Reads and loads a config file; problems name the file by the path given. */
export function loadConfigFile(path: string, env: NodeJS.ProcessEnv): LoadedConfig {
  let bytes: Buffer;
  try {
    bytes = readConfigBytes(path);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
    throw new ConfigError(path, [{ path: '', message: `cannot read the config: ${reason}` }]);
  }
  const decoded = decodeUtf8(bytes);
  if ('invalidAt' in decoded) {
    const lines = decoded.textBefore.split('\n');
    const column = (lines.at(-1)?.length ?? 0) + 1;
    throw new ConfigError(path, [{ path: '', message: `byte ${decoded.invalidAt} is not UTF-8: a config is UTF-8 text`, line: lines.length, column }]);
  }
  return loadConfig(decoded.text, path, env);
}
