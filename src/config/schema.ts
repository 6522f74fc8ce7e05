/**
 * The config file schema: the one definition of what a config may say, its defaults, and the
 * normalised shape (`Config`) the rest of the exporter reads. kubernetes-event-exporter (KEE)
 * spellings are accepted here and folded into the kube-eventline fields by the final transform,
 * as kee-compat.ts says they mean. docs/config.md is the user-facing reference of this file.
 */
import { z } from 'zod';
import { LEVELS } from '../grade/levels.js';
import { type WebhookReceiverConfig, webhookOptionsSchema, webhookReceiver } from '../sinks/webhook/webhook-schema.js';
import { DEFAULT_TRACKER_OPTIONS } from '../track/occurrence-tracker.js';
import { checkCrossReferences } from './cross-references.js';
import { fromKeeSpellings, KEE_LOG_LEVELS, rotationFromKee, UNSUPPORTED_KEE_RECEIVER_TYPES } from './kee-compat.js';
import { patternProblem } from './pattern.js';
import { KEYED_PATTERN_FIELDS, LEVEL_RULE_PATTERN_FIELD_NAMES, PATTERN_FIELD_NAMES } from './rule-fields.js';

/** YAML (and `${ENV}` expansion) may turn a label value or name into a number or boolean; KEE reads those as text. */
function scalarAsText(value: unknown): unknown {
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
}

const text = z.preprocess(scalarAsText, z.string());

const pattern = z.preprocess(
  scalarAsText,
  z.string().superRefine((value, ctx) => {
    const problem = patternProblem(value);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  }),
);

const level = z.enum(LEVELS, {
  error: (issue) => `unknown level ${JSON.stringify(issue.input)} (levels: ${LEVELS.join(', ')})`,
});

/**
 * A whole number in [min, max]. Every number in the config has an upper bound: a value past what
 * the exporter can act on (a timer beyond 24 days, a million rotated files) is refused at load,
 * not met at run time.
 */
function integerIn(min: number, max: number, unit = '', why = '') {
  const range = `${min.toLocaleString('en')}–${max.toLocaleString('en')}${unit}`;
  return z
    .number()
    .int()
    .min(min, `must be at least ${min.toLocaleString('en')} (range ${range})`)
    .max(max, `must be at most ${max.toLocaleString('en')}${unit} (range ${range})${why ? `: ${why}` : ''}`);
}

const DAY_SECONDS = 86_400;
/** The Event `count` is an int32 in the Kubernetes API. */
const MAX_EVENT_COUNT = 2 ** 31 - 1;
const MAX_RECEIVER_FILE_BYTES = 2 ** 40; // 1 TiB
const MAX_ROTATED_FILES = 1000;

/** An optional pattern for each of `names` (rule-fields.ts). */
function patternFields<Name extends string>(names: readonly Name[]) {
  return Object.fromEntries(names.map((name) => [name, pattern.optional()])) as Record<Name, z.ZodOptional<typeof pattern>>;
}

const patternsByKey = z.record(z.string(), pattern).optional();
const keyedPatternFields = Object.fromEntries(KEYED_PATTERN_FIELDS.map((field) => [field.name, patternsByKey])) as Record<
  (typeof KEYED_PATTERN_FIELDS)[number]['name'],
  typeof patternsByKey
>;

/** A route rule: KEE's fields (all patterns, ANDed) plus `minLevel`. */
const routeRuleSchema = z.strictObject({
  name: text.optional(),
  ...patternFields(PATTERN_FIELD_NAMES),
  ...keyedPatternFields,
  minCount: integerIn(0, MAX_EVENT_COUNT).optional(),
  minLevel: level.optional(),
  receiver: text.optional(),
});

/** A route: drop rules, match rules, and child routes, evaluated as KEE does (see docs/config.md). */
export const routeSchema = z.strictObject({
  drop: z.array(routeRuleSchema).default([]),
  match: z.array(routeRuleSchema).default([]),
  get routes(): z.ZodDefault<z.ZodArray<typeof routeSchema>> {
    return z.array(routeSchema).default([]);
  },
});

/** A severity override: the first rule whose patterns all match sets the level. */
const levelRuleSchema = z.strictObject({
  ...patternFields(LEVEL_RULE_PATTERN_FIELD_NAMES),
  level,
});

const layoutUnsupported = z
  .never({
    error: 'layout is not supported: kube-eventline always writes the event line of docs/event-line.md; remove `layout`',
  })
  .optional();

const stdoutOptionsSchema = z.strictObject({
  deDot: z.boolean().default(false),
  layout: layoutUnsupported,
  sentUpdateEvent: z.boolean().optional(), // KEE; ignored (see kee-compat.ts)
});

const fileOptionsSchema = z.strictObject({
  path: text.refine((path) => path.length > 0, 'path must not be empty'),
  maxBytes: integerIn(4096, MAX_RECEIVER_FILE_BYTES, ' bytes').optional(),
  maxFiles: integerIn(1, MAX_ROTATED_FILES, ' files', 'each rotation renames every kept file').optional(),
  deDot: z.boolean().default(false),
  layout: layoutUnsupported,
  maxsize: integerIn(0, MAX_RECEIVER_FILE_BYTES / 2 ** 20, ' MiB').optional(), // KEE (lumberjack): megabytes
  maxbackups: integerIn(0, MAX_ROTATED_FILES, ' files', 'each rotation renames every kept file').optional(), // KEE (lumberjack): rotated files kept
  maxage: integerIn(0, 36_500, ' days').optional(), // KEE; ignored (see kee-compat.ts)
  sentUpdateEvent: z.boolean().optional(), // KEE; ignored (see kee-compat.ts)
});

const SUPPORTED_RECEIVER_TYPES = ['stdout', 'file', 'webhook'] as const;

const unsupportedReceiverFields = Object.fromEntries(
  UNSUPPORTED_KEE_RECEIVER_TYPES.map((type) => [
    type,
    z
      .unknown()
      .optional()
      .superRefine((value, ctx) => {
        if (value === undefined) return;
        ctx.addIssue({
          code: 'custom',
          message: `receiver type "${type}" is not supported (supported: ${SUPPORTED_RECEIVER_TYPES.join(', ')}); ship lines onward with Fluent Bit instead`,
        });
      }),
  ]),
) as Record<(typeof UNSUPPORTED_KEE_RECEIVER_TYPES)[number], z.ZodOptional<z.ZodUnknown>>;

const DEFAULT_FILE_MAX_BYTES = 100 * 1024 * 1024;
const DEFAULT_FILE_MAX_FILES = 3;

const receiverSchema = z
  .strictObject({
    name: text.refine((name) => name.length > 0, 'name must not be empty').refine((name) => name.length <= 253, 'at most 253 characters'),
    stdout: stdoutOptionsSchema.optional(),
    file: fileOptionsSchema.optional(),
    webhook: webhookOptionsSchema.optional(),
    ...unsupportedReceiverFields,
  })
  .superRefine((receiver, ctx) => {
    const types = SUPPORTED_RECEIVER_TYPES.filter((type) => receiver[type] !== undefined);
    const hasUnsupportedType = UNSUPPORTED_KEE_RECEIVER_TYPES.some((type) => receiver[type] !== undefined);
    if (types.length === 0 && !hasUnsupportedType) {
      ctx.addIssue({
        code: 'custom',
        message: `receiver "${receiver.name}" needs a type: one of ${SUPPORTED_RECEIVER_TYPES.join(', ')}`,
      });
    } else if (types.length > 1) {
      ctx.addIssue({ code: 'custom', message: `receiver "${receiver.name}" has more than one type: ${types.join(', ')}` });
    }
    const file = receiver.file;
    if (file?.maxBytes !== undefined && file.maxsize !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['file', 'maxsize'], message: 'set maxBytes or KEE maxsize, not both' });
    }
    if (file?.maxFiles !== undefined && file.maxbackups !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['file', 'maxbackups'], message: 'set maxFiles or KEE maxbackups, not both' });
    }
  })
  .transform((receiver): ReceiverConfig => {
    if (receiver.file) {
      const file = receiver.file;
      const kee = rotationFromKee(file);
      return {
        name: receiver.name,
        type: 'file',
        path: file.path,
        maxBytes: file.maxBytes ?? kee.maxBytes ?? DEFAULT_FILE_MAX_BYTES,
        maxFiles: file.maxFiles ?? kee.maxFiles ?? DEFAULT_FILE_MAX_FILES,
        deDot: file.deDot,
      };
    }
    if (receiver.webhook) return webhookReceiver(receiver.name, receiver.webhook);
    return { name: receiver.name, type: 'stdout', deDot: receiver.stdout?.deDot ?? false };
  });

/** A receiver after loading: what a sink needs, KEE spellings resolved. */
export type ReceiverConfig =
  | { name: string; type: 'stdout'; deDot: boolean }
  | {
      name: string;
      type: 'file';
      path: string;
      /** rotate once the live file holds this many bytes (what it held at start included) */
      maxBytes: number;
      /** rotated files kept besides the live one */
      maxFiles: number;
      deDot: boolean;
    }
  | WebhookReceiverConfig;

/** A namespace name as Kubernetes accepts it: a DNS-1123 label. */
const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1123_LABEL_MAX_LENGTH = 63;
/** The name of most objects (a ConfigMap, a Lease): a DNS-1123 subdomain, dot-separated labels. */
const DNS_1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_1123_SUBDOMAIN_MAX_LENGTH = 253;

/** Why `name` cannot name a namespace, or undefined when it can; "" (all namespaces) is not a name. */
function namespaceNameProblem(name: string): string | undefined {
  if (name.length > DNS_1123_LABEL_MAX_LENGTH) {
    return `${JSON.stringify(name)} is not a valid namespace name: ${name.length} characters, at most ${DNS_1123_LABEL_MAX_LENGTH}`;
  }
  if (!DNS_1123_LABEL.test(name)) {
    return `${JSON.stringify(name)} is not a valid namespace name: lowercase letters, digits and '-' only, starting and ending with a letter or digit (a DNS-1123 label)`;
  }
  return undefined;
}

/** Why `name` cannot name a ConfigMap or a Lease, or undefined when it can. */
export function objectNameProblem(name: string, what: string): string | undefined {
  if (name.length > DNS_1123_SUBDOMAIN_MAX_LENGTH) {
    return `${JSON.stringify(name)} is not a valid ${what} name: ${name.length} characters, at most ${DNS_1123_SUBDOMAIN_MAX_LENGTH}`;
  }
  if (!DNS_1123_SUBDOMAIN.test(name)) {
    return `${JSON.stringify(name)} is not a valid ${what} name: lowercase letters, digits, '-' and '.' only, each dot-separated part starting and ending with a letter or digit (a DNS-1123 subdomain)`;
  }
  return undefined;
}

/** A field naming a Kubernetes object of the kind `what`. */
export function objectNameField(what: string) {
  return text.superRefine((name, ctx) => {
    const problem = objectNameProblem(name, what);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  });
}

/** A namespace name; with `orAll`, also "" for all namespaces. */
function namespaceField(orAll: boolean) {
  return text.superRefine((name, ctx) => {
    const problem = orAll && name === '' ? undefined : namespaceNameProblem(name);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  });
}

/** Where one namespace is meant: the checkpoint's ConfigMap, the Lease. */
const namespaceName = namespaceField(false);

const checkpointSchema = z
  .strictObject({
    configMap: z.strictObject({ namespace: namespaceName, name: objectNameField('ConfigMap') }).optional(),
    file: text.refine((path) => path.length > 0, 'must not be empty').optional(),
    // At most an hour: a crash writes again up to this many seconds of occurrences.
    intervalSeconds: integerIn(1, 3600, ' seconds').default(10),
  })
  .superRefine((checkpoint, ctx) => {
    if ((checkpoint.configMap === undefined) === (checkpoint.file === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'checkpoint needs exactly one of configMap or file' });
    }
  });

const enrichmentSchema = z.strictObject({
  enabled: z.boolean().default(true),
  cacheSize: integerIn(1, 1_000_000, ' objects').default(1024),
  cacheTTLSeconds: integerIn(1, DAY_SECONDS, ' seconds').default(300),
  annotations: z.boolean().default(false),
});

/**
 * The Lease timings, client-go's defaults. The leader renews every retry period and stops once
 * it could not renew for the renew deadline, which must be shorter than the lease: it has then
 * stopped writing before any other replica may see the lease expire.
 */
export const LEASE_TIMING_DEFAULTS = { leaseDurationSeconds: 15, renewDeadlineSeconds: 10, retryPeriodSeconds: 2 } as const;

const leaderElectionSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    leaderElectionID: objectNameField('Lease').default('kube-eventline'),
    namespace: namespaceName.optional(),
    leaseDurationSeconds: z.number().positive().max(3600).default(LEASE_TIMING_DEFAULTS.leaseDurationSeconds),
    renewDeadlineSeconds: z.number().positive().max(3600).default(LEASE_TIMING_DEFAULTS.renewDeadlineSeconds),
    retryPeriodSeconds: z.number().positive().max(3600).default(LEASE_TIMING_DEFAULTS.retryPeriodSeconds),
  })
  .superRefine((lease, ctx) => {
    if (lease.renewDeadlineSeconds >= lease.leaseDurationSeconds) {
      ctx.addIssue({
        code: 'custom',
        path: ['renewDeadlineSeconds'],
        message: `must be less than leaseDurationSeconds (${lease.leaseDurationSeconds}): a leader that cannot renew must stop before another replica may take the lease`,
      });
    }
    if (lease.retryPeriodSeconds >= lease.renewDeadlineSeconds) {
      ctx.addIssue({
        code: 'custom',
        path: ['retryPeriodSeconds'],
        message: `must be less than renewDeadlineSeconds (${lease.renewDeadlineSeconds}): the leader must get to try renewing before its deadline`,
      });
    }
  });

const trackingSchema = z.strictObject({
  // 15 bytes a slot at 3/4 load: 10 million Events take about 200 MiB.
  maxEvents: integerIn(1, 10_000_000, ' Events').default(DEFAULT_TRACKER_OPTIONS.maxEntries),
  ttlSeconds: z
    .number()
    .int()
    .min(600, "must be at least 600 (keep it above the API server's --event-ttl, 1h by default)")
    .max(7 * DAY_SECONDS, `must be at most ${(7 * DAY_SECONDS).toLocaleString('en')} (7 days)`)
    .default(DEFAULT_TRACKER_OPTIONS.ttlMs / 1000),
});

const metricsSchema = z.strictObject({
  address: text.refine((address) => address.length > 0 && address.length <= 253, 'must be an IP address or a host name').default('0.0.0.0'),
  port: z.number().int().min(0).max(65535).default(2112), // 0: any free port (tests)
});

const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
/** Ours, or one of KEE's (kee-compat.ts). */
const logLevel = z
  .enum([...LOG_LEVELS, ...(Object.keys(KEE_LOG_LEVELS) as Array<keyof typeof KEE_LOG_LEVELS>)], {
    error: (issue) => `unknown log level ${JSON.stringify(issue.input)} (levels: ${LOG_LEVELS.join(', ')})`,
  })
  .transform((value) => (Object.hasOwn(KEE_LOG_LEVELS, value) ? KEE_LOG_LEVELS[value as keyof typeof KEE_LOG_LEVELS] : value))
  .pipe(z.enum(LOG_LEVELS));

/** The KEE `namespace`: one name, or "" for all namespaces. */
const namespaceOrAll = namespaceField(true);

/**
 * Every entry starts a watch of its own: "" (all namespaces) beside a name, or a name twice,
 * would write the Events of that namespace more than once.
 */
const namespaceList = z.array(text).superRefine((names, ctx) => {
  const listsNames = names.some((name) => name !== '');
  const firstIndexByName = new Map<string, number>();
  names.forEach((name, index) => {
    const first = firstIndexByName.get(name);
    let problem: string | undefined;
    if (name === '' && listsNames) {
      problem = '"" means all namespaces and cannot be listed with other namespaces: remove it, or list only ""';
    } else if (first !== undefined) {
      problem = `duplicate of namespaces[${first}]`;
    } else if (name !== '') {
      problem = namespaceNameProblem(name);
    }
    if (problem !== undefined) ctx.addIssue({ code: 'custom', path: [index], message: problem });
    if (first === undefined) firstIndexByName.set(name, index);
  });
});

/**
 * Container failures read from Pod status (src/pods/, docs/config.md "Pod failures"). Off by default: it
 * needs `pods` list and watch (deploy/components/pod-failures/).
 */
const podFailuresSchema = z.strictObject({
  enabled: z.boolean().default(false),
  namespaces: namespaceList.default([]),
  // A pod just scheduled is given this long to pull its images and start.
  gracePeriodSeconds: integerIn(0, DAY_SECONDS, ' seconds').default(120),
  logLines: integerIn(0, 1000, ' lines').default(0),
  logBytes: integerIn(256, 64 * 1024, ' bytes').default(4096),
  logRequestsPerSecond: z.number().positive().max(100, 'must be at most 100 requests a second').default(1),
});

export const POD_FAILURES_DEFAULTS: z.output<typeof podFailuresSchema> = podFailuresSchema.parse({});

/** The route used when the config has none: every Event to the receiver named `stdout`. */
export const DEFAULT_ROUTE: z.output<typeof routeSchema> = { drop: [], match: [{ receiver: 'stdout' }], routes: [] };
export const DEFAULT_RECEIVER_NAME = 'stdout';

const fileSchema = z
  .strictObject({
    clusterName: text
      .refine((name) => name.length <= 253, 'at most 253 characters (it becomes the Loki `cluster` label)')
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
      .refine((name) => !/[\u0000-\u001f\u007f]/.test(name), 'must not hold control characters (it becomes the Loki `cluster` label)')
      .default(''),
    namespaces: namespaceList.optional(),
    namespace: namespaceOrAll.optional(), // KEE: one namespace
    maxEventAgeSeconds: integerIn(0, 30 * DAY_SECONDS, ' seconds').optional(),
    throttlePeriod: integerIn(0, 30 * DAY_SECONDS, ' seconds').optional(), // KEE: deprecated alias of maxEventAgeSeconds
    maxMessageBytes: integerIn(64, 1024 * 1024, ' bytes').default(4096),
    logLevel: logLevel.default('info'),
    logFormat: z.enum(['json', 'pretty']).default('json'),
    kubeQPS: z.number().positive().max(10_000, 'must be at most 10,000 requests a second').default(20),
    kubeBurst: integerIn(1, 100_000, ' requests').default(50),
    kubeconfig: text.optional(), // KEE; ignored (see kee-compat.ts)
    omitLookup: z.boolean().optional(), // KEE: enrichment.enabled = !omitLookup
    cacheSize: integerIn(1, 1_000_000, ' objects').optional(), // KEE: enrichment.cacheSize
    enrichment: enrichmentSchema.optional(),
    checkpoint: checkpointSchema.optional(),
    tracking: trackingSchema.default({ maxEvents: DEFAULT_TRACKER_OPTIONS.maxEntries, ttlSeconds: DEFAULT_TRACKER_OPTIONS.ttlMs / 1000 }),
    leaderElection: leaderElectionSchema.default({ enabled: false, leaderElectionID: 'kube-eventline', ...LEASE_TIMING_DEFAULTS }),
    metrics: metricsSchema.default({ address: '0.0.0.0', port: 2112 }),
    podFailures: podFailuresSchema.optional(),
    metricsNamePrefix: text
      .refine((prefix) => /^([a-zA-Z_:][a-zA-Z0-9_:]{0,99})?$/.test(prefix), 'must be a valid Prometheus metric name prefix of at most 100 characters')
      .default('kube_eventline_'),
    levels: z.array(levelRuleSchema).default([]),
    route: routeSchema.optional(),
    receivers: z.array(receiverSchema).default([]),
  })
  .superRefine(checkCrossReferences, { when: () => true });

const DEFAULT_MAX_EVENT_AGE_SECONDS = 300;

/** The config file, validated, with defaults applied and KEE spellings folded in. */
export const configSchema = fileSchema.transform((file) => {
  // cross-references.ts has refused a file that sets both spellings of one setting.
  const kee = fromKeeSpellings(file);
  const enrichment = { ...enrichmentSchema.parse(file.enrichment ?? {}), ...kee.enrichment };
  const receivers: ReceiverConfig[] = file.receivers.length > 0 ? file.receivers : [{ name: DEFAULT_RECEIVER_NAME, type: 'stdout', deDot: false }];
  return {
    clusterName: file.clusterName,
    // [""] and KEE's namespace: "" mean all namespaces, as no list does: one scope name for all three, so a checkpoint carries over.
    namespaces: (kee.namespaces ?? file.namespaces ?? []).filter((name) => name !== ''),
    maxEventAgeSeconds: file.maxEventAgeSeconds ?? kee.maxEventAgeSeconds ?? DEFAULT_MAX_EVENT_AGE_SECONDS,
    maxMessageBytes: file.maxMessageBytes,
    logLevel: file.logLevel,
    logFormat: file.logFormat,
    kubeQPS: file.kubeQPS,
    kubeBurst: file.kubeBurst,
    enrichment,
    checkpoint: file.checkpoint,
    tracking: file.tracking,
    leaderElection: file.leaderElection,
    metrics: file.metrics,
    podFailures: {
      ...(file.podFailures ?? POD_FAILURES_DEFAULTS),
      namespaces: (file.podFailures?.namespaces ?? []).filter((name) => name !== ''),
    },
    metricsNamePrefix: file.metricsNamePrefix,
    levels: file.levels,
    route: file.route ?? DEFAULT_ROUTE,
    receivers,
  };
});

export type Config = z.output<typeof configSchema>;
export type RouteConfig = z.output<typeof routeSchema>;
export type RouteRuleConfig = z.output<typeof routeRuleSchema>;
export type LevelRuleConfig = z.output<typeof levelRuleSchema>;
export type PodFailuresConfig = Config['podFailures'];
