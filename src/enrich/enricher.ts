import type { ObjectEnrichment } from '../line/build-line.js';
import type { OwnerReference, RawEvent, WorkloadRef } from '../line/event-line.js';
import { TokenBucket } from '../token-bucket.js';
import { KubeApiError, type KubeHttp } from '../watch/kube-http.js';
import { LruCache } from './lru-cache.js';
import { ResourcePaths } from './resource-paths.js';

export interface EnricherOptions {
  cacheSize: number;
  cacheTtlMs: number;
  annotations: boolean;
  qps: number;
  burst: number;
  /** The clock of the cache, the rate limit and discovery (tests move it by hand). */
  now?: () => number;
}

interface ObjectMeta {
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
}

interface Found {
  state: 'found';
  meta: ObjectMeta;
}
interface Gone {
  state: 'gone';
  /** The uid the Event named when the API server said 404: that object will never come back. */
  uid?: string;
}
/** A 403, 500, timeout or unknown kind: remembered briefly so that each Event about it costs no request. */
interface Failed {
  state: 'failed';
}
type CacheEntry = Found | Gone | Failed;

export type LookupOutcome = 'hit' | 'miss' | 'not_found' | 'error' | 'throttled';

/** Owners worth following to name the workload: Pod → ReplicaSet → Deployment, Pod → Job → CronJob. */
const FOLLOW_OWNER_OF = new Set(['ReplicaSet', 'Job']);
const MAX_OWNER_HOPS = 2;
/** Long enough that an object the ServiceAccount cannot read costs two requests a minute, short enough to notice a fixed RBAC. */
const FAILED_LOOKUP_RETRY_MS = 30_000;
/**
 * The API server gives every object a UUID. kubelet and Node Problem Detector write the node's
 * name as the uid of Node Events, and kubelet a manifest hash for static pods: those name no
 * particular object, so they cannot tell an older object of the same name from the current one.
 */
const OBJECT_UID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Looks up the Event's involved object for labels, annotations, owners and the owning workload.
 * Bounded cache, one request in flight per object, a client-side rate limit; a failed or
 * throttled lookup gives a line without enrichment, never a lost or delayed-forever line.
 */
export class Enricher {
  private readonly cache: LruCache<CacheEntry>;
  private readonly inFlight = new Map<string, Promise<CacheEntry>>();
  private readonly paths: ResourcePaths;
  private readonly bucket: TokenBucket;
  private readonly failedLookupRetryMs: number;

  constructor(
    private readonly api: KubeHttp,
    private readonly options: EnricherOptions,
    private readonly count: (outcome: LookupOutcome) => void = () => {},
  ) {
    const now = options.now ?? Date.now;
    this.cache = new LruCache(options.cacheSize, options.cacheTtlMs, now);
    this.paths = new ResourcePaths(api, { now });
    this.bucket = new TokenBucket(options.qps, options.burst, now);
    this.failedLookupRetryMs = Math.min(FAILED_LOOKUP_RETRY_MS, options.cacheTtlMs);
  }

  async enrich(event: RawEvent): Promise<ObjectEnrichment | undefined> {
    const obj = event.involvedObject;
    if (!obj?.kind || !obj.name) return undefined;
    const apiVersion = obj.apiVersion || 'v1';
    const result = await this.lookup(apiVersion, obj.kind, obj.namespace, obj.name, obj.uid);
    if (!result) return undefined;
    if (result.state === 'gone') return { deleted: true };
    const { meta } = result;
    const enrichment: ObjectEnrichment = {};
    if (meta.labels) enrichment.labels = meta.labels;
    if (this.options.annotations && meta.annotations) enrichment.annotations = meta.annotations;
    if (meta.ownerReferences?.length) enrichment.ownerReferences = meta.ownerReferences.map(ownerRef);
    const workload = await this.workloadOf(obj.kind, obj.name, obj.namespace, meta, 0);
    if (workload) enrichment.workload = workload;
    // kubernetes-event-exporter always writes `deleted`: false says the lookup found the object.
    enrichment.deleted = false;
    return enrichment;
  }

  private async workloadOf(kind: string, name: string, namespace: string | undefined, meta: ObjectMeta, hops: number): Promise<WorkloadRef | undefined> {
    const controller = meta.ownerReferences?.find((o) => o.controller) ?? meta.ownerReferences?.[0];
    if (!controller) return kind === 'Pod' || kind === 'Node' ? undefined : { kind, name };
    if (!FOLLOW_OWNER_OF.has(controller.kind) || hops >= MAX_OWNER_HOPS) return { kind: controller.kind, name: controller.name };
    const owner = await this.lookup(controller.apiVersion, controller.kind, namespace, controller.name, controller.uid);
    if (owner?.state !== 'found') return { kind: controller.kind, name: controller.name };
    return this.workloadOf(controller.kind, controller.name, namespace, owner.meta, hops + 1);
  }

  /** The object, that it is gone, or undefined when it cannot be told now (error, throttled). */
  private async lookup(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
    uid: string | undefined,
  ): Promise<Found | Gone | undefined> {
    const key = `${apiVersion}/${kind}/${namespace ?? ''}/${name}`;
    const objectUid = uid !== undefined && OBJECT_UID_SHAPE.test(uid) ? uid : undefined;
    // An older object of this name, found replaced by a newer one: gone, without asking again.
    const replaced = objectUid && this.cache.get(replacedKey(key, objectUid));
    if (replaced) {
      this.count('hit');
      return replaced as Gone;
    }
    const cached = this.cache.get(key);
    if (cached && !mayDescribeAnotherObject(cached, objectUid)) {
      if (cached.state === 'failed') {
        this.count('error');
        return undefined;
      }
      this.count('hit');
      return cached;
    }
    let request = this.inFlight.get(key);
    if (!request) {
      if (!this.bucket.tryTake()) {
        this.count('throttled');
        return undefined;
      }
      request = this.fetchAndCache(key, apiVersion, kind, namespace, name, objectUid);
      this.inFlight.set(key, request);
      void request.finally(() => this.inFlight.delete(key));
    }
    // The answer is about whichever object has the name now; each caller reads it for the uid it asked about.
    const entry = await request;
    if (entry.state === 'failed') return undefined;
    if (entry.state === 'found' && objectUid && entry.meta.uid && entry.meta.uid !== objectUid) {
      const gone: Gone = { state: 'gone', uid: objectUid };
      this.cache.set(replacedKey(key, objectUid), gone);
      return gone;
    }
    return entry;
  }

  private async fetchAndCache(
    key: string,
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
    objectUid: string | undefined,
  ): Promise<CacheEntry> {
    const entry = await this.fetch(apiVersion, kind, namespace, name, objectUid);
    if (entry.state === 'failed') {
      // A failure says nothing about an object already found: keep that answer for the Events about it.
      if (this.cache.get(key)?.state !== 'found') this.cache.set(key, entry, this.failedLookupRetryMs);
    } else if (entry.state === 'gone' && entry.uid === undefined) {
      // A 404 that names no uid (a Node, whose Events carry its name as uid) is trusted as briefly as
      // a failure: a node registering again under its name is not reported gone for long.
      this.cache.set(key, entry, this.failedLookupRetryMs);
    } else {
      this.cache.set(key, entry);
    }
    return entry;
  }

  private async fetch(apiVersion: string, kind: string, namespace: string | undefined, name: string, objectUid: string | undefined): Promise<CacheEntry> {
    try {
      const path = await this.paths.path(apiVersion, kind, namespace, name);
      if (!path) {
        this.count('error');
        return { state: 'failed' };
      }
      const object = await this.api.getJson<{ metadata?: ObjectMeta }>(path);
      this.count('miss');
      return { state: 'found', meta: object.metadata ?? {} };
    } catch (err) {
      if (err instanceof KubeApiError && err.statusCode === 404) {
        this.count('not_found');
        return objectUid ? { state: 'gone', uid: objectUid } : { state: 'gone' };
      }
      this.count('error');
      return { state: 'failed' };
    }
  }
}

function replacedKey(key: string, objectUid: string): string {
  return `${key}#${objectUid}`;
}

/**
 * Whether a cached answer may be about an older or newer object of the same name than the one the
 * Event names (a StatefulSet pod recreated, a Deployment deleted and applied again): then look again.
 */
function mayDescribeAnotherObject(cached: CacheEntry, objectUid: string | undefined): boolean {
  if (!objectUid) return false;
  switch (cached.state) {
    case 'found':
      return cached.meta.uid !== undefined && cached.meta.uid !== objectUid;
    case 'gone':
      // Gone for this uid stays gone; a 404 for another (or an unknown) uid says nothing about this one.
      return cached.uid !== objectUid;
    case 'failed':
      // A 403 or 500 is about the kind or the server, not about which object has the name.
      return false;
  }
}

function ownerRef(o: OwnerReference): OwnerReference {
  const ref: OwnerReference = { apiVersion: o.apiVersion, kind: o.kind, name: o.name, uid: o.uid };
  if (o.controller !== undefined) ref.controller = o.controller;
  return ref;
}
