import type { Logger } from 'pino';
import type { RawEvent } from '../line/event-line.js';
import { MESSAGE_READ_BYTES } from '../line/message.js';
import type { OccurrenceTracker } from '../track/occurrence-tracker.js';
import type { WatchType } from '../watch/event-stream.js';
import { KubeApiError, type KubeHttp } from '../watch/kube-http.js';
import { runWatchLoop, type WatchRestartReason } from '../watch/watch-loop.js';
import { failureEvent } from './failure-event.js';
import type { LogTailFetcher } from './log-tail.js';
import { scanPod } from './pod-failures.js';
import { POD_KIND, type PodSummary } from './pod-summary.js';

/** What the pod watch needs from the exporter's pipeline. */
export interface PodFailureOutlet {
  tracker(scope: string): OccurrenceTracker;
  /** Whether the first list of `scope` skips failures older than maxEventAgeSeconds (a first start). */
  unknownMayBeOld(scope: string): boolean;
  listEnded(scope: string, pods: number, relist: boolean): void;
  /** A Pod notification: one per pod of a list page (`LISTED`) or per watch message. */
  received(type: WatchType | 'LISTED'): void;
  /** Grades, enriches, routes and writes the line; once every receiver has it, records `key` at the line's count. */
  write(tracker: OccurrenceTracker, key: string, event: RawEvent, delta: number, nowMs: number): void | Promise<void>;
  /** `quiet`: said already (e.g. the missing grant), logged at debug only. */
  restarted(scope: string, reason: WatchRestartReason, error: unknown, quiet?: boolean): void;
  tooOld(): void;
}

export interface PodFailureWatchOptions {
  api: KubeHttp;
  /** Tracker scope → namespace watched (undefined: all). */
  scopes: ReadonlyMap<string, string | undefined>;
  gracePeriodMs: number;
  maxEventAgeMs: number;
  logTail?: LogTailFetcher;
  pageSize: number;
  watchTimeoutSeconds: number;
  minBackoffMs: number;
  maxBackoffMs: number;
  log: Logger;
  now: () => number;
}

/** A pod whose waiting failure is still in its grace period: looked at again at `atMs`. */
interface Recheck {
  scope: string;
  pod: PodSummary;
  atMs: number;
  /** Handed to the scope's queue: not scheduled again. */
  queued?: boolean;
}

/** A failed write is tried again this much later. */
const RECHECK_RETRY_MS = 1000;

/**
 * Lists and watches Pods (one loop per scope, the Event path's machinery with `POD_KIND`, which
 * keeps a small summary of each Pod as it is parsed) and writes each container failure once:
 * the tracker holds, per failure key, the count written. A pod is handled completely before
 * the next notification is read. Waiting failures inside the grace period are kept aside
 * (their summary only) and looked at again when it ends, since a pod stuck waiting may get no
 * further update.
 */
export class PodFailureWatch {
  private readonly rechecks = new Map<string, Recheck>();
  private recheckTimer: NodeJS.Timeout | undefined;
  /** One pod at a time per scope, whether from the watch or a recheck. */
  private readonly queues = new Map<string, Promise<void>>();
  private readonly listing = new Map<string, { relist: boolean; firstStart: boolean; pods: number }>();
  private loops: Promise<void>[] = [];
  /** Once stopped, no recheck runs: the checkpoint's last snapshot must hold everything written. */
  private stopping = false;
  /** The missing list/watch grant was warned about (once per process: every retry would say the same). */
  private warnedForbidden = false;

  constructor(
    private readonly options: PodFailureWatchOptions,
    private readonly outlet: PodFailureOutlet,
  ) {}

  start(signal: AbortSignal): void {
    const o = this.options;
    signal.addEventListener(
      'abort',
      () => {
        this.stopping = true;
        if (this.recheckTimer) clearTimeout(this.recheckTimer);
      },
      { once: true },
    );
    this.loops = [...o.scopes].map(([scope, namespace]) =>
      runWatchLoop(
        {
          api: o.api,
          kind: POD_KIND,
          namespace,
          pageSize: o.pageSize,
          messageReadBytes: MESSAGE_READ_BYTES, // Pods have no top-level message: nothing is cut
          watchTimeoutSeconds: o.watchTimeoutSeconds,
          minBackoffMs: o.minBackoffMs,
          maxBackoffMs: o.maxBackoffMs,
        },
        {
          onListStart: (relist) => this.onListStart(scope, relist),
          onListPage: (pods) => this.inQueue(scope, () => this.onListPage(scope, pods)),
          onListEnd: () => this.onListEnd(scope),
          onEvent: (type, pod) => this.inQueue(scope, () => this.onPod(scope, type, pod)),
          onRestart: (reason, error) => this.restarted(scope, reason, error),
        },
        signal,
      ),
    );
  }

  /** Resolves once every loop has ended (after the signal). */
  async stopped(): Promise<void> {
    await Promise.allSettled(this.loops);
    if (this.recheckTimer) clearTimeout(this.recheckTimer);
    await Promise.allSettled(this.queues.values());
  }

  /**
   * A 403 is no passing fault: the ServiceAccount lacks the optional grant. Said once, with the
   * fix; the loop keeps trying (with its backoff), so applying the grant later needs no restart,
   * and the Event watches go on meanwhile.
   */
  private restarted(scope: string, reason: WatchRestartReason, error: unknown): void {
    if (!(error instanceof KubeApiError && error.statusCode === 403)) {
      this.outlet.restarted(scope, reason, error);
      return;
    }
    if (!this.warnedForbidden) {
      this.warnedForbidden = true;
      this.options.log.warn(
        { scope, err: error.message, retryEverySeconds: Math.round(this.options.maxBackoffMs / 1000) },
        'podFailures is on, but the ServiceAccount may not list and watch Pods (403): apply the kustomize component ' +
          'deploy/components/pod-failures (the bundle with it: deploy/with-pod-failures), or set podFailures.enabled: false. ' +
          'Events are still exported; Pods are tried again with backoff, and /readyz fails until they are listed',
      );
    }
    this.outlet.restarted(scope, reason, error, true);
  }

  private inQueue(scope: string, work: () => void | Promise<void>): Promise<void> {
    const next = (this.queues.get(scope) ?? Promise.resolve()).then(work);
    this.queues.set(
      scope,
      next.catch(() => {}),
    );
    return next;
  }

  private onListStart(scope: string, relist: boolean): void {
    this.listing.set(scope, { relist, firstStart: !relist && this.outlet.unknownMayBeOld(scope), pods: 0 });
    // The list brings back every pod still waiting; pods gone meanwhile must not be looked at again.
    for (const [uid, recheck] of this.rechecks) if (recheck.scope === scope) this.rechecks.delete(uid);
    this.outlet.tracker(scope).beginList();
  }

  private async onListPage(scope: string, pods: PodSummary[]): Promise<void> {
    const listing = this.listing.get(scope)!;
    for (const pod of pods) {
      listing.pods++;
      this.outlet.received('LISTED');
      await this.handle(scope, pod, listing.firstStart);
    }
  }

  private onListEnd(scope: string): void {
    const listing = this.listing.get(scope)!;
    this.listing.delete(scope);
    // Failures of pods the list did not see: those pods were deleted while no watch was open.
    this.outlet.tracker(scope).endList();
    this.outlet.listEnded(scope, listing.pods, listing.relist);
  }

  private onPod(scope: string, type: WatchType, pod: PodSummary): void | Promise<void> {
    this.outlet.received(type);
    if (!pod.uid) return;
    if (type === 'DELETED') {
      const tracker = this.outlet.tracker(scope);
      for (const key of scanPod(pod, { nowMs: this.options.now(), gracePeriodMs: this.options.gracePeriodMs }).keys) tracker.forget(key);
      this.rechecks.delete(pod.uid);
      this.scheduleRecheck();
      return;
    }
    return this.handle(scope, pod, false);
  }

  /** Writes the failures of `pod` not written yet. */
  private async handle(scope: string, pod: PodSummary, firstStart: boolean): Promise<void> {
    if (!pod.uid) return;
    const now = this.options.now();
    const tracker = this.outlet.tracker(scope);
    const scan = scanPod(pod, { nowMs: now, gracePeriodMs: this.options.gracePeriodMs });
    // Seen: a list keeps these entries, and age eviction leaves them alone.
    for (const key of scan.keys) tracker.touch(key, now);
    if (scan.recheckAtMs !== undefined) this.rechecks.set(pod.uid, { scope, pod, atMs: scan.recheckAtMs });
    else this.rechecks.delete(pod.uid);
    this.scheduleRecheck();
    for (const failure of scan.failures) {
      const seen = tracker.observe(failure.key, failure.count);
      if (seen.kind === 'unchanged') continue;
      if (seen.kind === 'shrank') {
        tracker.reset(failure.key, failure.count, now);
        continue;
      }
      if (seen.kind === 'new' && firstStart && now - failure.sinceMs > this.options.maxEventAgeMs) {
        tracker.record(failure.key, failure.count, now);
        this.outlet.tooOld();
        continue;
      }
      const logTail =
        failure.termination && this.options.logTail
          ? // A tail is extra: a fetcher that throws instead of answering undefined must not stop the line.
            await this.options
              .logTail({
                namespace: pod.namespace,
                pod: pod.name,
                container: failure.container.name,
                // A current instance that terminated is read itself: a container never restarted has no previous one.
                previous: failure.termination !== failure.container.terminated,
              })
              .catch(() => undefined)
          : undefined;
      await this.outlet.write(tracker, failure.key, failureEvent(pod, failure, now, logTail), seen.delta, now);
    }
  }

  private scheduleRecheck(): void {
    if (this.recheckTimer) clearTimeout(this.recheckTimer);
    this.recheckTimer = undefined;
    if (this.stopping) return;
    let first = Number.POSITIVE_INFINITY;
    for (const recheck of this.rechecks.values()) if (!recheck.queued) first = Math.min(first, recheck.atMs);
    if (first === Number.POSITIVE_INFINITY) return;
    this.recheckTimer = setTimeout(() => this.runRechecks(), Math.max(0, first - this.options.now()));
    this.recheckTimer.unref();
  }

  private runRechecks(): void {
    this.recheckTimer = undefined;
    if (this.stopping) return;
    const now = this.options.now();
    for (const [uid, recheck] of this.rechecks) {
      if (recheck.atMs > now || recheck.queued) continue;
      recheck.queued = true;
      void this.inQueue(recheck.scope, () => {
        // A newer notification of this pod came first: it decided (and set its own recheck).
        if (this.rechecks.get(uid) !== recheck) return;
        return this.handle(recheck.scope, recheck.pod, false);
      }).catch((err: unknown) => {
        // Runs before any later notification of the pod (they queue behind this one), so the pod is as it was.
        this.options.log.warn(
          { err: err instanceof Error ? err.message : err, pod: `${recheck.pod.namespace}/${recheck.pod.name}` },
          'writing a pod failure failed; trying again',
        );
        this.rechecks.set(uid, { scope: recheck.scope, pod: recheck.pod, atMs: this.options.now() + RECHECK_RETRY_MS });
        this.scheduleRecheck();
      });
    }
    this.scheduleRecheck();
  }
}
