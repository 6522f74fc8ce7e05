import type { ObjectEnrichment } from '../line/build-line.js';
import type { OwnerReference, RawEvent, WorkloadRef } from '../line/event-line.js';
import { KubeApiError, type KubeHttp } from '../watch/kube-http.js';
import { LruCache } from './lru-cache.js';
import { ResourcePaths } from './resource-paths.js';
import { TokenBucket } from './token-bucket.js';

export interface EnricherOptions {
  cacheSize: number;
  cacheTtlMs: number;
  annotations: boolean;
  qps: number;
  burst: number;
}

interface ObjectMeta {
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
}

type LookupResult = { found: true; meta: ObjectMeta } | { found: false };
export type LookupOutcome = 'hit' | 'miss' | 'not_found' | 'error' | 'throttled';

/** Owners worth following to name the workload: Pod → ReplicaSet → Deployment, Pod → Job → CronJob. */
const FOLLOW_OWNER_OF = new Set(['ReplicaSet', 'Job']);
const MAX_OWNER_HOPS = 2;

/**
 * Looks up the Event's involved object for labels, annotations, owners and the owning workload.
 * Bounded cache, one request in flight per object, a client-side rate limit; a failed or
 * throttled lookup gives a line without enrichment, never a lost or delayed-forever line.
 */
export class Enricher {
  private readonly cache: LruCache<LookupResult>;
  private readonly inFlight = new Map<string, Promise<LookupResult | undefined>>();
  private readonly paths: ResourcePaths;
  private readonly bucket: TokenBucket;

  constructor(
    private readonly api: KubeHttp,
    private readonly options: EnricherOptions,
    private readonly count: (outcome: LookupOutcome) => void = () => {},
  ) {
    this.cache = new LruCache(options.cacheSize, options.cacheTtlMs);
    this.paths = new ResourcePaths(api);
    this.bucket = new TokenBucket(options.qps, options.burst);
  }

  async enrich(event: RawEvent): Promise<ObjectEnrichment | undefined> {
    const obj = event.involvedObject;
    if (!obj?.kind || !obj.name) return undefined;
    const apiVersion = obj.apiVersion || 'v1';
    const result = await this.lookup(apiVersion, obj.kind, obj.namespace, obj.name, obj.uid);
    if (!result) return undefined;
    if (!result.found) return { deleted: true };
    const { meta } = result;
    const enrichment: ObjectEnrichment = {};
    if (meta.labels) enrichment.labels = meta.labels;
    if (this.options.annotations && meta.annotations) enrichment.annotations = meta.annotations;
    if (meta.ownerReferences?.length) enrichment.ownerReferences = meta.ownerReferences.map(ownerRef);
    const workload = await this.workloadOf(obj.kind, obj.name, obj.namespace, meta, 0);
    if (workload) enrichment.workload = workload;
    return enrichment;
  }

  private async workloadOf(kind: string, name: string, namespace: string | undefined, meta: ObjectMeta, hops: number): Promise<WorkloadRef | undefined> {
    const controller = meta.ownerReferences?.find((o) => o.controller) ?? meta.ownerReferences?.[0];
    if (!controller) return kind === 'Pod' || kind === 'Node' ? undefined : { kind, name };
    if (!FOLLOW_OWNER_OF.has(controller.kind) || hops >= MAX_OWNER_HOPS) return { kind: controller.kind, name: controller.name };
    const owner = await this.lookup(controller.apiVersion, controller.kind, namespace, controller.name, controller.uid);
    if (!owner?.found) return { kind: controller.kind, name: controller.name };
    return this.workloadOf(controller.kind, controller.name, namespace, owner.meta, hops + 1);
  }

  private async lookup(apiVersion: string, kind: string, namespace: string | undefined, name: string, uid: string | undefined): Promise<LookupResult | undefined> {
    const key = `${apiVersion}/${kind}/${namespace ?? ''}/${name}`;
    const cached = this.cache.get(key);
    // A cached object with another uid is an older object of the same name: look again.
    if (cached && (!cached.found || !uid || !cached.meta.uid || cached.meta.uid === uid)) {
      this.count('hit');
      return cached;
    }
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    if (!this.bucket.tryTake()) {
      this.count('throttled');
      return undefined;
    }
    const request = this.fetch(apiVersion, kind, namespace, name).then((result) => {
      if (result) this.cache.set(key, result);
      return result;
    });
    this.inFlight.set(key, request);
    try {
      return await request;
    } finally {
      this.inFlight.delete(key);
    }
  }

  private async fetch(apiVersion: string, kind: string, namespace: string | undefined, name: string): Promise<LookupResult | undefined> {
    try {
      const path = await this.paths.path(apiVersion, kind, namespace, name);
      if (!path) {
        this.count('error');
        return undefined;
      }
      const object = await this.api.getJson<{ metadata?: ObjectMeta }>(path);
      this.count('miss');
      return { found: true, meta: object.metadata ?? {} };
    } catch (err) {
      if (err instanceof KubeApiError && err.statusCode === 404) {
        this.count('not_found');
        return { found: false };
      }
      this.count('error');
      return undefined;
    }
  }
}

function ownerRef(o: OwnerReference): OwnerReference {
  const ref: OwnerReference = { apiVersion: o.apiVersion, kind: o.kind, name: o.name, uid: o.uid };
  if (o.controller !== undefined) ref.controller = o.controller;
  return ref;
}
