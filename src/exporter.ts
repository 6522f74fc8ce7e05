import type { Logger } from 'pino';
import { type Checkpoint, type CheckpointSaved, CheckpointUnreadableError, type CheckpointStore } from './checkpoint/checkpoint.js';
import type { Enricher } from './enrich/enricher.js';
import type { Level } from './grade/levels.js';
import { buildLine, type LineContext, type ObjectEnrichment } from './line/build-line.js';
import type { EventLine, RawEvent } from './line/event-line.js';
import { occurrenceCount, occurrenceTimeMs } from './line/occurrence.js';
import type { ExporterMetrics } from './serve/metrics.js';
import type { Sink } from './sinks/sink.js';
import { DEFAULT_TRACKER_OPTIONS, OccurrenceTracker } from './track/occurrence-tracker.js';
import type { WatchType } from './watch/event-stream.js';
import type { KubeHttp } from './watch/kube-http.js';
import { runWatchLoop } from './watch/watch-loop.js';

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
  watch?: { pageSize?: number; timeoutSeconds?: number; minBackoffMs?: number; maxBackoffMs?: number };
  now?: () => number;
}

const ALL_NAMESPACES = '*';

/**
 * One Event's new occurrences on their way to the receivers. Once written, the tracker records
 * the line's uid and count (the Event's, copied into the line by buildLine).
 */
interface Occurrence {
  tracker: OccurrenceTracker;
  now: number;
  line: EventLine;
  receivers: string[];
}

/**
 * The data flow: watch → track (which occurrences are new) → grade → enrich → build the line
 * → route → write. One Event notification is written completely (every receiver, with
 * backpressure) before the next is read, so memory stays flat however slow a sink is.
 */
export class Exporter {
  private readonly trackers = new Map<string, OccurrenceTracker>();
  private readonly listedScopes = new Set<string>();
  /** Lists in progress, by scope. */
  private readonly listing = new Map<string, { relist: boolean; listed: number; firstStart: boolean }>();
  private readonly abort = new AbortController();
  private loops: Promise<void>[] = [];
  private checkpointTimer: NodeJS.Timeout | undefined;
  private maintenanceTimer: NodeJS.Timeout | undefined;
  /** Scopes whose state came from the checkpoint: their first list is a resumption, not a first start. */
  private readonly restoredScopes = new Set<string>();
  /**
   * Restored scopes whose checkpoint had left Events out (to fit a ConfigMap): an Event the
   * tracker does not know may have been written before, so their first list filters such
   * Events by age as a first start does. Saves keep them marked until that list has ended.
   */
  private readonly trimmedRestoredScopes = new Set<string>();
  /** The scopes the last save left Events out of, sorted: warn when they change, not at every save. */
  private lastTrimmedScopes: readonly string[] = [];
  /** Checkpoint saves run one after another, so an older snapshot never lands after a newer one. */
  private saving: Promise<void> = Promise.resolve();
  private readonly now: () => number;
  private readonly lineContext: LineContext;

  constructor(private readonly s: ExporterSettings) {
    this.now = s.now ?? Date.now;
    this.lineContext = { clusterName: s.clusterName, maxMessageBytes: s.maxMessageBytes };
    for (const scope of this.scopes()) {
      this.trackers.set(scope, new OccurrenceTracker(s.tracker ?? DEFAULT_TRACKER_OPTIONS));
    }
    s.metrics.watchTrackers(() => {
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
    return this.s.namespaces.length ? [...new Set(this.s.namespaces)] : [ALL_NAMESPACES];
  }

  async start(): Promise<void> {
    if (this.s.checkpoint) await this.restoreCheckpoint(this.s.checkpoint.store);
    this.loops = this.scopes().map((scope) =>
      runWatchLoop(
        {
          api: this.s.api,
          namespace: scope === ALL_NAMESPACES ? undefined : scope,
          pageSize: this.s.watch?.pageSize ?? 500,
          watchTimeoutSeconds: this.s.watch?.timeoutSeconds ?? 300,
          minBackoffMs: this.s.watch?.minBackoffMs ?? 500,
          maxBackoffMs: this.s.watch?.maxBackoffMs ?? 30_000,
        },
        {
          onListStart: (relist) => this.onListStart(scope, relist),
          onListPage: (items) => this.onListPage(scope, items),
          onListEnd: () => this.onListEnd(scope),
          onEvent: (type, event) => this.onEvent(scope, type, event),
          onRestart: (reason, error) => {
            this.s.metrics.watchRestarts.inc({ reason });
            if (reason === 'expired') this.s.metrics.relists.inc();
            const level = reason === 'closed' ? 'debug' : 'warn';
            this.s.log[level]({ scope, reason, err: error instanceof Error ? error.message : error }, 'watch restarting');
          },
        },
        this.abort.signal,
      ),
    );
    this.maintenanceTimer = setInterval(() => {
      for (const tracker of this.trackers.values()) tracker.evictExpired(this.now());
    }, 60_000);
    this.maintenanceTimer.unref();
    if (this.s.checkpoint) {
      const { intervalMs } = this.s.checkpoint;
      this.checkpointTimer = setInterval(() => void this.saveCheckpoint().catch((err: Error) => this.s.log.error({ err: err.message }, 'checkpoint save failed')), intervalMs);
      this.checkpointTimer.unref();
    }
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
    if (this.checkpointTimer) clearInterval(this.checkpointTimer);
    if (this.maintenanceTimer) clearInterval(this.maintenanceTimer);
    await this.saving.catch(() => {}); // a periodic save in flight finishes first
    const save = this.s.checkpoint !== undefined && options.saveCheckpoint !== false;
    // The watches have ended, so nothing is recorded any more: this snapshot holds exactly what the sinks were given.
    const checkpoint = save ? this.checkpointNow() : undefined;
    const failures: Error[] = [];
    const failedSinks = new Set<string>();
    for (const [receiver, sink] of this.s.sinks) {
      try {
        await sink.flush();
      } catch (err) {
        failedSinks.add(receiver);
        failures.push(new Error(`receiver "${receiver}" could not write out its last lines: ${(err as Error).message}`, { cause: err }));
      }
    }
    if (checkpoint && failures.length) {
      this.s.log.error({ checkpoint: this.s.checkpoint!.store.description }, 'not saving the checkpoint: a receiver could not write out its last lines; the next start writes again what came after the last save');
    } else if (checkpoint) {
      try {
        await this.queueSave(() => this.storeCheckpoint(checkpoint));
      } catch (err) {
        failures.push(err as Error);
      }
    }
    for (const [receiver, sink] of this.s.sinks) {
      try {
        await sink.close();
      } catch (err) {
        // A receiver that could not flush cannot close either: its failure is already counted.
        if (!failedSinks.has(receiver)) failures.push(new Error(`receiver "${receiver}" could not be closed: ${(err as Error).message}`, { cause: err }));
      }
    }
    const [first, ...others] = failures;
    for (const err of others) this.s.log.error({ err: err.message }, 'another failure while stopping');
    if (first) throw first;
  }

  /** Receivers that can never write again (a stdout nobody reads any more): then a restart is the cure. */
  brokenReceivers(): string[] {
    return [...this.s.sinks.values()].filter((sink) => sink.brokenBy?.()).map((sink) => sink.name);
  }

  /**
   * Feeds one watch notification through the pipeline as if it came from the watch (the
   * benchmark uses this to measure the pipeline without a network in the way). A Promise only
   * when something must be waited for, as from the watch.
   */
  ingest(type: WatchType, event: RawEvent): void | Promise<void> {
    const scope = this.trackers.has(ALL_NAMESPACES) ? ALL_NAMESPACES : (event.metadata.namespace ?? '');
    if (!this.trackers.has(scope)) return;
    return this.onEvent(scope, type, event);
  }

  private tracker(scope: string): OccurrenceTracker {
    return this.trackers.get(scope)!;
  }

  private onListStart(scope: string, relist: boolean): void {
    this.listing.set(scope, { relist, listed: 0, firstStart: !relist && this.unknownMayBeOld(scope) });
    this.tracker(scope).beginList();
  }

  private async onListPage(scope: string, items: RawEvent[]): Promise<void> {
    const listing = this.listing.get(scope)!;
    const tracker = this.tracker(scope);
    // Oldest first within the page, so a relist's lines come out roughly in the order things happened.
    const ordered = items.slice().sort((a, b) => (occurrenceTimeMs(a) || 0) - (occurrenceTimeMs(b) || 0));
    for (const event of ordered) {
      const uid = event.metadata?.uid;
      if (!uid) continue;
      listing.listed++;
      this.s.metrics.received('LISTED').inc();
      await this.process(tracker, event, listing.firstStart);
    }
  }

  private onListEnd(scope: string): void {
    const listing = this.listing.get(scope)!;
    this.listing.delete(scope);
    // Events the list did not see were deleted while no watch was open.
    this.tracker(scope).endList();
    this.listedScopes.add(scope);
    this.s.log.info({ scope, events: listing.listed, relist: listing.relist }, listing.relist ? 'relisted Events after the watch expired' : 'listed Events');
  }

  private onEvent(scope: string, type: WatchType, event: RawEvent): void | Promise<void> {
    this.s.metrics.received(type).inc();
    const tracker = this.tracker(scope);
    const uid = event.metadata?.uid;
    if (!uid) return;
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
      this.s.metrics.dropped('unchanged').inc();
      return;
    }
    if (seen.kind === 'shrank') {
      // Written again with a lower count (recreated under the same uid): count from here on.
      tracker.reset(uid, count, now);
      this.s.metrics.dropped('count_decreased').inc();
      return;
    }
    if (seen.kind === 'new' && firstStart && now - occurrenceTimeMs(event) > this.s.maxEventAgeSeconds * 1000) {
      tracker.record(uid, count, now);
      this.s.metrics.dropped('too_old').inc();
      return;
    }
    const level = this.s.grade(event);
    if (this.s.enricher) {
      return this.s.enricher.enrich(event).then((enrichment) => this.writeOccurrence(this.occurrence(tracker, event, level, seen.delta, now, enrichment)));
    }
    return this.writeOccurrence(this.occurrence(tracker, event, level, seen.delta, now, undefined));
  }

  private occurrence(tracker: OccurrenceTracker, event: RawEvent, level: Level, delta: number, now: number, enrichment: ObjectEnrichment | undefined): Occurrence {
    const line = buildLine(event, level, delta, this.lineContext, enrichment, now);
    return { tracker, now, line, receivers: this.s.route(line) };
  }

  /** Hands the line to each receiver in turn; it is recorded as written once all have it. */
  private writeOccurrence(o: Occurrence): void | Promise<void> {
    if (o.receivers.length === 0) this.s.metrics.dropped('no_route').inc();
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
    const sink = this.s.sinks.get(name);
    if (!sink) return;
    let pending: void | Promise<void>;
    try {
      pending = sink.write(o.line);
    } catch (err) {
      return this.sinkFailed(name, err);
    }
    if (!pending) return this.countWritten(name, o);
    return pending.then(
      () => this.countWritten(name, o),
      (err: unknown) => this.sinkFailed(name, err),
    );
  }

  private sinkFailed(receiver: string, err: unknown): never {
    this.s.metrics.sinkErrors.inc({ receiver });
    throw err;
  }

  private countWritten(receiver: string, o: Occurrence): void {
    const written = this.s.metrics.written(o.line.level, receiver);
    written.routeMatches.inc();
    written.lines.inc();
    written.occurrences.inc(o.line.delta);
  }

  private recordWritten(o: Occurrence): void {
    // `time` is always ISO 8601 UTC with milliseconds, so string order is time order: no parse per line.
    if (o.receivers.length && o.line.time > this.s.metrics.lastEventTime) this.s.metrics.lastEventTime = o.line.time;
    o.tracker.record(o.line.metadata.uid!, o.line.count, o.now);
  }

  private async restoreCheckpoint(store: CheckpointStore): Promise<void> {
    let checkpoint: Checkpoint | undefined;
    try {
      checkpoint = await store.load();
    } catch (err) {
      if (!(err instanceof CheckpointUnreadableError)) throw err;
      // Better to start as on a first start (maxEventAgeSeconds bounds any repeat) than to crash-loop.
      this.s.log.warn({ err: err.message }, 'ignoring an unreadable checkpoint');
    }
    if (!checkpoint) {
      this.s.log.info({ checkpoint: store.description }, 'no checkpoint yet: first start');
      return;
    }
    let restored = 0;
    const trimmed = new Set(checkpoint.trimmedScopes); // absent in older checkpoints: nothing was left out
    for (const [scope, entries] of Object.entries(checkpoint.scopes)) {
      const tracker = this.trackers.get(scope);
      if (!tracker) continue; // no longer watched
      tracker.restore(entries);
      this.restoredScopes.add(scope);
      if (trimmed.has(scope)) this.trimmedRestoredScopes.add(scope);
      restored += entries.length;
    }
    this.s.log.info({ checkpoint: store.description, savedAt: checkpoint.savedAt, events: restored }, 'restored checkpoint');
    if (this.trimmedRestoredScopes.size) {
      this.s.log.warn(
        { checkpoint: store.description, scopes: [...this.trimmedRestoredScopes] },
        'the checkpoint is incomplete in these scopes (Events left out to fit, or saved before a first list ended): Events it does not hold are treated as at a first start (skipped if older than maxEventAgeSeconds, else written with their whole count)',
      );
    }
  }

  saveCheckpoint(): Promise<void> {
    return this.queueSave(() => this.writeCheckpoint());
  }

  private queueSave(save: () => Promise<void>): Promise<void> {
    const next = this.saving.catch(() => {}).then(save);
    this.saving = next;
    return next;
  }

  private async writeCheckpoint(): Promise<void> {
    if (!this.s.checkpoint) return;
    // Snapshot first, then flush: every occurrence the snapshot calls written has then
    // reached the operating system before the checkpoint says so.
    const checkpoint = this.checkpointNow();
    for (const sink of this.s.sinks.values()) await sink.flush();
    await this.storeCheckpoint(checkpoint);
  }

  /**
   * Whether the first list ages-filters Events the tracker does not know: at a first start, and
   * after a checkpoint that left Events out (those may be old Events written before the restart).
   */
  private unknownMayBeOld(scope: string): boolean {
    return !this.restoredScopes.has(scope) || this.trimmedRestoredScopes.has(scope);
  }

  private checkpointNow(): Checkpoint {
    const scopes: Checkpoint['scopes'] = {};
    for (const [scope, tracker] of this.trackers) scopes[scope] = tracker.snapshot();
    // Until its first list has ended, such a scope lacks Events (those a first start has not
    // listed yet, or those left out to fit): marked, a restart then filters them by age again.
    const stillTrimmed = [...this.trackers.keys()].filter((scope) => !this.listedScopes.has(scope) && this.unknownMayBeOld(scope));
    return { version: 1, savedAt: new Date(this.now()).toISOString(), scopes, ...(stillTrimmed.length ? { trimmedScopes: stillTrimmed } : {}) };
  }

  private async storeCheckpoint(checkpoint: Checkpoint): Promise<void> {
    const store = this.s.checkpoint!.store;
    this.reportLeftOut(store, checkpoint, await store.save(checkpoint));
  }

  /** Shows how many entries the save left out; warns only when the trimmed scopes change, as one save after another trims while Events come and go. */
  private reportLeftOut(store: CheckpointStore, checkpoint: Checkpoint, saved: CheckpointSaved): void {
    this.s.metrics.checkpointEntriesLeftOut.set(saved.droppedEntries);
    const trimmedScopes = [...saved.trimmedScopes].sort();
    const previous = this.lastTrimmedScopes;
    if (trimmedScopes.length === previous.length && trimmedScopes.every((scope, i) => scope === previous[i])) return;
    this.lastTrimmedScopes = trimmedScopes;
    if (trimmedScopes.length === 0) {
      this.s.log.info({ checkpoint: store.description }, 'the checkpoint fits again: no Events left out');
      return;
    }
    const tracked = Object.values(checkpoint.scopes).reduce((n, entries) => n + entries.length, 0);
    this.s.log.warn(
      { checkpoint: store.description, scopes: trimmedScopes, tracked, leftOut: saved.droppedEntries },
      'the checkpoint is too big for its store and leaves out the least recently seen Events: after a restart, those still in the cluster are treated as at a first start (skipped if older than maxEventAgeSeconds, else written again with their whole count); a checkpoint file has no size limit',
    );
  }
}
