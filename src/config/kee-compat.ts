/**
 * kubernetes-event-exporter (KEE) compatibility, in one place: what a KEE config may say that
 * kube-eventline spells differently, reads differently, ignores or refuses. The schema
 * (schema.ts) declares and validates the KEE keys; this module says what they mean. Route
 * semantics (drop, match, child routes) are KEE's and live in route/compile-route.ts.
 */
import type { ConfigWarning } from './config-warnings.js';
import { asRecord } from './raw-config.js';

/** KEE's zerolog level names, onto ours; "" is KEE's default (info). */
export const KEE_LOG_LEVELS = { trace: 'debug', fatal: 'error', panic: 'error', '': 'info' } as const;

/** Receiver types KEE has and kube-eventline does not: a clear error instead of "unknown field". */
export const UNSUPPORTED_KEE_RECEIVER_TYPES = [
  'elasticsearch',
  'opensearch',
  'kafka',
  'kinesis',
  'firehose',
  'opsgenie',
  'loki',
  'sqs',
  'sns',
  'slack',
  'pubsub',
  'opscenter',
  'teams',
  'bigquery',
  'eventbridge',
  'syslog',
  'pipe',
  'prometheus',
  'inMemory',
] as const;

/** Top-level settings KEE spells differently (a file may set one spelling, not both). */
export const KEE_SPELLINGS: ReadonlyArray<{ kee: string[]; ours: string[] }> = [
  { kee: ['namespace'], ours: ['namespaces'] },
  { kee: ['throttlePeriod'], ours: ['maxEventAgeSeconds'] },
  { kee: ['omitLookup'], ours: ['enrichment', 'enabled'] },
  { kee: ['cacheSize'], ours: ['enrichment', 'cacheSize'] },
];

/** What the KEE spellings of KEE_SPELLINGS say, in kube-eventline's terms. */
export function fromKeeSpellings(file: { namespace?: string; throttlePeriod?: number; omitLookup?: boolean; cacheSize?: number }): {
  namespaces?: string[];
  maxEventAgeSeconds?: number;
  enrichment: { enabled?: boolean; cacheSize?: number };
} {
  return {
    ...(file.namespace !== undefined ? { namespaces: [file.namespace] } : {}), // one namespace, "" for all
    ...(file.throttlePeriod !== undefined ? { maxEventAgeSeconds: file.throttlePeriod } : {}), // deprecated there too
    enrichment: {
      ...(file.omitLookup !== undefined ? { enabled: !file.omitLookup } : {}),
      ...(file.cacheSize !== undefined ? { cacheSize: file.cacheSize } : {}),
    },
  };
}

const MEBIBYTE = 1024 * 1024;

/** A file receiver's KEE (lumberjack) rotation: `maxsize` in MiB, `maxbackups` rotated files; 0 means the default there. */
export function rotationFromKee(file: { maxsize?: number; maxbackups?: number }): { maxBytes?: number; maxFiles?: number } {
  return { ...(file.maxsize ? { maxBytes: file.maxsize * MEBIBYTE } : {}), ...(file.maxbackups ? { maxFiles: file.maxbackups } : {}) };
}

const SENT_UPDATE_EVENT_NOTE = 'accepted for KEE compatibility and not used: kube-eventline writes a line for every new occurrence, count updates included';

/** Warnings about KEE settings in the file as written that are accepted and not used, or read differently. */
export function keeWarnings(file: Record<string, unknown>): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  if (file.kubeconfig !== undefined) {
    warnings.push({
      path: ['kubeconfig'],
      message: 'accepted for KEE compatibility and not used: kube-eventline uses the in-cluster service account, or $KUBECONFIG outside a cluster',
    });
  }
  if (file.throttlePeriod !== undefined) {
    warnings.push({ path: ['throttlePeriod'], message: 'deprecated KEE spelling, used as maxEventAgeSeconds' });
  }
  const logLevel = file.logLevel;
  if (typeof logLevel === 'string' && logLevel !== '' && Object.hasOwn(KEE_LOG_LEVELS, logLevel)) {
    warnings.push({ path: ['logLevel'], message: `KEE log level "${logLevel}" is treated as "${KEE_LOG_LEVELS[logLevel as keyof typeof KEE_LOG_LEVELS]}"` });
  }
  const receivers = Array.isArray(file.receivers) ? file.receivers : [];
  receivers.forEach((receiver, index) => {
    for (const type of ['stdout', 'file'] as const) {
      const options = asRecord(asRecord(receiver)?.[type]);
      if (options?.sentUpdateEvent !== undefined) {
        warnings.push({ path: ['receivers', index, type, 'sentUpdateEvent'], message: SENT_UPDATE_EVENT_NOTE });
      }
    }
    const file = asRecord(asRecord(receiver)?.file);
    if (file?.maxage !== undefined) {
      warnings.push({
        path: ['receivers', index, 'file', 'maxage'],
        message: 'accepted for KEE compatibility and not used: rotated files are limited by count (maxFiles), not age',
      });
    }
  });
  return warnings;
}
