/**
 * The subset of Go text/template that kubernetes-event-exporter (KEE) layouts use in practice,
 * compiled once at config load: field access on the event (`{{ .Reason }}`,
 * `{{ .InvolvedObject.Labels.team }}`), `toJson` / `toPrettyJson`, `index MAP "key"`, KEE's
 * `GetTimestampMs` / `GetTimestampISO8601`, pipes into those functions, comments, and `{{-`/`-}}`
 * trimming. Anything else (if, range, variables, other functions) is refused here with the
 * column it starts at, so a template can never fail while sending.
 *
 * KEE evaluates against its Go struct (EnhancedEvent); the names map onto the JSON fields of our
 * line (docs/event-line.md), which are KEE's JSON names, and values print as Go prints them.
 */
import type { EventLine } from '../../line/event-line.js';

export class TemplateError extends Error {}

/** A Go field of EnhancedEvent: where it lives in the line and how Go prints it. */
interface GoField {
  json: string;
  print: 'text' | 'number' | 'bool' | 'time' | 'map' | 'struct' | 'list';
  fields?: Record<string, GoField>;
}

const text = (json: string): GoField => ({ json, print: 'text' });
const time = (json: string): GoField => ({ json, print: 'time' });
const map = (json: string): GoField => ({ json, print: 'map' });

const OBJECT_REFERENCE: Record<string, GoField> = {
  Kind: text('kind'),
  Namespace: text('namespace'),
  Name: text('name'),
  UID: text('uid'),
  APIVersion: text('apiVersion'),
  ResourceVersion: text('resourceVersion'),
  FieldPath: text('fieldPath'),
};

/** Field names as a KEE template spells them (Go's, with ObjectMeta's promoted), onto the line's JSON. */
const EVENT_FIELDS: Record<string, GoField> = {
  Name: { json: 'metadata.name', print: 'text' },
  Namespace: { json: 'metadata.namespace', print: 'text' },
  UID: { json: 'metadata.uid', print: 'text' },
  ResourceVersion: { json: 'metadata.resourceVersion', print: 'text' },
  CreationTimestamp: { json: 'metadata.creationTimestamp', print: 'time' },
  ObjectMeta: {
    json: 'metadata',
    print: 'struct',
    fields: {
      Name: text('name'),
      Namespace: text('namespace'),
      UID: text('uid'),
      ResourceVersion: text('resourceVersion'),
      CreationTimestamp: time('creationTimestamp'),
    },
  },
  InvolvedObject: {
    json: 'involvedObject',
    print: 'struct',
    fields: {
      ...OBJECT_REFERENCE,
      Labels: map('labels'),
      Annotations: map('annotations'),
      OwnerReferences: { json: 'ownerReferences', print: 'list' },
      Deleted: { json: 'deleted', print: 'bool' },
      // kube-eventline additions
      Workload: { json: 'workload', print: 'struct', fields: { Kind: text('kind'), Name: text('name') } },
    },
  },
  Reason: text('reason'),
  Message: text('message'),
  Source: { json: 'source', print: 'struct', fields: { Component: text('component'), Host: text('host') } },
  FirstTimestamp: time('firstTimestamp'),
  LastTimestamp: time('lastTimestamp'),
  Count: { json: 'count', print: 'number' },
  Type: text('type'),
  EventTime: time('eventTime'),
  Series: { json: 'series', print: 'struct', fields: { Count: { json: 'count', print: 'number' }, LastObservedTime: time('lastObservedTime') } },
  Action: text('action'),
  Related: { json: 'related', print: 'struct', fields: OBJECT_REFERENCE },
  ReportingController: text('reportingComponent'),
  ReportingInstance: text('reportingInstance'),
  ClusterName: text('clusterName'),
  // kube-eventline additions
  Level: text('level'),
  Delta: { json: 'delta', print: 'number' },
  Time: text('time'),
};

const METHODS = ['GetTimestampMs', 'GetTimestampISO8601'] as const;
const FUNCTIONS = ['toJson', 'toPrettyJson', 'index'] as const;

/** Something a template can print: a path into the line (with how Go prints it) or a computed value. */
type Value = { kind: 'field'; get: (line: EventLine) => unknown; print: GoField['print'] | 'mapValue' } | { kind: 'literal'; value: string };

type Evaluator = (line: EventLine) => Value;

const NO_VALUE = '<no value>';

function readPath(line: EventLine, path: string): unknown {
  let node: unknown = line;
  for (const key of path.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function twoDigits(n: number): string {
  return String(n).padStart(2, '0');
}

/** Go's time.Time.String() in UTC: `2006-01-02 15:04:05.999999999 +0000 UTC`; a null time is Go's zero time. */
export function goTimeString(iso: string | null | undefined): string {
  if (!iso) return '0001-01-01 00:00:00 +0000 UTC';
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?Z$/.exec(iso);
  if (!match) {
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return iso;
    return goTimeString(date.toISOString());
  }
  const fraction = (match[7] ?? '').replace(/0+$/, '');
  return `${match[1]}-${match[2]}-${match[3]} ${match[4]}:${match[5]}:${match[6]}${fraction ? `.${fraction}` : ''} +0000 UTC`;
}

/** KEE's timestamp: firstTimestamp, else eventTime. */
function keeTimestampMs(line: EventLine): number {
  const iso = line.firstTimestamp ?? line.eventTime;
  return iso ? Date.parse(iso) : -62135596800000; // Go's zero time
}

function keeTimestampIso(line: EventLine): string {
  const ms = keeTimestampMs(line);
  const date = new Date(ms);
  return `${date.getUTCFullYear()}-${twoDigits(date.getUTCMonth() + 1)}-${twoDigits(date.getUTCDate())}T${twoDigits(date.getUTCHours())}:${twoDigits(date.getUTCMinutes())}:${twoDigits(date.getUTCSeconds())}.${String(date.getUTCMilliseconds()).padStart(3, '0')}Z`;
}

/** Go's json.Marshal escapes <, > and & (and U+2028/9) in strings; sprig's toJson uses it. */
function goJson(value: unknown, indent?: number): string {
  return (JSON.stringify(value === undefined ? null : value, null, indent) ?? 'null')
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function print(value: Value, line: EventLine): string {
  if (value.kind === 'literal') return value.value;
  const raw = value.get(line);
  switch (value.print) {
    case 'text':
      return raw === undefined || raw === null ? '' : String(raw);
    case 'number':
      return String(typeof raw === 'number' ? raw : 0);
    case 'bool':
      return raw === true ? 'true' : 'false';
    case 'time':
      return goTimeString(raw as string | null | undefined);
    case 'mapValue':
      return raw === undefined || raw === null ? NO_VALUE : String(raw); // Go prints a missing map key so
    default:
      return NO_VALUE; // structs and lists are refused at compile time
  }
}

interface Token {
  text: string;
  column: number;
}

/** Splits an action's content into words, quoted strings and `|`. */
function tokenize(source: string, baseColumn: number): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s*("(?:[^"\\]|\\.)*"|`[^`]*`|\||[^\s|"`]+)/g;
  let match: RegExpExecArray | null;
  let consumed = 0;
  while ((match = pattern.exec(source)) !== null) {
    if (match[0].length === 0) break;
    const word = match[1]!;
    tokens.push({ text: word, column: baseColumn + match.index + match[0].indexOf(word) });
    consumed = pattern.lastIndex;
  }
  const rest = source.slice(consumed);
  if (rest.trim() !== '') throw new TemplateError(`unterminated string at column ${baseColumn + consumed + rest.search(/\S/)}`);
  return tokens;
}

/** `.InvolvedObject.Labels.team` → how to read it; every name checked against EnhancedEvent. */
function compileField(token: Token): Value {
  if (token.text === '.') return { kind: 'field', get: (line) => line, print: 'struct' };
  const names = token.text.slice(1).split('.');
  let fields: Record<string, GoField> | undefined = EVENT_FIELDS;
  let jsonPath: string[] = [];
  let last: GoField | undefined;
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    if (last?.print === 'map') {
      if (i !== names.length - 1) throw new TemplateError(`${token.text} at column ${token.column}: a label or annotation value has no fields`);
      const path = [...jsonPath, name];
      return {
        kind: 'field',
        get: (line) => {
          const found = readPath(line, jsonPath.join('.')) as Record<string, unknown> | undefined;
          return found && Object.hasOwn(found, name) ? readPath(line, path.join('.')) : undefined;
        },
        print: 'mapValue',
      } satisfies Value;
    }
    if (METHODS.includes(name as (typeof METHODS)[number]) && i === 0 && names.length === 1) {
      return name === 'GetTimestampMs'
        ? { kind: 'field', get: (line) => String(keeTimestampMs(line)), print: 'text' }
        : { kind: 'field', get: (line) => keeTimestampIso(line), print: 'text' };
    }
    const field: GoField | undefined = fields?.[name];
    if (!field) {
      const known = fields ? Object.keys(fields).join(', ') : 'none';
      throw new TemplateError(
        `unknown field "${name}" in ${token.text} at column ${token.column} (fields here: ${known}${i === 0 ? `, ${METHODS.join(', ')}` : ''})`,
      );
    }
    jsonPath = [...jsonPath, ...field.json.split('.')];
    last = field;
    fields = field.fields;
  }
  const path = jsonPath.join('.');
  const leaf = last!;
  if (leaf.print === 'map') {
    // a map KEE did not look up is nil: toJson prints null
    return { kind: 'field', get: (line) => readPath(line, path), print: 'map' };
  }
  return { kind: 'field', get: (line) => readPath(line, path), print: leaf.print };
}

function unquote(token: Token): string {
  if (token.text.startsWith('`')) return token.text.slice(1, -1);
  try {
    return JSON.parse(token.text) as string;
  } catch {
    throw new TemplateError(`invalid string ${token.text} at column ${token.column}`);
  }
}

function operand(token: Token): Value {
  if (token.text.startsWith('.')) return compileField(token);
  if (token.text.startsWith('"') || token.text.startsWith('`')) return { kind: 'literal', value: unquote(token) };
  if (token.text.startsWith('$')) throw new TemplateError(`variables (${token.text}) are not supported, at column ${token.column}`);
  throw new TemplateError(`unknown function "${token.text}" at column ${token.column} (supported: ${FUNCTIONS.join(', ')}, and field access such as .Reason)`);
}

const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue']);

/** One command of a pipeline: an operand, or a function applied to its arguments (and the piped value). */
function compileCommand(tokens: Token[], piped: Evaluator | undefined): Evaluator {
  const [head, ...args] = tokens;
  if (!head) throw new TemplateError('empty command');
  if (KEYWORDS.has(head.text))
    throw new TemplateError(`"${head.text}" is not supported, at column ${head.column} (supported: field access, ${FUNCTIONS.join(', ')})`);
  if (head.text === 'toJson' || head.text === 'toPrettyJson') {
    const indent = head.text === 'toPrettyJson' ? 2 : undefined;
    const argument = args.length === 1 ? operand(args[0]!) : undefined;
    if ((argument ? 1 : 0) + (piped ? 1 : 0) !== 1) throw new TemplateError(`${head.text} takes one value, at column ${head.column}`);
    const inner: Evaluator = argument ? () => argument : piped!;
    return (line) => {
      const value = inner(line);
      return { kind: 'literal', value: goJson(value.kind === 'literal' ? value.value : value.get(line), indent) };
    };
  }
  if (head.text === 'index') {
    const all = args.map(operand);
    if (piped) throw new TemplateError(`index cannot take a piped value, at column ${head.column}`);
    const [target, ...keys] = all;
    if (target?.kind !== 'field' || target.print !== 'map' || keys.length !== 1 || keys[0]!.kind !== 'literal') {
      throw new TemplateError(
        `index is supported on labels and annotations with one quoted key (index .InvolvedObject.Labels "app"), at column ${head.column}`,
      );
    }
    const key = (keys[0] as { value: string }).value;
    // index gives the zero value (an empty string) for a missing key
    return (line) => ({ kind: 'literal', value: String((target.get(line) as Record<string, unknown> | undefined)?.[key] ?? '') });
  }
  if (!/^[."`$]/.test(head.text)) operand(head); // throws now, at load: an unknown function
  if (args.length > 0 || piped) throw new TemplateError(`"${head.text}" is not a function, at column ${head.column} (supported: ${FUNCTIONS.join(', ')})`);
  const value = operand(head);
  return () => value;
}

function compileAction(source: string, column: number): Evaluator {
  const tokens = tokenize(source, column);
  if (tokens.length === 0) throw new TemplateError(`empty action at column ${column}`);
  const commands: Token[][] = [[]];
  for (const token of tokens) {
    if (token.text === '|') commands.push([]);
    else commands[commands.length - 1]!.push(token);
  }
  let evaluator: Evaluator | undefined;
  for (const command of commands) evaluator = compileCommand(command, evaluator);
  const result = evaluator!;
  // Printing a struct or list as Go does (a %v dump) is not useful in a message: ask for toJson.
  const probe = tokens.length === 1 && tokens[0]!.text.startsWith('.') ? compileField(tokens[0]!) : undefined;
  if (probe?.kind === 'field' && (probe.print === 'struct' || probe.print === 'list' || probe.print === 'map')) {
    throw new TemplateError(`${tokens[0]!.text} at column ${tokens[0]!.column} is not a single value: write {{ toJson ${tokens[0]!.text} }}`);
  }
  return result;
}

/** A compiled template: the line in, the text out. Never throws. */
export type CompiledTemplate = (line: EventLine) => string;

/** Compiles a KEE template string; throws TemplateError saying what and at which column (1-based). */
export function compileTemplate(source: string): CompiledTemplate {
  const parts: Array<string | Evaluator> = [];
  let at = 0;
  let trimNextText = false;
  while (at <= source.length) {
    const open = source.indexOf('{{', at);
    let literal = open === -1 ? source.slice(at) : source.slice(at, open);
    if (trimNextText) literal = literal.replace(/^\s+/, '');
    if (open === -1) {
      if (literal) parts.push(literal);
      break;
    }
    const close = source.indexOf('}}', open + 2);
    if (close === -1) throw new TemplateError(`unclosed action "{{" at column ${open + 1}`);
    let inner = source.slice(open + 2, close);
    let innerColumn = open + 3;
    if (inner.startsWith('- ')) {
      literal = literal.replace(/\s+$/, '');
      inner = inner.slice(1);
      innerColumn++;
    }
    trimNextText = inner.endsWith(' -');
    if (trimNextText) inner = inner.slice(0, -1);
    if (literal) parts.push(literal);
    const trimmed = inner.trim();
    if (!(trimmed.startsWith('/*') && trimmed.endsWith('*/'))) parts.push(compileAction(inner, innerColumn));
    at = close + 2;
  }
  if (parts.every((part) => typeof part === 'string')) {
    const constant = parts.join('');
    return () => constant;
  }
  return (line) => {
    let out = '';
    for (const part of parts) out += typeof part === 'string' ? part : print(part(line), line);
    return out;
  };
}
