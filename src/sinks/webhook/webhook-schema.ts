/**
 * The `webhook` receiver's options: KEE's keys (`endpoint`, `headers`, `layout`) plus presets,
 * secrets from files, and delivery settings. Layout templates are compiled here, so a template
 * kube-eventline cannot render is a config error naming its place, never a failure at send time.
 */
import { z } from 'zod';
import { compileLayout } from './layout.js';
import type { RateLimit } from './preset.js';
import { PRESET_NAMES, PRESETS, type PresetName } from './presets.js';

const text = z.preprocess((value) => (typeof value === 'number' || typeof value === 'boolean' ? String(value) : value), z.string());
const nonEmpty = text.refine((value) => value.length > 0, 'must not be empty');
const seconds = z.number().nonnegative();

/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const headerMap = z.record(text, text).superRefine((headers, ctx) => {
  for (const [name, value] of Object.entries(headers)) {
    if (!HEADER_NAME.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: `"${name}" is not a valid HTTP header name` });
    else if (/[\r\n\0]/.test(value)) ctx.addIssue({ code: 'custom', path: [name], message: 'a header value cannot hold a line break' });
    else if (value.includes('{{'))
      ctx.addIssue({ code: 'custom', path: [name], message: 'templates in headers are not supported: a header is sent as written' });
  }
});

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

export const DEFAULT_WEBHOOK_RATE_LIMIT: RateLimit = { perMinute: 600, burst: 10 };

export const webhookOptionsSchema = z
  .strictObject({
    endpoint: nonEmpty.refine(isHttpUrl, 'must be an http:// or https:// URL').optional(),
    endpointFile: nonEmpty.optional(),
    headers: headerMap.default({}),
    headerFiles: z.record(text, nonEmpty).default({}),
    preset: z.enum(PRESET_NAMES, { error: (issue) => `unknown preset ${JSON.stringify(issue.input)} (presets: ${PRESET_NAMES.join(', ')})` }).optional(),
    secret: nonEmpty.optional(),
    secretFile: nonEmpty.optional(),
    layout: z.record(text, z.unknown()).optional(),
    queueSize: z.number().int().min(1).max(100_000).default(1000),
    rateLimit: z.strictObject({ perMinute: z.number().positive().max(60_000), burst: z.number().int().min(1).max(1000) }).optional(),
    timeoutSeconds: z.number().positive().max(300).default(10),
    retries: z
      .strictObject({
        max: z.number().int().min(0).max(100).default(5),
        minBackoffSeconds: z.number().positive().max(3600).default(1),
        maxBackoffSeconds: z.number().positive().max(3600).default(60),
        maxRetryAfterSeconds: z.number().positive().max(86_400).default(300),
      })
      .default({ max: 5, minBackoffSeconds: 1, maxBackoffSeconds: 60, maxRetryAfterSeconds: 300 }),
    collapseSeconds: seconds.max(86_400).default(300),
    stopTimeoutSeconds: seconds.max(300).default(5),
    tls: z.unknown().optional(), // KEE; refused below, beside the other problems of this receiver
  })
  .superRefine((options, ctx) => {
    if (options.tls !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['tls'], message: 'tls is not supported: https endpoints are checked against the system CA certificates' });
    }
    if ((options.endpoint === undefined) === (options.endpointFile === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'a webhook needs exactly one of endpoint or endpointFile' });
    }
    if (options.preset !== undefined && options.layout !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['layout'], message: 'give a preset or a layout, not both' });
    }
    if ((options.secret !== undefined || options.secretFile !== undefined) && options.preset !== 'dingtalk') {
      ctx.addIssue({
        code: 'custom',
        path: [options.secret !== undefined ? 'secret' : 'secretFile'],
        message: 'a signing secret is only used by preset: dingtalk',
      });
    }
    if (options.secret !== undefined && options.secretFile !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['secretFile'], message: 'give secret or secretFile, not both' });
    }
    for (const name of Object.keys(options.headerFiles)) {
      if (!HEADER_NAME.test(name)) ctx.addIssue({ code: 'custom', path: ['headerFiles', name], message: `"${name}" is not a valid HTTP header name` });
      if (Object.keys(options.headers).some((header) => header.toLowerCase() === name.toLowerCase())) {
        ctx.addIssue({ code: 'custom', path: ['headerFiles', name], message: `header "${name}" is also in headers: give it once` });
      }
    }
    if (options.retries.minBackoffSeconds > options.retries.maxBackoffSeconds) {
      ctx.addIssue({ code: 'custom', path: ['retries', 'minBackoffSeconds'], message: 'must not be above maxBackoffSeconds' });
    }
    if (options.layout) {
      for (const problem of compileLayout(options.layout).problems) {
        ctx.addIssue({ code: 'custom', path: ['layout', ...problem.path], message: problem.message });
      }
    }
  });

/** A webhook receiver after loading; secrets in files are read when the receiver starts. */
export interface WebhookReceiverConfig {
  name: string;
  type: 'webhook';
  endpoint?: string;
  endpointFile?: string;
  headers: Record<string, string>;
  headerFiles: Record<string, string>;
  preset?: PresetName;
  secret?: string;
  secretFile?: string;
  layout?: Record<string, unknown>;
  queueSize: number;
  rateLimit: RateLimit;
  timeoutSeconds: number;
  retries: { max: number; minBackoffSeconds: number; maxBackoffSeconds: number; maxRetryAfterSeconds: number };
  collapseSeconds: number;
  stopTimeoutSeconds: number;
}

export function webhookReceiver(name: string, options: z.output<typeof webhookOptionsSchema>): WebhookReceiverConfig {
  const { tls: _tls, rateLimit, ...rest } = options;
  return {
    name,
    type: 'webhook',
    ...rest,
    rateLimit: rateLimit ?? (options.preset ? PRESETS[options.preset].rateLimit : DEFAULT_WEBHOOK_RATE_LIMIT),
  };
}
