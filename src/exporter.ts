import type { Logger } from 'pino';
import type { CheckpointStore } from './checkpoint/checkpoint.js';
import { Checkpointer } from './checkpoint/checkpointer.js';
import type { Enricher } from './enrich/enricher.js';
import type { Level } from './grade/levels.js';
import { buildLine, type LineContext, type ObjectEnrichment } from './line/build-line.js';
import type { EventLine, RawEvent } from './line/event-line.js';
import { messageReadBytes } from './line/message.js';
import { occurrenceCount, occurrenceTimeMs } from './line/occurrence.js';
import type { LogTailFetcher } from './pods/log-tail.js';
import { PodFailureWatch } from './pods/pod-failure-watch.js';
import type { ExporterMetrics } from './serve/metrics.js';
import type { Sink } from './sinks/sink.js';
import { DEFAULT_TRACKER_OPTIONS, OccurrenceTracker } from './track/occurrence-tracker.js';
import type { WatchType } from './watch/event-stream.js';
import type { KubeHttp } from './watch/kube-http.js';
import { runWatchLoop, type WatchRestartReason } from './watch/watch-loop.js';

export interface ExporterSettings {
  api: KubeHttp;
  clusterName: string;
  /** Namespaces to watch; empty means all. */
  namespaces: string[];
  maxEventAgeSeconds: number;
  maxMessageBytes: number;
  grade: (event: RawEvent) => Level;
  route: (line: EventLine) => string[];
  sinks: ReadonlyMap<string, Sink>;
  enricher?: Enricher;
  checkpoint?: { store: CheckpointStore; intervalMs: number };
  metrics: ExporterMetrics;
  log: Logger;
  tracker?: { ttlMs: number; maxEntries: number };
  /** Container failures from Pod status (src/pods/); off when absent. */
  podFailures?: {
    /** Namespaces to watch Pods in; empty means all. */
    namespaces: string[];
    gracePeriodMs: number;
    /** Called for a terminated container's line (podFailures.logLines > 0). */
    logTail?: LogTailFetcher;
  };
  watch?: { pageSize?: number; timeoutSeconds?: number; minBackoffMs?: number; maxBackoffMs?: number };
  now?: () => number;
}

const ALL_NAMESPACES = '*';
/** Pod scopes are named `pods/<namespace>` (`pods/*`: all), apart from the Event scopes in one checkpoint. */
const POD_SCOPE_PREFIX = 'pods/';
/**
 * Pod failure entries leave when their pod is deleted or missing from a relist, not by age: a
 * pod may run for months after a failure with no update, and forgetting it would write that
 * failure again at the next relist. The TTL is only there because the tracker needs one.
 */
const POD_TRACKER_TTL_MS = 365 * 24 * 3600_000;

/**
 * One Event's new occurrences on their way to the receivers. Once written, the tracker records
 * the line's uid and count (the Event's, copied into the line by buildLine).
 */
interface Occurrence {
  tracker: OccurrenceTracker;
  /** What the tracker records the line's count under: the Event's uid, a pod failure's key. */
  key: string;
  now: number;
  line: EventLine;
  receivers: string[];
}

/**
 * The data flow: watch → track (which occurrences are new) → grade → enrich → build the line
 * → route → write. One Event notification is written completely (every receiver, with
 * backpressure) before the next is read, so memory stays flat however slow a sink is.
 * What survives a restart is the Checkpointer's (checkpoint/checkpointer.ts): it restores and
 * saves the trackers this class holds, one per watched scope.
 */
export class Exporter {
  private readonly trackers = new Map<string, OccurrenceTracker>();
  private readonly listedScopes = new Set<string>();
  /** Lists in progress, by scope. */
  private readonly listing = new Map<string, { relist: boolean; listed: number; firstStart: boolean }>();
  private readonly abort = new AbortController();
  private loops: Promise<void>[] = [];
  private maintenanceTimer: NodeJS.Timeout | undefined;
  /** Restores, saves and marks the trackers when `checkpoint` is set. */
  private readonly checkpointer: Checkpointer | undefined;
  private readonly now: () => number;
  private readonly lineContext: LineContext;
  /** Receivers whose lines are counted as they reach the operating system, not when taken. */
  private readonly countedBySink = new Set<string>();
  /** Warnings given once per process: a line too long, an invalid Event. */
  private readonly warnedOnce = new Set<string>();
  /** Pod scope → namespace (undefined: all), when podFailures is on. */
  private readonly podScopes = new Map<string, string | undefined>();
  private podWatch: PodFailureWatch | undefined;

  constructor(private readonly settings: ExporterSettings) {
    this.now = settings.now ?? Date.now;
    this.lineContext = { clusterName: settings.clusterName, maxMessageBytes: settings.maxMessageBytes };
    for (const scope of this.scopes()) {
      this.trackers.set(scope, new OccurrenceTracker(settings.tracker ?? DEFAULT_TRACKER_OPTIONS));
    }
    if (settings.podFailures) {
      const namespaces = settings.podFailures.namespaces.length ? [...new Set(settings.podFailures.namespaces)] : [undefined];
      for (const namespace of namespaces) {
        const scope = `${POD_SCOPE_PREFIX}${namespace ?? ALL_NAMESPACES}`;
        this.podScopes.set(scope, namespace);
        const maxEntries = settings.tracker?.maxEntries ?? DEFAULT_TRACKER_OPTIONS.maxEntries;
        this.trackers.set(scope, new OccurrenceTracker({ maxEntries, ttlMs: POD_TRACKER_TTL_MS }));
      }
    }
    this.checkpointer =
      settings.checkpoint &&
      new Checkpointer(
        { trackers: this.trackers, hasListed: (scope) => this.listedScopes.has(scope), flushSinks: () => this.flushSinks() },
        { ...settings.checkpoint, entriesLeftOut: settings.metrics.checkpointEntriesLeftOut, log: settings.log, now: this.now },
      );
    for (const [receiver, sink] of settings.sinks) {
      if (!sink.onLineWritten) continue;
      sink.onLineWritten((line) => this.countWritten(receiver, line));
      this.countedBySink.add(receiver);
    }
    settings.metrics.watchReceivers(() => [...settings.sinks].map(([receiver, sink]) => ({ receiver, waiting: sink.waiting?.() ?? false })));
    settings.metrics.watchTrackers(() => {
      const counts = { tracked: 0, size: 0, age: 0 };
      for (const t of this.trackers.values()) {
        counts.tracked += t.size;
        counts.size += t.evictedBySize;
        counts.age += t.evictedByAge;
      }
      return counts;
    });
  }

  /** Ready once every watched scope has been listed and its Events written. */
  get ready(): boolean {
    return this.listedScopes.size === this.trackers.size;
  }

  private scopes(): string[] {
    return this.settings.namespaces.length ? [...new Set(this.settings.namespaces)] : [ALL_NAMESPACES];
  }

  async start(): Promise<void> {
    await this.checkpointer?.restore();
    this.loops = this.scopes().map((scope) =>
      runWatchLoop(
        {
          api: this.settings.api,
          namespace: scope === ALL_NAMESPACES ? undefined : scope,
          pageSize: this.settings.watch?.pageSize ?? 500,
          messageReadBytes: messageReadBytes(this.settings.maxMessageBytes),
          watchTimeoutSeconds: this.settings.watch?.timeoutSeconds ?? 300,
          minBackoffMs: this.settings.watch?.minBackoffMs ?? 500,
          maxBackoffMs: this.settings.watch?.maxBackoffMs ?? 30_000,
        },
        {
          onListStart: (relist) => this.onListStart(scope, relist),
          onListPage: (items) => this.onListPage(scope, items),
          onListEnd: () => this.onListEnd(scope),
          onEvent: (type, event) => this.onEvent(scope, type, event),
          onRestart: (reason, error) => this.watchRestarted(scope, reason, error),
        },
        this.abort.signal,
      ),
    );
    this.startPodWatch();
    this.maintenanceTimer = setInterval(() => {
      for (const tracker of this.trackers.values()) tracker.evictExpired(this.now());
    }, 60_000);
    this.maintenanceTimer.unref();
    this.checkpointer?.startPeriodicSaves();
  }

  private watchRestarted(scope: string, reason: WatchRestartReason, error: unknown, quiet = false): void {
    this.settings.metrics.watchRestarts.inc({ reason });
    if (reason === 'expired' || reason === 'line_too_long') this.settings.metrics.relists.inc();
    // A line too long says the same each time: once is enough, the counter says how often.
    const repeated = reason === 'line_too_long' && this.warnedOnce.has('line_too_long');
    if (reason === 'line_too_long') this.warnedOnce.add(reason);
    const level = reason === 'closed' || repeated || quiet ? 'debug' : 'warn';
    this.settings.log[level]({ scope, reason, err: error instanceof Error ? error.message : error }, 'watch restarting');
  }

  /**
   * Graceful stop: end the watches, flush every sink, save the checkpoint last. After a lost
   * lease, `saveCheckpoint: false`: the new leader owns the checkpoint now.
   *
   * A receiver that fails to flush does not stop the others from flushing and closing, but the
   * checkpoint is then not saved: that receiver's unwritten lines would count as written and be
   * lost. The next start writes again what came after the last save (at-least-once, as after a
   * crash). stop() rejects afterwards with the first failure.
   */
  async stop(options: { saveCheckpoint?: boolean } = {}): Promise<void> {
    this.abort.abort();
    await Promise.allSettled(this.loops);
    await this.podWatch?.stopped();
    if (this.maintenanceTimer) clearInterval(this.maintenanceTimer);
    await this.checkpointer?.stopPeriodicSaves(); // a periodic save in flight finishes first
    // The watches have ended, so nothing is recorded any more: this snapshot holds exactly what the sinks were given.
    const checkpoint = options.saveCheckpoint !== false ? this.checkpointer?.snapshot() : undefined;
    const failures: Error[] = [];
    const failedSinks = new Set<string>();
    for (const [receiver, sink] of this.settings.sinks) {
      try {
        await sink.flush();
      } catch (err) {
        failedSinks.add(receiver);
        failures.push(new Error(`receiver "${receiver}" could not write out its last lines: ${(err as Error).message}`, { cause: err }));
      }
    }
    if (checkpoint && failures.length) {
      this.settings.log.error(
        { checkpoint: this.checkpointer!.description },
        'not saving the checkpoint: a receiver could not write out its last lines; the next start writes again what came after the last save',
      );
    } else if (checkpoint) {
      try {
        await this.checkpointer!.store(checkpoint);
      } catch (err) {
        failures.push(err as Error);
      }
    }
    for (const [receiver, sink] of this.settings.sinks) {
      try {
        await sink.close();
      } catch (err) {
        // A receiver that could not flush cannot close either: its failure is already counted.
        if (!failedSinks.has(receiver)) failures.push(new Error(`receiver "${receiver}" could not be closed: ${(err as Error).message}`, { cause: err }));
      }
    }
    const [first, ...others] = failures;
    for (const err of others) this.settings.log.error({ err: err.message }, 'another failure while stopping');
    if (first) throw first;
  }

  /** Saves the checkpoint now (if one is configured), as the periodic save does. */
  saveCheckpoint(): Promise<void> {
    return this.checkpointer?.save() ?? Promise.resolve();
  }

  /** Receivers that can never write again (a stdout nobody reads any more): then a restart is the cure. */
  brokenReceivers(): string[] {
    return [...this.settings.sinks.values()].filter((sink) => sink.brokenBy?.()).map((sink) => sink.name);
  }

  /**
   * Feeds one watch notification through the pipeline as if it came from the watch (the
   * benchmark uses this to measure the pipeline without a network in the way). A Promise only
   * when something must be waited for, as from the watch.
   */
  ingest(type: WatchType, event: RawEvent): void | Promise<void> {
    const scope = this.trackers.has(ALL_NAMESPACES) ? ALL_NAMESPACES : (event.metadata?.namespace ?? '');
    if (!this.trackers.has(scope)) return;
    return this.onEvent(scope, type, event);
  }

  private startPodWatch(): void {
    const pods = this.settings.podFailures;
    if (!pods) return;
    const watch = this.settings.watch;
    this.podWatch = new PodFailureWatch(
      {
        api: this.settings.api,
        scopes: this.podScopes,
        gracePeriodMs: pods.gracePeriodMs,
        maxEventAgeMs: this.settings.maxEventAgeSeconds * 1000,
        ...(pods.logTail ? { logTail: pods.logTail } : {}),
        pageSize: watch?.pageSize ?? 500,
        watchTimeoutSeconds: watch?.timeoutSeconds ?? 300,
        minBackoffMs: watch?.minBackoffMs ?? 500,
        maxBackoffMs: watch?.maxBackoffMs ?? 30_000,
        log: this.settings.log,
        now: this.now,
      },
      {
        tracker: (scope) => this.tracker(scope),
        unknownMayBeOld: (scope) => this.checkpointer?.unknownMayBeOld(scope) ?? true,
        listEnded: (scope, podCount, relist) => {
          this.listedScopes.add(scope);
          this.checkpointer?.listEnded();
          this.settings.log.info({ scope, pods: podCount, relist }, relist ? 'relisted Pods after the watch expired' : 'listed Pods');
        },
        write: (tracker, key, event, delta, now) => this.writeNew(tracker, key, event, delta, now),
        received: (type) => this.settings.metrics.podReceived(type).inc(),
        restarted: (scope, reason, error, quiet) => this.watchRestarted(scope, reason, error, quiet),
        tooOld: () => this.settings.metrics.dropped('too_old').inc(),
      },
    );
    this.podWatch.start(this.abort.signal);
  }

  private tracker(scope: string): OccurrenceTracker {
    return this.trackers.get(scope)!;
  }

  private onListStart(scope: string, relist: boolean): void {
    // Without a checkpoint every start is a first start.
    const unknownMayBeOld = this.checkpointer?.unknownMayBeOld(scope) ?? true;
    this.listing.set(scope, { relist, listed: 0, firstStart: !relist && unknownMayBeOld });
    this.tracker(scope).beginList();
  }

  private async onListPage(scope: string, items: RawEvent[]): Promise<void> {
    const listing = this.listing.get(scope)!;
    const tracker = this.tracker(scope);
    // Oldest first within the page, so a relist's lines come out roughly in the order things happened.
    const valid = items.filter((event) => this.isValid(event));
    const ordered = valid.sort((a, b) => (occurrenceTimeMs(a) || 0) - (occurrenceTimeMs(b) || 0));
    for (const event of ordered) {
      listing.listed++;
      this.settings.metrics.received('LISTED').inc();
      await this.process(tracker, event, listing.firstStart);
    }
  }

  /**
   * An Event without metadata or uid cannot be tracked (no uid, no exactly-once): counted as
   * dropped (`invalid`), with one warning per process. The real API server always sets both.
   */
  private isValid(event: RawEvent): boolean {
    if (
      event &&
      typeof event === 'object' &&
      event.metadata &&
      typeof event.metadata === 'object' &&
      typeof event.metadata.uid === 'string' &&
      event.metadata.uid !== ''
    )
      return true;
    this.settings.metrics.dropped('invalid').inc();
    if (!this.warnedOnce.has('invalid')) {
      this.warnedOnce.add('invalid');
      const metadata = event && typeof event === 'object' ? event.metadata : undefined;
      this.settings.log.warn(
        { name: metadata?.name, namespace: metadata?.namespace, reason: event && typeof event === 'object' ? event.reason : undefined },
        'dropped an Event without metadata or metadata.uid (counted in events_dropped_total{why="invalid"}; warned once)',
      );
    }
    return false;
  }

  private onListEnd(scope: string): void {
    const listing = this.listing.get(scope)!;
    this.listing.delete(scope);
    // Events the list did not see were deleted while no watch was open.
    this.tracker(scope).endList();
    this.listedScopes.add(scope);
    this.checkpointer?.listEnded();
    this.settings.log.info(
      { scope, events: listing.listed, relist: listing.relist },
      listing.relist ? 'relisted Events after the watch expired' : 'listed Events',
    );
  }

  private onEvent(scope: string, type: WatchType, event: RawEvent): void | Promise<void> {
    this.settings.metrics.received(type).inc();
    if (!this.isValid(event)) return;
    const tracker = this.tracker(scope);
    const uid = event.metadata.uid!;
    if (type === 'DELETED') {
      tracker.forget(uid);
      return;
    }
    return this.process(tracker, event, false);
  }

  /**
   * Writes the occurrences of `event` not written yet, and records them. Returns a Promise only
   * when something must be waited for (enrichment, a receiver slowing down): at tens of thousands
   * of Events a second, two async frames per notification are a cost of their own.
   */
  private process(tracker: OccurrenceTracker, event: RawEvent, firstStart: boolean): void | Promise<void> {
    const uid = event.metadata.uid!;
    const count = occurrenceCount(event);
    const now = this.now();
    const seen = tracker.observe(uid, count);
    if (seen.kind === 'unchanged') {
      tracker.touch(uid, now);
      this.settings.metrics.dropped('unchanged').inc();
      return;
    }
    if (seen.kind === 'shrank') {
      // Written again with a lower count (recreated under the same uid): count from here on.
      tracker.reset(uid, count, now);
      this.settings.metrics.dropped('count_decreased').inc();
      return;
    }
    if (seen.kind === 'new' && firstStart && now - occurrenceTimeMs(event) > this.settings.maxEventAgeSeconds * 1000) {
      tracker.record(uid, count, now);
      this.settings.metrics.dropped('too_old').inc();
      return;
    }
    return this.writeNew(tracker, uid, event, seen.delta, now);
  }

  /** Grade, enrich, build, route and write `delta` new occurrences; recorded under `key` once written. */
  private writeNew(tracker: OccurrenceTracker, key: string, event: RawEvent, delta: number, now: number): void | Promise<void> {
    const level = this.settings.grade(event);
    if (this.settings.enricher) {
      return this.settings.enricher
        .enrich(event)
        .then((enrichment) => this.writeOccurrence(this.occurrence(tracker, key, event, level, delta, now, enrichment)));
    }
    return this.writeOccurrence(this.occurrence(tracker, key, event, level, delta, now, undefined));
  }

  private occurrence(
    tracker: OccurrenceTracker,
    key: string,
    event: RawEvent,
    level: Level,
    delta: number,
    now: number,
    enrichment: ObjectEnrichment | undefined,
  ): Occurrence {
    const line = buildLine(event, level, delta, this.lineContext, enrichment, now);
    return { tracker, key, now, line, receivers: this.settings.route(line) };
  }

  /** Hands the line to each receiver in turn; it is recorded as written once all have it. */
  private writeOccurrence(o: Occurrence): void | Promise<void> {
    if (o.receivers.length === 0) this.settings.metrics.dropped('no_route').inc();
    for (let i = 0; i < o.receivers.length; i++) {
      const pending = this.writeTo(o.receivers[i]!, o);
      if (pending) return this.writeRest(o, i + 1, pending);
    }
    this.recordWritten(o);
  }

  /** The rest of writeOccurrence once a receiver asked to wait: the next receiver gets the line after it. */
  private async writeRest(o: Occurrence, next: number, pending: Promise<void>): Promise<void> {
    await pending;
    for (let i = next; i < o.receivers.length; i++) await this.writeTo(o.receivers[i]!, o);
    this.recordWritten(o);
  }

  /** Writes the line to one receiver and counts it; a Promise when that receiver asks to wait. */
  private writeTo(name: string, o: Occurrence): void | Promise<void> {
    const sink = this.settings.sinks.get(name);
    if (!sink) return;
    let pending: void | Promise<void>;
    try {
      pending = sink.write(o.line);
    } catch (err) {
      return this.sinkFailed(name, err);
    }
    if (!pending) return this.countTaken(name, o);
    return pending.then(
      () => this.countTaken(name, o),
      (err: unknown) => this.sinkFailed(name, err),
    );
  }

  private sinkFailed(receiver: string, err: unknown): never {
    this.settings.metrics.sinkErrors.inc({ receiver });
    throw err;
  }

  private countTaken(receiver: string, o: Occurrence): void {
    if (!this.countedBySink.has(receiver)) this.countWritten(receiver, o.line);
  }

  private countWritten(receiver: string, line: EventLine): void {
    const written = this.settings.metrics.written(line.level, receiver);
    written.lines.inc();
    written.occurrences.inc(line.delta);
  }

  private recordWritten(o: Occurrence): void {
    if (o.receivers.length) this.settings.metrics.noteEventTime(o.line.time, o.now);
    o.tracker.record(o.key, o.line.count, o.now);
  }

  private async flushSinks(): Promise<void> {
    for (const sink of this.settings.sinks.values()) await sink.flush();
  }
}
