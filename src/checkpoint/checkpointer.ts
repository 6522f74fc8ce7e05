import type { Logger } from 'pino';
import type { Gauge } from 'prom-client';
import type { OccurrenceTracker } from '../track/occurrence-tracker.js';
import { type Checkpoint, type CheckpointSaved, type CheckpointStore, CheckpointUnreadableError } from './checkpoint.js';

/** What the checkpoint reads from the pipeline it saves. */
export interface CheckpointedPipeline {
  /** One tracker per watched scope: restored at start, snapshotted at every save. */
  readonly trackers: ReadonlyMap<string, OccurrenceTracker>;
  /** Whether the first list of `scope` has ended (every Event it holds is then in its tracker). */
  hasListed(scope: string): boolean;
  /** Hands every line given to the sinks to the operating system. */
  flushSinks(): Promise<void>;
}

export interface CheckpointerOptions {
  store: CheckpointStore;
  intervalMs: number;
  /** Set to how many entries the last save left out. */
  entriesLeftOut: Pick<Gauge, 'set'>;
  log: Logger;
  now: () => number;
}

/**
 * The checkpoint's lifecycle beside the pipeline: restore the trackers at start, save them
 * every `intervalMs`, and once more at a graceful stop (the Exporter decides whether that last
 * snapshot may be stored). It also knows which scopes' first list must filter unknown Events by
 * age, since that depends on what was restored.
 */
export class Checkpointer {
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
  /** Saves run one after another, so an older snapshot never lands after a newer one. */
  private saving: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  /** The first lists have ended and been saved for (listEnded). */
  private caughtUp = false;

  constructor(
    private readonly pipeline: CheckpointedPipeline,
    private readonly options: CheckpointerOptions,
  ) {}

  get description(): string {
    return this.options.store.description;
  }

  /** Loads the checkpoint into the trackers of the scopes still watched. */
  async restore(): Promise<void> {
    const { store, log } = this.options;
    let checkpoint: Checkpoint | undefined;
    try {
      checkpoint = await store.load();
    } catch (err) {
      if (!(err instanceof CheckpointUnreadableError)) throw err;
      // Better to start as on a first start (maxEventAgeSeconds bounds any repeat) than to crash-loop.
      log.warn({ err: err.message }, 'ignoring an unreadable checkpoint');
    }
    if (!checkpoint) {
      log.info({ checkpoint: store.description }, 'no checkpoint yet: first start');
      return;
    }
    let restored = 0;
    const trimmed = new Set(checkpoint.trimmedScopes); // absent in older checkpoints: nothing was left out
    for (const [scope, entries] of Object.entries(checkpoint.scopes)) {
      const tracker = this.pipeline.trackers.get(scope);
      if (!tracker) continue; // no longer watched
      tracker.restore(entries);
      this.restoredScopes.add(scope);
      if (trimmed.has(scope)) this.trimmedRestoredScopes.add(scope);
      restored += entries.length;
    }
    log.info({ checkpoint: store.description, savedAt: checkpoint.savedAt, events: restored }, 'restored checkpoint');
    if (this.trimmedRestoredScopes.size) {
      log.warn(
        { checkpoint: store.description, scopes: [...this.trimmedRestoredScopes] },
        'the checkpoint is incomplete in these scopes (Events left out to fit, or saved before a first list ended): Events it does not hold are treated as at a first start (skipped if older than maxEventAgeSeconds, else written with their whole count)',
      );
    }
  }

  /**
   * Whether the first list ages-filters Events the tracker does not know: at a first start, and
   * after a checkpoint that left Events out (those may be old Events written before the restart).
   */
  unknownMayBeOld(scope: string): boolean {
    return !this.restoredScopes.has(scope) || this.trimmedRestoredScopes.has(scope);
  }

  /**
   * Called when a list ends. Once the first list of every scope has ended (the catch-up after a
   * restart is written), saves at once instead of at the next tick: otherwise a crash before
   * that tick rewrites the whole catch-up, and crashes closer together than `intervalMs` each
   * rewrite more than `intervalMs` of occurrences.
   */
  listEnded(): void {
    if (this.caughtUp || ![...this.pipeline.trackers.keys()].every((scope) => this.pipeline.hasListed(scope))) return;
    this.caughtUp = true;
    void this.save().catch((err: Error) => this.options.log.error({ err: err.message }, 'checkpoint save failed'));
  }

  startPeriodicSaves(): void {
    this.timer = setInterval(
      () => void this.save().catch((err: Error) => this.options.log.error({ err: err.message }, 'checkpoint save failed')),
      this.options.intervalMs,
    );
    this.timer.unref();
  }

  /** Ends the periodic saves and lets one in flight finish. */
  async stopPeriodicSaves(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.saving.catch(() => {});
  }

  /** Saves now: a snapshot of the trackers, stored once the sinks have flushed. */
  save(): Promise<void> {
    return this.queue(async () => {
      // Snapshot first, then flush: every occurrence the snapshot calls written has then
      // reached the operating system before the checkpoint says so.
      const checkpoint = this.snapshot();
      await this.pipeline.flushSinks();
      await this.storeNow(checkpoint);
    });
  }

  /** The trackers as a checkpoint, now. */
  snapshot(): Checkpoint {
    const scopes: Checkpoint['scopes'] = {};
    for (const [scope, tracker] of this.pipeline.trackers) scopes[scope] = tracker.snapshot();
    // Until its first list has ended, such a scope lacks Events (those a first start has not
    // listed yet, or those left out to fit): marked, a restart then filters them by age again.
    const stillTrimmed = [...this.pipeline.trackers.keys()].filter((scope) => !this.pipeline.hasListed(scope) && this.unknownMayBeOld(scope));
    return { version: 1, savedAt: new Date(this.options.now()).toISOString(), scopes, ...(stillTrimmed.length ? { trimmedScopes: stillTrimmed } : {}) };
  }

  /** Stores a snapshot taken earlier (the last one, at stop, after the sinks have flushed). */
  store(checkpoint: Checkpoint): Promise<void> {
    return this.queue(() => this.storeNow(checkpoint));
  }

  private queue(save: () => Promise<void>): Promise<void> {
    const next = this.saving.catch(() => {}).then(save);
    this.saving = next;
    return next;
  }

  private async storeNow(checkpoint: Checkpoint): Promise<void> {
    this.reportLeftOut(checkpoint, await this.options.store.save(checkpoint));
  }

  /** Shows how many entries the save left out; warns only when the trimmed scopes change, as one save after another trims while Events come and go. */
  private reportLeftOut(checkpoint: Checkpoint, saved: CheckpointSaved): void {
    const { entriesLeftOut, log, store } = this.options;
    entriesLeftOut.set(saved.droppedEntries);
    const trimmedScopes = [...saved.trimmedScopes].sort();
    const previous = this.lastTrimmedScopes;
    if (trimmedScopes.length === previous.length && trimmedScopes.every((scope, i) => scope === previous[i])) return;
    this.lastTrimmedScopes = trimmedScopes;
    if (trimmedScopes.length === 0) {
      log.info({ checkpoint: store.description }, 'the checkpoint fits again: no Events left out');
      return;
    }
    const tracked = Object.values(checkpoint.scopes).reduce((n, entries) => n + entries.length, 0);
    log.warn(
      { checkpoint: store.description, scopes: trimmedScopes, tracked, leftOut: saved.droppedEntries },
      'the checkpoint is too big for its store and leaves out the least recently seen Events: after a restart, those still in the cluster are treated as at a first start (skipped if older than maxEventAgeSeconds, else written again with their whole count); a checkpoint file has no size limit',
    );
  }
}
