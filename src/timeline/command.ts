import { parseArgs } from 'node:util';
import { LEVELS, type Level } from '../grade/levels.js';
import { groupLines, MAX_GROUPS } from './group.js';
import { InputTally } from './input-tally.js';
import { lokiQuery } from './loki-query.js';
import { LokiError, lokiAuthorization, printableUrl, readLinesLoki } from './loki-source.js';
import type { TimelineLine } from './occurrence.js';
import { OutputError, PictureOutput } from './picture-output.js';
import { InputFileError, readLinesFile } from './read-file.js';
import { writeHtml } from './render-html.js';
import { writeSvg } from './render-svg.js';
import { describeSubject, type Selection, type Subject, selects } from './select.js';

export const TIMELINE_USAGE = `kube-eventline timeline: one object's Event history as an SVG or a self-contained HTML page.

Usage:
  kube-eventline timeline (--file FILE | --loki URL) SUBJECT [options]

Input (one of):
  --file FILE               event lines (docs/event-line.md), one per line; - for stdin
  --loki URL                Loki's base URL, queried with the dashboards' selector
    --tenant ID             X-Scope-OrgID
    --bearer-token-file F   else $LOKI_BEARER_TOKEN
    --basic-auth-file F     user:password, else $LOKI_BASIC_AUTH
    --limit N               lines per query_range page (default 5000)
Subject (one of):
  --pod NAME                a pod (with --namespace)
  --kind KIND --name NAME   any object
  --workload KIND/NAME      a workload and every object it owned (e.g. deployment/api)
Filters:
  --namespace NS, -n NS     --cluster NAME
  --levels L1,L2            of ${LEVELS.join(', ')}
  --reasons R1,R2
  --since DURATION          e.g. 6h (Loki's default), or --from TIME --to TIME (ISO 8601)
Picture:
  --group DURATION          group occurrences per DURATION (default 1s; coarsened past ${MAX_GROUPS} groups)
  --format svg|html         default: html for an --out ending in .html, else svg
  --out FILE                default: stdout`;

class TimelineUsageError extends Error {}
/** Nothing to draw: said plainly, exit 1. */
class EmptySelectionError extends Error {}

/** `kube-eventline timeline …`: returns the exit code; user mistakes are a message, never a stack. */
export async function runTimeline(argv: string[], env: NodeJS.ProcessEnv = process.env, now = Date.now()): Promise<number> {
  try {
    return await timeline(argv, env, now);
  } catch (err) {
    if (err instanceof TimelineUsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`kube-eventline timeline: ${(err as Error).message}\n\n${TIMELINE_USAGE}\n`);
      return 2;
    }
    if (err instanceof LokiError || err instanceof InputFileError || err instanceof OutputError || err instanceof EmptySelectionError) {
      process.stderr.write(`kube-eventline timeline: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

async function timeline(argv: string[], env: NodeJS.ProcessEnv, now: number): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    allowPositionals: false,
    options: {
      file: { type: 'string' },
      loki: { type: 'string' },
      tenant: { type: 'string' },
      'bearer-token-file': { type: 'string' },
      'basic-auth-file': { type: 'string' },
      limit: { type: 'string' },
      pod: { type: 'string' },
      kind: { type: 'string' },
      name: { type: 'string' },
      workload: { type: 'string' },
      namespace: { type: 'string', short: 'n' },
      cluster: { type: 'string' },
      levels: { type: 'string' },
      reasons: { type: 'string' },
      since: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      group: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stderr.write(`${TIMELINE_USAGE}\n`);
    return 0;
  }
  if ((values.file === undefined) === (values.loki === undefined)) throw new TimelineUsageError('give one input: --file FILE or --loki URL');
  const selection: Selection = { subject: subjectOf(values) };
  if (values.namespace !== undefined) selection.namespace = values.namespace;
  if (values.cluster !== undefined) selection.cluster = values.cluster;
  if (values.levels !== undefined) selection.levels = levelsOf(values.levels);
  if (values.reasons !== undefined) selection.reasons = listOf('--reasons', values.reasons);
  const range = rangeOf(values, now, values.loki !== undefined);
  if (range) {
    selection.fromMs = range.fromMs;
    selection.toMs = range.toMs;
  }
  const stepMs = values.group === undefined ? 1000 : durationOf('--group', values.group);
  if (stepMs < 1000 || stepMs % 1000 !== 0) throw new TimelineUsageError(`--group must be whole seconds (1s or more), got "${values.group}"`);
  const format = values.format ?? (values.out?.toLowerCase().endsWith('.html') ? 'html' : 'svg');
  if (format !== 'svg' && format !== 'html') throw new TimelineUsageError(`--format must be svg or html, got "${format}"`);

  const tally = new InputTally();
  const selected: TimelineLine[] = [];
  const keep = (line: TimelineLine) => {
    if (selects(selection, line)) selected.push(line);
  };
  let source: string;
  if (values.loki !== undefined) {
    const limit = values.limit === undefined ? 5000 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new TimelineUsageError(`--limit must be a positive integer, got "${values.limit}"`);
    const authorization = lokiAuthorization(env, { bearerTokenFile: values['bearer-token-file'], basicAuthFile: values['basic-auth-file'] });
    try {
      new URL(values.loki);
    } catch {
      throw new TimelineUsageError(`--loki must be a URL such as http://loki:3100, got "${values.loki}"`);
    }
    await readLinesLoki({ url: values.loki, tenant: values.tenant, authorization }, lokiQuery(selection), range!, limit, tally, keep);
    source = `Loki at ${printableUrl(values.loki)}`;
  } else {
    await readLinesFile(values.file!, tally, keep);
    source = values.file === '-' ? 'stdin' : values.file!;
  }
  const warning = tally.warning();
  if (warning) process.stderr.write(`kube-eventline timeline: warning: ${warning}\n`);
  if (selected.length === 0) {
    const when = range ? ` between ${new Date(range.fromMs).toISOString()} and ${new Date(range.toMs).toISOString()}` : '';
    throw new EmptySelectionError(
      `nothing to draw: none of the ${tally.read} lines read from ${source} is about ${describeSubject(selection)}${filtersOf(selection)}${when}`,
    );
  }

  const grouping = groupLines(selected, stepMs);
  const heading = {
    subject: describeSubject(selection.namespace === undefined ? { ...selection, namespace: distinct(selected.map((l) => l.namespace)).join(',') } : selection),
    clusters: selection.cluster !== undefined ? [selection.cluster] : distinct(selected.map((l) => l.cluster)),
    // A file read without --from shows the range its lines cover.
    fromMs: range && range.fromMs > -8e15 ? range.fromMs : selected.reduce((a, l) => Math.min(a, l.timeMs), Infinity),
    toMs: range?.toMs ?? selected.reduce((a, l) => Math.max(a, l.timeMs), -Infinity),
    lines: selected.length,
  };
  const toFile = values.out !== undefined && values.out !== '-';
  const output = new PictureOutput(toFile ? values.out : undefined);
  try {
    if (format === 'html') writeHtml(heading, grouping, output.write);
    else writeSvg(heading, grouping, output.write);
  } finally {
    output.close();
  }
  if (toFile)
    process.stderr.write(
      `kube-eventline timeline: wrote ${values.out} (${grouping.groups.length} groups, ${selected.reduce((a, l) => a + l.delta, 0)} occurrences)\n`,
    );
  return 0;
}

const distinct = (xs: string[]) => [...new Set(xs)].sort();

function subjectOf(values: { pod?: string; kind?: string; name?: string; workload?: string }): Subject {
  const given = [values.pod !== undefined, values.kind !== undefined || values.name !== undefined, values.workload !== undefined].filter(Boolean).length;
  if (given !== 1) throw new TimelineUsageError('choose one subject: --pod NAME, --kind KIND --name NAME, or --workload KIND/NAME');
  if (values.pod !== undefined) return { by: 'pod', name: nonEmpty('--pod', values.pod) };
  if (values.workload !== undefined) {
    const m = /^([^/]+)\/([^/]+)$/.exec(values.workload);
    if (!m) throw new TimelineUsageError(`--workload must be KIND/NAME such as deployment/api, got "${values.workload}"`);
    return { by: 'workload', kind: m[1]!, name: m[2]! };
  }
  if (values.kind === undefined || values.name === undefined) throw new TimelineUsageError('--kind and --name go together');
  return { by: 'object', kind: nonEmpty('--kind', values.kind), name: nonEmpty('--name', values.name) };
}

function nonEmpty(flag: string, value: string): string {
  if (value.trim() === '') throw new TimelineUsageError(`${flag} must not be empty`);
  return value;
}

function listOf(flag: string, value: string): string[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw new TimelineUsageError(`${flag} needs at least one value`);
  return items;
}

function levelsOf(value: string): Level[] {
  const levels = listOf('--levels', value);
  for (const l of levels) {
    if (!(LEVELS as readonly string[]).includes(l)) throw new TimelineUsageError(`--levels: "${l}" is not a level; levels are ${LEVELS.join(', ')}`);
  }
  return levels as Level[];
}

function durationOf(flag: string, value: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(value);
  if (!m || Number(m[1]) === 0) throw new TimelineUsageError(`${flag} must be a duration such as 30s, 5m, 6h or 2d, got "${value}"`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

function timeOf(flag: string, value: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : NaN;
  if (!Number.isFinite(ms)) throw new TimelineUsageError(`${flag} must be an ISO 8601 time such as 2026-12-03T10:00:00Z, got "${value}"`);
  return ms;
}

/** The time range asked for; Loki always needs one (default: the last 6 hours), a file does not. */
function rangeOf(values: { since?: string; from?: string; to?: string }, now: number, needed: boolean): { fromMs: number; toMs: number } | undefined {
  if (values.since !== undefined && (values.from !== undefined || values.to !== undefined))
    throw new TimelineUsageError('give --since or --from/--to, not both');
  if (values.since !== undefined) return { fromMs: now - durationOf('--since', values.since), toMs: now };
  if (values.from === undefined && values.to === undefined) return needed ? { fromMs: now - 6 * 3_600_000, toMs: now } : undefined;
  const fromMs = values.from === undefined ? (needed ? now - 6 * 3_600_000 : -8.64e15) : timeOf('--from', values.from);
  const toMs = values.to === undefined ? now : timeOf('--to', values.to);
  if (fromMs > toMs) throw new TimelineUsageError(`--from (${values.from}) is after --to (${values.to ?? 'now'})`);
  return { fromMs, toMs };
}

function filtersOf(selection: Selection): string {
  const parts: string[] = [];
  if (selection.cluster !== undefined) parts.push(`cluster ${selection.cluster}`);
  if (selection.levels) parts.push(`levels ${selection.levels.join(',')}`);
  if (selection.reasons) parts.push(`reasons ${selection.reasons.join(',')}`);
  return parts.length ? ` (${parts.join('; ')})` : '';
}
