import { parseArgs } from 'node:util';
import { ConfigError } from '../config/config-error.js';
import { loadConfigFile } from '../config/load.js';
import { WebhookSecretError } from '../sinks/webhook/secrets.js';
import type { WebhookReceiverConfig } from '../sinks/webhook/webhook-schema.js';
import { hasCredentials, LOKI_URL_CREDENTIALS, LokiError, lokiAuthorization, printableUrl } from '../timeline/loki-source.js';
import { DigestDeliveryError, deliverDigest, digestBody } from './deliver.js';
import { digestJson } from './digest-text.js';
import { gatherDigest } from './gather.js';
import { digestMarkdown } from './render-markdown.js';

export const DIGEST_USAGE = `kube-eventline digest: what failed in the last day, from Loki (docs/digest.md).

Usage:
  kube-eventline digest --loki URL [options]

Loki (the same queries as the Daily failures dashboard, jsonnet/queries.libsonnet):
  --loki URL                Loki's base URL, else $LOKI_URL
  --tenant ID               X-Scope-OrgID, else $LOKI_TENANT
  --bearer-token-file F     else $LOKI_BEARER_TOKEN
  --basic-auth-file F       user:password, else $LOKI_BASIC_AUTH
Scope:
  --cluster NAME            one cluster (default: every cluster)
  --namespace NS, -n NS     namespaces, comma-separated (default: all)
  --range DURATION          how far back (default 24h); "new" compares with the same range before it
  --end TIME                end of the range, ISO 8601 (default: now), for a reproducible digest
  --top N                   rows per list (default 10, at most 100)
Output (one of):
  --format markdown|json    on stdout (default markdown)
  --config FILE --receiver NAME
                            send to a webhook receiver of the config: its preset's format
                            (slack, teams, dingtalk, wecom) or the JSON for a plain webhook

Exit codes: 0 done, 1 Loki or the webhook failed, 2 a usage or config mistake.`;

class DigestUsageError extends Error {}

/** `kube-eventline digest …`: returns the exit code; user mistakes are a message, never a stack. */
export async function runDigest(argv: string[], env: NodeJS.ProcessEnv = process.env, now = Date.now()): Promise<number> {
  try {
    return await digest(argv, env, now);
  } catch (err) {
    if (err instanceof DigestUsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`kube-eventline digest: ${(err as Error).message}\n\n${DIGEST_USAGE}\n`);
      return 2;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    if (err instanceof LokiError || err instanceof DigestDeliveryError || err instanceof WebhookSecretError) {
      process.stderr.write(`kube-eventline digest: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

async function digest(argv: string[], env: NodeJS.ProcessEnv, now: number): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    allowPositionals: false,
    options: {
      loki: { type: 'string' },
      tenant: { type: 'string' },
      'bearer-token-file': { type: 'string' },
      'basic-auth-file': { type: 'string' },
      cluster: { type: 'string' },
      namespace: { type: 'string', short: 'n' },
      range: { type: 'string' },
      end: { type: 'string' },
      top: { type: 'string' },
      format: { type: 'string' },
      config: { type: 'string', short: 'c' },
      receiver: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stderr.write(`${DIGEST_USAGE}\n`);
    return 0;
  }
  const url = values.loki ?? env.LOKI_URL;
  if (url === undefined || url === '') throw new DigestUsageError('give Loki: --loki URL or $LOKI_URL');
  if (!isHttpUrl(url))
    throw new DigestUsageError(`${values.loki !== undefined ? '--loki' : '$LOKI_URL'} must be an http:// or https:// URL such as http://loki:3100`);
  if (hasCredentials(url)) throw new DigestUsageError(LOKI_URL_CREDENTIALS);
  const rangeSeconds = values.range === undefined ? 86_400 : durationSeconds(values.range);
  const endMs = values.end === undefined ? now : timeOf(values.end);
  const limit = values.top === undefined ? 10 : Number(values.top);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new DigestUsageError(`--top must be a whole number from 1 to 100, got "${values.top}"`);
  if (values.format !== undefined && values.format !== 'markdown' && values.format !== 'json')
    throw new DigestUsageError(`--format must be markdown or json, got "${values.format}"`);
  if ((values.config === undefined) !== (values.receiver === undefined)) throw new DigestUsageError('--config and --receiver go together');
  if (values.receiver !== undefined && values.format !== undefined) throw new DigestUsageError('give --format or --receiver, not both');
  const namespaces = values.namespace === undefined ? [] : listOf('--namespace', values.namespace);
  if (values.cluster !== undefined && values.cluster === '') throw new DigestUsageError('--cluster must not be empty');

  // The receiver first: a config mistake is found before Loki is asked anything.
  const receiver = values.config !== undefined ? webhookReceiverOf(values.config, values.receiver!, env) : undefined;
  const authorization = lokiAuthorization(env, { bearerTokenFile: values['bearer-token-file'], basicAuthFile: values['basic-auth-file'] });
  const tenant = values.tenant ?? env.LOKI_TENANT;
  const result = await gatherDigest(
    { url, ...(tenant ? { tenant } : {}), ...(authorization ? { authorization } : {}) },
    { ...(values.cluster !== undefined ? { cluster: values.cluster } : {}), namespaces, endMs, rangeSeconds, limit },
  );
  if (receiver) {
    await deliverDigest(receiver, digestBody(receiver, result), (why, afterMs) =>
      process.stderr.write(`kube-eventline digest: receiver "${receiver.name}": ${why}; retrying in ${Math.round(afterMs / 100) / 10}s\n`),
    );
    process.stderr.write(`kube-eventline digest: sent to receiver "${receiver.name}" (${result.total} occurrences, Loki at ${printableUrl(url)})\n`);
  } else if (values.format === 'json') {
    process.stdout.write(`${JSON.stringify(digestJson(result), null, 2)}\n`);
  } else {
    process.stdout.write(digestMarkdown(result));
  }
  return 0;
}

function webhookReceiverOf(file: string, name: string, env: NodeJS.ProcessEnv): WebhookReceiverConfig {
  const { config, warnings } = loadConfigFile(file, env);
  for (const w of warnings) process.stderr.write(`kube-eventline digest: warning: ${w}\n`);
  const receiver = config.receivers.find((r) => r.name === name);
  const webhooks = config.receivers.filter((r) => r.type === 'webhook').map((r) => `"${r.name}"`);
  const known = webhooks.length > 0 ? `its webhook receivers are ${webhooks.join(', ')}` : 'it has no webhook receiver';
  if (!receiver) throw new DigestUsageError(`${file}: no receiver named "${name}" (${known})`);
  if (receiver.type !== 'webhook') throw new DigestUsageError(`${file}: receiver "${name}" is a ${receiver.type} receiver, not a webhook (${known})`);
  if (receiver.layout)
    throw new DigestUsageError(
      `${file}: receiver "${name}" has a layout, which renders event lines; the digest sends a preset's format or, without preset, its own JSON`,
    );
  return receiver;
}

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

function durationSeconds(value: string): number {
  const m = /^(\d+)(m|h|d)$/.exec(value);
  if (!m || Number(m[1]) === 0) throw new DigestUsageError(`--range must be a duration such as 24h, 90m or 7d, got "${value}"`);
  return Number(m[1]) * { m: 60, h: 3600, d: 86_400 }[m[2] as 'm' | 'h' | 'd'];
}

function timeOf(value: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}T/.test(value) ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms)) throw new DigestUsageError(`--end must be an ISO 8601 time such as 2026-12-03T06:00:00Z, got "${value}"`);
  return ms;
}

function listOf(flag: string, value: string): string[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw new DigestUsageError(`${flag} needs at least one value`);
  return items;
}
