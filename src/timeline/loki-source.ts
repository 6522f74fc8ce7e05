import { readFileSync } from 'node:fs';
import type { InputTally } from './input-tally.js';
import { parseTimelineLine, StringPool, type TimelineLine } from './occurrence.js';

/** Loki could not be reached, or answered an error. The message names the URL, never a credential. */
export class LokiError extends Error {}

export interface LokiAccess {
  url: string;
  tenant?: string;
  /** The Authorization header's value; never printed. */
  authorization?: string;
}

/**
 * The Authorization header from the environment or a file: a bearer token
 * (LOKI_BEARER_TOKEN, --bearer-token-file) or `user:password` (LOKI_BASIC_AUTH, --basic-auth-file).
 */
export function lokiAuthorization(env: NodeJS.ProcessEnv, files: { bearerTokenFile?: string; basicAuthFile?: string }): string | undefined {
  const read = (path: string, what: string) => {
    try {
      return readFileSync(path, 'utf8').trim();
    } catch (err) {
      throw new LokiError(`cannot read the ${what} file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  const token = files.bearerTokenFile ? read(files.bearerTokenFile, 'bearer token') : env.LOKI_BEARER_TOKEN;
  if (token) return `Bearer ${token}`;
  const basic = files.basicAuthFile ? read(files.basicAuthFile, 'basic auth') : env.LOKI_BASIC_AUTH;
  if (basic) return `Basic ${Buffer.from(basic).toString('base64')}`;
  return undefined;
}

export const LOKI_URL_CREDENTIALS = 'the Loki URL holds a user or password: give them in a file (--basic-auth-file) or $LOKI_BASIC_AUTH, never in the URL';

/** Whether the URL carries a user or password. */
export function hasCredentials(url: string): boolean {
  try {
    const u = new URL(url);
    return u.username !== '' || u.password !== '';
  } catch {
    return false;
  }
}

/** The URL as it may be printed: no user or password in it. */
export function printableUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return '(an invalid URL)';
  }
}

/** Loki answered, but with an error status; `body` is its answer (series limits are told by it). */
export class LokiAnswerError extends LokiError {
  constructor(
    message: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(message);
  }
}

/**
 * One GET of Loki's HTTP API (`path` such as /loki/api/v1/query) with the tenant and the
 * Authorization header; the answer's `data` once Loki says `success`. Errors name the URL
 * without credentials and never the Authorization header.
 */
export async function lokiGet<T>(access: LokiAccess, path: string, params: URLSearchParams): Promise<T> {
  const endpoint = `${access.url.replace(/\/+$/, '')}${path}`;
  const where = printableUrl(endpoint);
  // fetch refuses such a URL with an error that quotes it, password and all.
  if (hasCredentials(endpoint)) throw new LokiError(`${LOKI_URL_CREDENTIALS} (${where})`);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (access.tenant) headers['X-Scope-OrgID'] = access.tenant;
  if (access.authorization) headers.authorization = access.authorization;
  let res: Response;
  try {
    res = await fetch(`${endpoint}?${params}`, { headers });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new LokiError(`cannot reach Loki at ${where}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
  }
  const body = await res.text().catch((err: Error) => `(the answer could not be read: ${err.message})`);
  if (!res.ok) throw new LokiAnswerError(`Loki at ${where} answered ${res.status} ${res.statusText}: ${oneLine(body)}`, res.status, body);
  let answer: { status?: string; data?: T };
  try {
    answer = JSON.parse(body) as { status?: string; data?: T };
  } catch {
    throw new LokiError(`Loki at ${where} answered ${res.status} with something that is not JSON: ${oneLine(body)}`);
  }
  if (answer.status !== 'success' || answer.data === undefined) throw new LokiError(`Loki at ${where} answered an unexpected result: ${oneLine(body)}`);
  return answer.data;
}

interface StreamsData {
  resultType?: string;
  result?: Array<{ stream?: Record<string, string>; values?: Array<[string, string, ...unknown[]]> }>;
}

/**
 * Every line of `query` with a timestamp in [fromMs, toMs], oldest first, through query_range
 * pages of `limit` lines: each next page starts at the last page's newest timestamp (start is
 * inclusive) and leaves out the entries of that nanosecond it already had.
 */
export async function readLinesLoki(
  access: LokiAccess,
  query: string,
  range: { fromMs: number; toMs: number },
  limit: number,
  tally: InputTally,
  keep: (line: TimelineLine) => void,
): Promise<void> {
  const where = printableUrl(`${access.url.replace(/\/+$/, '')}/loki/api/v1/query_range`);
  // End is exclusive in Loki: one nanosecond past `toMs` keeps lines at `toMs`, as a file does.
  const end = (BigInt(range.toMs) * 1_000_000n + 1n).toString();
  let start = (BigInt(range.fromMs) * 1_000_000n).toString();
  let seenAtStart = new Set<string>();
  const pool = new StringPool();
  for (;;) {
    const params = new URLSearchParams({ query, start, end, limit: String(limit), direction: 'forward' });
    const data = await lokiGet<StreamsData>(access, '/loki/api/v1/query_range', params);
    if (data.resultType !== 'streams') throw new LokiError(`Loki at ${where} answered an unexpected result: ${oneLine(JSON.stringify(data))}`);
    const entries: Array<{ ts: bigint; key: string; line: string }> = [];
    for (const stream of data.result ?? []) {
      const labels = JSON.stringify(stream.stream ?? {});
      for (const [ts, line] of stream.values ?? []) entries.push({ ts: BigInt(ts), key: `${labels}\u0000${ts}\u0000${line}`, line });
    }
    entries.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
    for (const e of entries) {
      if (seenAtStart.has(e.key)) continue;
      tally.read++;
      const line = parseTimelineLine(e.line, pool);
      if (typeof line === 'string') tally.skip(`Loki entry at ${e.ts} ns`, line);
      else keep(line);
    }
    if (entries.length < limit) return;
    const last = entries[entries.length - 1]!.ts;
    if (entries[0]!.ts === last) {
      throw new LokiError(`Loki at ${where} holds more than ${limit} lines at one nanosecond (${last}): raise --limit`);
    }
    start = last.toString();
    seenAtStart = new Set(entries.filter((e) => e.ts === last).map((e) => e.key));
  }
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 300)}…` : flat || '(empty answer)';
}
