import type { Logger } from 'pino';
import { KubeApiError, type KubeHttp } from '../watch/kube-http.js';

export interface LeaseElectorOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds: number;
  /** The leader gives up if it could not renew for this long; shorter than the lease, so it stops before anyone may take over. */
  renewDeadlineMs: number;
  /** How often the holder renews, and how often a candidate tries. */
  retryPeriodMs: number;
}

interface Lease {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

/** Lease times are MicroTime: RFC 3339 with exactly six fractional digits. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/**
 * Leader election on a coordination.k8s.io Lease, so that of several replicas exactly one
 * writes lines. The leader's checkpoint is what the next leader starts from, so a fail-over
 * neither repeats nor skips occurrences (up to the last checkpoint for a crash).
 */
export class LeaseElector {
  private lease: Lease | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private lastRenewMs = 0;
  private renewing = false;
  /** The renewal in flight, if any: release waits for it, or its PUT could land after the release's and keep the lease held. */
  private renewal: Promise<unknown> = Promise.resolve();
  /** The other holder's record as last seen, and when (our clock): expiry is judged on our clock only, so clock skew between nodes cannot hand the lease to two replicas. */
  private observedRecord = '';
  private observedAtMs = 0;

  constructor(
    private readonly api: KubeHttp,
    private readonly options: LeaseElectorOptions,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  private get path(): string {
    const { namespace, name } = this.options;
    return `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases/${encodeURIComponent(name)}`;
  }

  /** Resolves once this process holds the lease. */
  async acquire(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (await this.tryAcquireOrRenew()) {
        this.log.info({ lease: `${this.options.namespace}/${this.options.name}`, identity: this.options.identity }, 'became leader');
        return;
      }
      await new Promise((r) => setTimeout(r, this.options.retryPeriodMs));
    }
    throw new Error('stopped before becoming leader');
  }

  /** Keeps renewing; calls `onLost` once if the lease could not be renewed within the renew deadline. */
  keepRenewing(onLost: () => void): void {
    this.renewTimer = setInterval(() => {
      // Checked on every tick, also while a renewal hangs, so a stuck request cannot keep a stale leader writing.
      if (this.now() - this.lastRenewMs > this.options.renewDeadlineMs) {
        this.stop();
        onLost();
        return;
      }
      if (this.renewing) return;
      this.renewing = true;
      this.renewal = this.tryAcquireOrRenew().finally(() => (this.renewing = false));
    }, this.options.retryPeriodMs);
    this.renewTimer.unref();
  }

  /** Gives the lease up (holder cleared) so a waiting replica takes over without waiting for expiry. */
  async release(): Promise<void> {
    if (!this.lease) return;
    this.stop();
    await this.renewal;
    // A write that came between our read and our PUT (409) is read again: the lease may still be ours.
    for (let attempt = 1; ; attempt++) {
      try {
        const current = await this.api.getJson<Lease>(this.path);
        if (current.spec.holderIdentity !== this.options.identity) return;
        await this.api.sendJson('PUT', this.path, { ...current, spec: { ...current.spec, holderIdentity: '', renewTime: microTime(this.now()) } });
        this.log.info('released the leader lease');
        return;
      } catch (err) {
        if (err instanceof KubeApiError && err.statusCode === 409 && attempt < 3) continue;
        this.log.warn({ err: (err as Error).message }, 'could not release the leader lease; it expires by itself');
        return;
      }
    }
  }

  stop(): void {
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = undefined;
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.now();
    const { identity, leaseDurationSeconds, namespace, name } = this.options;
    try {
      let current: Lease | undefined;
      try {
        current = await this.api.getJson<Lease>(this.path);
      } catch (err) {
        if (!(err instanceof KubeApiError && err.statusCode === 404)) throw err;
      }
      if (!current) {
        const created: Lease = {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace },
          spec: { holderIdentity: identity, leaseDurationSeconds, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 },
        };
        this.lease = await this.api.sendJson<Lease>('POST', `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`, created);
        this.lastRenewMs = now;
        return true;
      }
      const spec = current.spec;
      const held = spec.holderIdentity === identity;
      const record = `${spec.holderIdentity ?? ''}/${spec.renewTime ?? ''}/${current.metadata.resourceVersion ?? ''}`;
      if (record !== this.observedRecord) {
        this.observedRecord = record;
        this.observedAtMs = now;
      }
      const expired = !spec.holderIdentity || now - this.observedAtMs > (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
      if (!held && !expired) return false;
      const next: Lease = {
        ...current,
        spec: {
          ...spec,
          holderIdentity: identity,
          leaseDurationSeconds,
          renewTime: microTime(now),
          ...(held ? {} : { acquireTime: microTime(now), leaseTransitions: (spec.leaseTransitions ?? 0) + 1 }),
        },
      };
      // The resourceVersion makes this a compare-and-swap: two candidates cannot both win.
      this.lease = await this.api.sendJson<Lease>('PUT', this.path, next);
      this.lastRenewMs = now;
      return true;
    } catch (err) {
      if (err instanceof KubeApiError && err.statusCode === 409) return false;
      this.log.warn({ err: (err as Error).message }, 'lease request failed');
      return false;
    }
  }
}
