// LeaseElector against an in-memory Lease API. A fake on purpose: it injects what a real API
// server will not do on demand — a renewal that hangs forever, and a holder whose clock is
// far off ours.
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LeaseElector } from '../../src/leader/lease-elector.js';
import { KubeApiError, type KubeHttp } from '../../src/watch/kube-http.js';

interface Lease {
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: { holderIdentity?: string; renewTime?: string; leaseDurationSeconds?: number; leaseTransitions?: number };
}

class FakeLeaseApi {
  lease: Lease | undefined;
  version = 0;
  hang = false;
  /** While set, a PUT waits for it: a renewal caught between its read and its write. */
  holdPut: Promise<void> | undefined;
  async getJson<T>(): Promise<T> {
    if (this.hang) return new Promise<T>(() => {});
    if (!this.lease) throw new KubeApiError(404, 'not found');
    return structuredClone(this.lease) as T;
  }
  async sendJson<T>(method: string, _path: string, body: Lease): Promise<T> {
    if (this.hang) return new Promise<T>(() => {});
    if (method === 'POST' && this.lease) throw new KubeApiError(409, 'exists');
    if (method === 'PUT' && this.holdPut) await this.holdPut;
    if (method === 'PUT' && body.metadata.resourceVersion !== this.lease?.metadata.resourceVersion) throw new KubeApiError(409, 'conflict');
    this.lease = { ...structuredClone(body), metadata: { ...body.metadata, resourceVersion: String(++this.version) } };
    return structuredClone(this.lease) as T;
  }
}

const log = pino({ level: 'silent' });
const options = { namespace: 'ns', name: 'lease', leaseDurationSeconds: 15, renewDeadlineMs: 10_000, retryPeriodMs: 2000 };

function elector(api: FakeLeaseApi, identity: string, now: () => number) {
  return new LeaseElector(api as unknown as KubeHttp, { ...options, identity }, log, now);
}

afterEach(() => {
  vi.useRealTimers();
});

describe('LeaseElector', () => {
  it('judges expiry on its own clock: a holder whose renewTime looks ancient is not overthrown at once', async () => {
    vi.useFakeTimers();
    const api = new FakeLeaseApi();
    // The holder's clock is an hour behind ours: its fresh renewal looks an hour old to us.
    api.lease = {
      metadata: { name: 'lease', namespace: 'ns', resourceVersion: '0' },
      spec: { holderIdentity: 'other', renewTime: new Date(Date.now() - 3600_000).toISOString(), leaseDurationSeconds: 15 },
    };
    let now = Date.now();
    const candidate = elector(api, 'me', () => now);
    const acquired = candidate.acquire(new AbortController().signal);
    await vi.advanceTimersByTimeAsync(0);
    expect(api.lease!.spec.holderIdentity).toBe('other');
    // The holder keeps renewing (record changes): we never take over.
    for (let i = 0; i < 5; i++) {
      now += 10_000;
      api.lease = {
        ...api.lease!,
        spec: { ...api.lease!.spec, renewTime: new Date(now - 3600_000).toISOString() },
        metadata: { ...api.lease!.metadata, resourceVersion: String(++api.version) },
      };
      await vi.advanceTimersByTimeAsync(2100);
      expect(api.lease.spec.holderIdentity).toBe('other');
    }
    // The holder stops renewing: after a lease duration of silence on our clock, we take over.
    now += 16_000;
    await vi.advanceTimersByTimeAsync(2100);
    await acquired;
    expect(api.lease!.spec.holderIdentity).toBe('me');
  });

  it('a leader whose renewals hang gives up within the renew deadline, before the lease could pass to another', async () => {
    vi.useFakeTimers();
    const api = new FakeLeaseApi();
    const leader = elector(api, 'me', () => Date.now());
    await leader.acquire(new AbortController().signal);
    expect(api.lease!.spec.holderIdentity).toBe('me');
    const lost = vi.fn();
    leader.keepRenewing(lost);
    api.hang = true;
    await vi.advanceTimersByTimeAsync(9_000);
    expect(lost).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(4_000); // past the 10 s deadline, still inside the 15 s lease
    expect(lost).toHaveBeenCalledTimes(1);
  });

  it('release() while a renewal is in flight still clears the holder (the renewal is waited for, not raced)', async () => {
    vi.useFakeTimers();
    const api = new FakeLeaseApi();
    const a = elector(api, 'a', () => Date.now());
    await a.acquire(new AbortController().signal);
    a.keepRenewing(() => {});
    let letPut!: () => void;
    api.holdPut = new Promise<void>((resolve) => (letPut = resolve));
    await vi.advanceTimersByTimeAsync(2_000); // a renewal has read the Lease and waits to PUT
    const released = a.release();
    await vi.advanceTimersByTimeAsync(0);
    api.holdPut = undefined;
    letPut();
    await released;
    expect(api.lease!.spec.holderIdentity).toBe('');
  });

  it('release() hands the lease over at once', async () => {
    const api = new FakeLeaseApi();
    const a = elector(api, 'a', () => Date.now());
    await a.acquire(new AbortController().signal);
    await a.release();
    expect(api.lease!.spec.holderIdentity).toBe('');
    const b = elector(api, 'b', () => Date.now());
    await b.acquire(new AbortController().signal);
    expect(api.lease!.spec.holderIdentity).toBe('b');
  });
});
