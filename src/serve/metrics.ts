import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/** The counters touched for every line, resolved once per (level, receiver): the hot path skips label hashing. */
export interface WrittenCounters {
  lines: { inc(value?: number): void };
  occurrences: { inc(value?: number): void };
  routeMatches: { inc(value?: number): void };
}

/** Everything the exporter counts about itself, registered on one registry served at /metrics. */
export class ExporterMetrics {
  readonly registry = new Registry();
  readonly eventsReceived: Counter<'type'>;
  readonly linesWritten: Counter<'level' | 'receiver'>;
  readonly occurrencesWritten: Counter<'level' | 'receiver'>;
  readonly eventsDropped: Counter<'why'>;
  readonly watchRestarts: Counter<'reason'>;
  readonly relists: Counter;
  readonly routeMatches: Counter<'receiver'>;
  readonly lastEventTime: Gauge;
  readonly trackedEvents: Gauge;
  readonly enrichmentLookups: Counter<'result'>;
  readonly sinkErrors: Counter<'receiver'>;

  private readonly writtenChildren = new Map<string, WrittenCounters>();

  private readonly receivedChildren = new Map<string, { inc(value?: number): void }>();
  private readonly droppedChildren = new Map<string, { inc(value?: number): void }>();

  received(type: string): { inc(value?: number): void } {
    let child = this.receivedChildren.get(type);
    if (!child) this.receivedChildren.set(type, (child = this.eventsReceived.labels(type)));
    return child;
  }

  dropped(why: 'unchanged' | 'too_old' | 'no_route' | 'count_decreased'): { inc(value?: number): void } {
    let child = this.droppedChildren.get(why);
    if (!child) this.droppedChildren.set(why, (child = this.eventsDropped.labels(why)));
    return child;
  }

  written(level: string, receiver: string): WrittenCounters {
    const key = `${level}\u0000${receiver}`;
    let children = this.writtenChildren.get(key);
    if (!children) {
      children = {
        lines: this.linesWritten.labels(level, receiver),
        occurrences: this.occurrencesWritten.labels(level, receiver),
        routeMatches: this.routeMatches.labels(receiver),
      };
      this.writtenChildren.set(key, children);
    }
    return children;
  }

  constructor(prefix = 'kube_eventline_', withProcessMetrics = true) {
    const r = [this.registry];
    this.eventsReceived = new Counter({ name: `${prefix}events_received_total`, help: 'Watch and list notifications received, by type (ADDED, MODIFIED, DELETED, LISTED).', labelNames: ['type'], registers: r });
    this.linesWritten = new Counter({ name: `${prefix}lines_written_total`, help: 'Event lines written, by level and receiver.', labelNames: ['level', 'receiver'], registers: r });
    this.occurrencesWritten = new Counter({ name: `${prefix}occurrences_written_total`, help: 'Event occurrences written (sum of delta), by level and receiver.', labelNames: ['level', 'receiver'], registers: r });
    this.eventsDropped = new Counter({ name: `${prefix}events_dropped_total`, help: 'Event notifications that wrote no line, by why: unchanged (count did not grow), too_old (older than maxEventAgeSeconds at first start), no_route (no receiver matched), count_decreased.', labelNames: ['why'], registers: r });
    this.watchRestarts = new Counter({ name: `${prefix}watch_restarts_total`, help: 'Watches restarted, by reason: closed, expired (410 Gone), error.', labelNames: ['reason'], registers: r });
    this.relists = new Counter({ name: `${prefix}relists_total`, help: 'Full lists after the first one (after 410 Gone).', registers: r });
    this.routeMatches = new Counter({ name: `${prefix}route_matches_total`, help: 'Lines routed to each receiver.', labelNames: ['receiver'], registers: r });
    this.lastEventTime = new Gauge({ name: `${prefix}last_event_timestamp_seconds`, help: 'Occurrence time of the newest line written, in seconds since the epoch.', registers: r });
    this.trackedEvents = new Gauge({ name: `${prefix}tracked_events`, help: 'Events whose written occurrence count is remembered.', registers: r });
    this.enrichmentLookups = new Counter({ name: `${prefix}enrichment_lookups_total`, help: 'Involved-object lookups, by result: hit, miss, not_found, error, throttled.', labelNames: ['result'], registers: r });
    this.sinkErrors = new Counter({ name: `${prefix}sink_errors_total`, help: 'Write errors by receiver.', labelNames: ['receiver'], registers: r });
    if (withProcessMetrics) collectDefaultMetrics({ register: this.registry, prefix });
  }
}
