import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { LogTailMetrics, LogTailResult } from '../pods/log-tail.js';
import type { DropReason } from '../sinks/webhook/delivery-queue.js';
import type { WebhookMetrics } from '../sinks/webhook/webhook-sink.js';

/**
 * A count the hot path bumps as a plain number; prom-client reads it when /metrics is scraped.
 * Per-line counting through prom-client's label hashing cost a few percent of the pipeline.
 */
export class Tally {
  value = 0;
  inc(by = 1): void {
    this.value += by;
  }
}

/** How far ahead of the exporter's clock an occurrence time may be and still count as it is. */
const FUTURE_SKEW_MS = 60_000;

type Tallies = Map<string, { labels: Record<string, string>; tally: Tally }>;

/** What the occurrence trackers hold (`tracked`) and have forgotten early, by reason. */
export interface TrackerCounts {
  tracked: number;
  size: number;
  age: number;
}

/** The counters touched for every line, resolved once per (level, receiver). */
export interface WrittenCounters {
  lines: Tally;
  occurrences: Tally;
}

/** Everything the exporter counts about itself, registered on one registry served at /metrics. */
export class ExporterMetrics implements WebhookMetrics, LogTailMetrics {
  readonly registry = new Registry();
  readonly eventsReceived: Counter<'type'>;
  readonly podsReceived: Counter<'type'>;
  readonly linesWritten: Counter<'level' | 'receiver'>;
  readonly occurrencesWritten: Counter<'level' | 'receiver'>;
  readonly eventsDropped: Counter<'why'>;
  readonly watchRestarts: Counter<'reason'>;
  readonly relists: Counter;
  readonly lastEventTimeGauge: Gauge;
  readonly trackedEvents: Gauge;
  readonly trackerEvictions: Counter<'reason'>;
  /** Reads what the trackers hold and have evicted, at scrape time (see watchTrackers). */
  private trackerCounts: (() => TrackerCounts) | undefined;
  readonly enrichmentLookups: Counter<'result'>;
  readonly podLogRequests: Counter<'result'>;
  readonly sinkErrors: Counter<'receiver'>;
  readonly ruleMatches: Counter<'rule' | 'kind'>;
  readonly checkpointEntriesLeftOut: Gauge;
  readonly webhookMessagesSent: Counter<'receiver'>;
  readonly webhookRetries: Counter<'receiver'>;
  readonly webhookDroppedTotal: Counter<'receiver' | 'why'>;
  readonly webhookCollapsedTotal: Counter<'receiver'>;
  readonly webhookQueued: Gauge<'receiver'>;
  readonly receiverWaiting: Gauge<'receiver'>;
  /** Reads whether each receiver waits for its destination, at scrape time (see watchReceivers). */
  private receiverStates: (() => { receiver: string; waiting: boolean }[]) | undefined;
  /** The compiled route's per-rule hit counts, read at scrape time (see watchRouteRules). */
  private routeRules: { rules: readonly { path: string; kind: string }[]; hits: readonly number[] } | undefined;

  private readonly tallies = new Map<string, Tallies>();
  /** By receiver, then level: no key string built per line. */
  private readonly writtenChildren = new Map<string, Map<string, WrittenCounters>>();
  /** Newest occurrence time written (ISO 8601), never later than when it was written; read at scrape time. */
  lastEventTime = '';
  /** Times up to this (ISO 8601) count as they are: `now` plus FUTURE_SKEW_MS when last renewed. */
  private latestAccepted = '';

  /**
   * Notes the occurrence time of a line written at `nowMs`. A time more than a minute ahead (the
   * API server accepts 9999-12-31) counts as `nowMs`: kept as it is, it would hold the gauge for
   * ever. Less than that is a node's clock running a little ahead, kept as it is.
   */
  noteEventTime(time: string, nowMs: number): void {
    // `time` is always ISO 8601 UTC with milliseconds, so string order is time order: no parse per line.
    if (time <= this.lastEventTime) return;
    // Renewed only for a time past the last bound: about once a minute in a steady stream.
    if (time > this.latestAccepted) this.latestAccepted = new Date(nowMs + FUTURE_SKEW_MS).toISOString();
    const clamped = time > this.latestAccepted ? new Date(nowMs).toISOString() : time;
    if (clamped > this.lastEventTime) this.lastEventTime = clamped;
  }

  private tally(metric: string, labels: Record<string, string>): Tally {
    const key = Object.values(labels).join('\u0000');
    const entries = this.tallies.get(metric)!;
    let entry = entries.get(key);
    if (!entry) entries.set(key, (entry = { labels, tally: new Tally() }));
    return entry.tally;
  }

  /** tally() for a one-label metric, keyed by the value alone: called per notification, it allocates nothing once the value was seen. */
  private singleLabelTally(metric: string, labelName: string, value: string): Tally {
    const entries = this.tallies.get(metric)!;
    const entry = entries.get(value);
    return entry ? entry.tally : this.tally(metric, { [labelName]: value });
  }

  /** collect() for a counter fed by tallies: prom-client calls it on every scrape. */
  private fromTallies(metric: string): () => void {
    const entries: Tallies = new Map();
    this.tallies.set(metric, entries);
    return function (this: Counter<string>) {
      this.reset();
      for (const { labels, tally } of entries.values()) if (tally.value > 0) this.inc(labels, tally.value);
    };
  }

  /** Exposes a compiled route's per-rule counters (it counts them itself, allocation-free). */
  watchRouteRules(rules: readonly { path: string; kind: string }[], hits: readonly number[]): void {
    this.routeRules = { rules, hits };
  }

  /** Exposes whether each receiver's writes wait for its destination to drain. */
  watchReceivers(states: () => { receiver: string; waiting: boolean }[]): void {
    this.receiverStates = states;
  }

  /** Exposes what the occurrence trackers hold and have evicted, which they count themselves. */
  watchTrackers(counts: () => TrackerCounts): void {
    this.trackerCounts = counts;
  }

  webhookSent(receiver: string): void {
    this.webhookMessagesSent.inc({ receiver });
  }

  webhookRetried(receiver: string): void {
    this.webhookRetries.inc({ receiver });
  }

  /** Tallies by metric, receiver and reason: a full queue or a crash loop counts per line, allocation-free. */
  private readonly webhookTallies = { webhook_dropped: new Map<string, Map<string, Tally>>(), webhook_collapsed: new Map<string, Map<string, Tally>>() };

  private webhookTally(metric: 'webhook_dropped' | 'webhook_collapsed', receiver: string, why = ''): Tally {
    const byReceiver = this.webhookTallies[metric];
    let byWhy = byReceiver.get(receiver);
    if (!byWhy) byReceiver.set(receiver, (byWhy = new Map()));
    let tally = byWhy.get(why);
    if (!tally) byWhy.set(why, (tally = this.tally(metric, why === '' ? { receiver } : { receiver, why })));
    return tally;
  }

  webhookDropCounter(receiver: string, why: DropReason): Tally {
    return this.webhookTally('webhook_dropped', receiver, why);
  }

  webhookCollapsed(receiver: string, occurrences: number): void {
    this.webhookTally('webhook_collapsed', receiver).inc(occurrences);
  }

  webhookQueueLength(receiver: string, length: number): void {
    this.webhookQueued.set({ receiver }, length);
  }

  podLogRequest(result: LogTailResult): void {
    this.podLogRequests.inc({ result });
  }

  received(type: string): Tally {
    return this.singleLabelTally('received', 'type', type);
  }

  /** A Pod notification of the pod failure watch (podFailures): apart from Events, so events_received_total keeps its meaning. */
  podReceived(type: string): Tally {
    return this.singleLabelTally('pods_received', 'type', type);
  }

  dropped(why: 'unchanged' | 'too_old' | 'no_route' | 'count_decreased' | 'invalid'): Tally {
    return this.singleLabelTally('dropped', 'why', why);
  }

  written(level: string, receiver: string): WrittenCounters {
    let byLevel = this.writtenChildren.get(receiver);
    if (!byLevel) this.writtenChildren.set(receiver, (byLevel = new Map()));
    let children = byLevel.get(level);
    if (!children) {
      children = {
        lines: this.tally('lines', { level, receiver }),
        occurrences: this.tally('occurrences', { level, receiver }),
      };
      byLevel.set(level, children);
    }
    return children;
  }

  constructor(prefix = 'kube_eventline_', withProcessMetrics = true) {
    const r = [this.registry];
    this.eventsReceived = new Counter({
      name: `${prefix}events_received_total`,
      help: 'Watch and list notifications received, by type (ADDED, MODIFIED, DELETED, LISTED).',
      labelNames: ['type'],
      registers: r,
      collect: this.fromTallies('received'),
    });
    this.podsReceived = new Counter({
      name: `${prefix}pods_received_total`,
      help: 'Pod watch and list notifications received when podFailures is on, by type (ADDED, MODIFIED, DELETED, LISTED). Event notifications are counted in events_received_total.',
      labelNames: ['type'],
      registers: r,
      collect: this.fromTallies('pods_received'),
    });
    this.linesWritten = new Counter({
      name: `${prefix}lines_written_total`,
      help: 'Event lines written, by level and receiver.',
      labelNames: ['level', 'receiver'],
      registers: r,
      collect: this.fromTallies('lines'),
    });
    this.occurrencesWritten = new Counter({
      name: `${prefix}occurrences_written_total`,
      help: 'Event occurrences written (sum of delta), by level and receiver.',
      labelNames: ['level', 'receiver'],
      registers: r,
      collect: this.fromTallies('occurrences'),
    });
    this.eventsDropped = new Counter({
      name: `${prefix}events_dropped_total`,
      help: 'Event notifications that wrote no line, by why: unchanged (count did not grow), too_old (older than maxEventAgeSeconds at first start), no_route (no receiver matched), count_decreased, invalid (no metadata or metadata.uid).',
      labelNames: ['why'],
      registers: r,
      collect: this.fromTallies('dropped'),
    });
    this.watchRestarts = new Counter({
      name: `${prefix}watch_restarts_total`,
      help: 'Watches restarted, by reason: closed, expired (410 Gone), error, line_too_long (a watch line past 16 Mi characters: dropped, then a relist).',
      labelNames: ['reason'],
      registers: r,
    });
    this.relists = new Counter({
      name: `${prefix}relists_total`,
      help: 'Full lists after the first one (after 410 Gone or a watch line too long).',
      registers: r,
    });
    this.lastEventTimeGauge = new Gauge({
      name: `${prefix}last_event_timestamp_seconds`,
      help: 'Occurrence time of the newest line written, in seconds since the epoch; a time more than a minute in the future counts as the time it was written.',
      registers: r,
      collect: () => {
        if (this.lastEventTime) this.lastEventTimeGauge.set(Date.parse(this.lastEventTime) / 1000);
      },
    });
    this.trackedEvents = new Gauge({
      name: `${prefix}tracked_events`,
      help: 'Events whose written occurrence count is remembered.',
      registers: r,
      collect: () => {
        if (this.trackerCounts) this.trackedEvents.set(this.trackerCounts().tracked);
      },
    });
    this.trackerEvictions = new Counter({
      name: `${prefix}tracker_evictions_total`,
      help: 'Events forgotten before their deletion was seen, by reason: size (tracking.maxEvents was reached: if one of them changes again, it is written with its whole count) or age (not seen for tracking.ttlSeconds).',
      labelNames: ['reason'],
      registers: r,
      collect: () => {
        if (!this.trackerCounts) return;
        const { size, age } = this.trackerCounts();
        this.trackerEvictions.reset();
        this.trackerEvictions.inc({ reason: 'size' }, size);
        this.trackerEvictions.inc({ reason: 'age' }, age);
      },
    });
    this.enrichmentLookups = new Counter({
      name: `${prefix}enrichment_lookups_total`,
      help: 'Involved-object lookups, by result: hit, miss, not_found, error, throttled.',
      labelNames: ['result'],
      registers: r,
    });
    this.podLogRequests = new Counter({
      name: `${prefix}pod_log_requests_total`,
      help: 'pods/log requests for the last lines of a failed container (podFailures.logLines), by result: ok, throttled (no request made), not_found, bad_request (e.g. the previous instance is gone), forbidden (no pods/log grant), server_error, timeout, error.',
      labelNames: ['result'],
      registers: r,
    });
    this.sinkErrors = new Counter({ name: `${prefix}sink_errors_total`, help: 'Write errors by receiver.', labelNames: ['receiver'], registers: r });
    this.ruleMatches = new Counter({
      name: `${prefix}route_rule_matches_total`,
      help: "Lines each route rule matched, by the rule's config path and kind (drop or match).",
      labelNames: ['rule', 'kind'],
      registers: r,
      collect: () => {
        if (!this.routeRules) return;
        this.ruleMatches.reset();
        const { rules, hits } = this.routeRules;
        rules.forEach((rule, i) => {
          this.ruleMatches.inc({ rule: rule.path, kind: rule.kind }, hits[i] ?? 0);
        });
      },
    });
    this.checkpointEntriesLeftOut = new Gauge({
      name: `${prefix}checkpoint_entries_left_out`,
      help: 'Tracked Events the last saved checkpoint left out to fit its ConfigMap (1 MiB). While above 0, a restart treats them as at a first start: those whose last occurrence is within maxEventAgeSeconds are written again with their whole count, older ones are skipped.',
      registers: r,
    });
    this.webhookMessagesSent = new Counter({
      name: `${prefix}webhook_messages_sent_total`,
      help: 'Webhook requests the endpoint accepted (2xx), by receiver.',
      labelNames: ['receiver'],
      registers: r,
    });
    this.webhookRetries = new Counter({
      name: `${prefix}webhook_retries_total`,
      help: 'Webhook requests retried (5xx, 429, timeout, connection error), by receiver.',
      labelNames: ['receiver'],
      registers: r,
    });
    this.webhookDroppedTotal = new Counter({
      name: `${prefix}webhook_dropped_total`,
      help: 'Webhook notices not delivered, by receiver and why: queue_full (the bounded queue was full), rejected (a 4xx other than 429, not retried), failed (retries exhausted), stopped (left at the stop timeout). Loki still has their lines.',
      labelNames: ['receiver', 'why'],
      registers: r,
      collect: this.fromTallies('webhook_dropped'),
    });
    this.webhookCollapsedTotal = new Counter({
      name: `${prefix}webhook_collapsed_occurrences_total`,
      help: 'Occurrences a webhook held back as repeats of the same reason and object within its collapse window (sent as one summary at the window end), by receiver.',
      labelNames: ['receiver'],
      registers: r,
      collect: this.fromTallies('webhook_collapsed'),
    });
    this.webhookQueued = new Gauge({
      name: `${prefix}webhook_queue_length`,
      help: 'Webhook notices waiting or in flight, by receiver.',
      labelNames: ['receiver'],
      registers: r,
    });
    this.receiverWaiting = new Gauge({
      name: `${prefix}receiver_waiting`,
      help: "1 while the receiver's destination is past its high-water mark and writes wait for it to drain (a slow or stalled reader), else 0.",
      labelNames: ['receiver'],
      registers: r,
      collect: () => {
        for (const { receiver, waiting } of this.receiverStates?.() ?? []) this.receiverWaiting.set({ receiver }, waiting ? 1 : 0);
      },
    });
    if (withProcessMetrics) collectDefaultMetrics({ register: this.registry, prefix });
  }
}
