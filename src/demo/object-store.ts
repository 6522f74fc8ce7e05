import { randomUUID } from 'node:crypto';
import { type ApiResource, groupVersionOf, storageKeyOf } from './api-resources.js';
import { ApiStatusError, alreadyExists, conflict, notFound, tooOldResourceVersion } from './api-status.js';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }>;
  [key: string]: unknown;
}

export interface ApiObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoredChange {
  type: ChangeType;
  /** The object as it was right after the change (for DELETED: its last state, with a fresh resourceVersion, as etcd reports it). */
  object: ApiObject;
  resourceVersion: number;
}

export type ChangeListener = (change: StoredChange) => void;

interface Collection {
  objects: Map<string, ApiObject>;
  /** Changes newer than `compactedThrough`, oldest first: the watch window. */
  history: StoredChange[];
  compactedThrough: number;
  listeners: Set<ChangeListener>;
}

export interface ObjectStoreOptions {
  /** How many changes per resource a watch can resume from; older resourceVersions get 410 Gone. */
  historyLimit: number;
  /** Resource versions start above this, so that small numbers are "too old" as on a long-running server. */
  initialResourceVersion: number;
}

/**
 * In-memory objects with one cluster-wide resourceVersion counter (like etcd's revision), uids,
 * creationTimestamps and, per resource, a bounded history of changes for watches.
 */
export class ObjectStore {
  private resourceVersion: number;
  private readonly collections = new Map<string, Collection>();

  constructor(private readonly options: ObjectStoreOptions) {
    this.resourceVersion = options.initialResourceVersion;
  }

  get currentResourceVersion(): number {
    return this.resourceVersion;
  }

  get(resource: ApiResource, namespace: string | undefined, name: string): ApiObject | undefined {
    const found = this.collection(resource).objects.get(objectKey(resource, namespace, name));
    return found ? structuredClone(found) : undefined;
  }

  /** Objects sorted by namespace then name, as etcd's key order returns them. */
  list(resource: ApiResource, namespace?: string): ApiObject[] {
    const objects = this.collection(resource).objects;
    const keys = [...objects.keys()].sort();
    return keys
      .map((key) => objects.get(key)!)
      .filter((o) => namespace === undefined || o.metadata.namespace === namespace)
      .map((o) => structuredClone(o));
  }

  create(resource: ApiResource, object: ApiObject): ApiObject {
    const collection = this.collection(resource);
    const key = objectKey(resource, object.metadata.namespace, object.metadata.name);
    if (collection.objects.has(key)) throw new ApiStatusError(alreadyExists(resource.plural, resource.group, object.metadata.name));
    const stored = this.stamp(resource, object);
    stored.metadata.uid ??= randomUUID();
    stored.metadata.creationTimestamp ??= secondsTimestamp(new Date());
    collection.objects.set(key, stored);
    this.record(collection, 'ADDED', stored);
    return structuredClone(stored);
  }

  /**
   * Replaces an object. With `requireMatchingVersion`, a resourceVersion in the body that is not
   * the current one fails with 409 Conflict (optimistic concurrency, as a PUT does).
   */
  update(resource: ApiResource, object: ApiObject, requireMatchingVersion = false): ApiObject {
    const collection = this.collection(resource);
    const key = objectKey(resource, object.metadata.namespace, object.metadata.name);
    const current = collection.objects.get(key);
    if (!current) throw new ApiStatusError(notFound(resource.plural, resource.group, object.metadata.name));
    const sentVersion = object.metadata.resourceVersion;
    if (requireMatchingVersion && sentVersion && sentVersion !== current.metadata.resourceVersion) {
      throw new ApiStatusError(conflict(resource.plural, resource.group, object.metadata.name));
    }
    const stored = this.stamp(resource, object);
    // Identity fields belong to the server, whatever the client sent.
    stored.metadata.uid = current.metadata.uid;
    stored.metadata.creationTimestamp = current.metadata.creationTimestamp;
    collection.objects.set(key, stored);
    this.record(collection, 'MODIFIED', stored);
    return structuredClone(stored);
  }

  delete(resource: ApiResource, namespace: string | undefined, name: string): ApiObject {
    const collection = this.collection(resource);
    const key = objectKey(resource, namespace, name);
    const current = collection.objects.get(key);
    if (!current) throw new ApiStatusError(notFound(resource.plural, resource.group, name));
    collection.objects.delete(key);
    const last = structuredClone(current);
    last.metadata.resourceVersion = String(++this.resourceVersion);
    this.record(collection, 'DELETED', last);
    return structuredClone(last);
  }

  /**
   * Changes after `since` in order, for a watch resuming there.
   * Throws 410 Expired when some of them have already left the window.
   */
  changesSince(resource: ApiResource, since: number): StoredChange[] {
    const collection = this.collection(resource);
    if (since < collection.compactedThrough) {
      throw new ApiStatusError(tooOldResourceVersion(since, collection.compactedThrough));
    }
    return collection.history.filter((c) => c.resourceVersion > since).map((c) => structuredClone(c));
  }

  /** Calls `listener` synchronously after every change of the resource; returns the unsubscribe. */
  subscribe(resource: ApiResource, listener: ChangeListener): () => void {
    const listeners = this.collection(resource).listeners;
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  private stamp(resource: ApiResource, object: ApiObject): ApiObject {
    const { kind: _kind, apiVersion: _apiVersion, ...fields } = structuredClone(object);
    // kind and apiVersion lead, as in the API server's JSON.
    const stored: ApiObject = { kind: resource.kind, apiVersion: groupVersionOf(resource), ...fields };
    if (!resource.namespaced) delete stored.metadata.namespace;
    stored.metadata.resourceVersion = String(++this.resourceVersion);
    return stored;
  }

  private record(collection: Collection, type: ChangeType, object: ApiObject): void {
    const change: StoredChange = { type, object: structuredClone(object), resourceVersion: Number(object.metadata.resourceVersion) };
    collection.history.push(change);
    while (collection.history.length > this.options.historyLimit) {
      collection.compactedThrough = collection.history.shift()!.resourceVersion;
    }
    for (const listener of collection.listeners) listener(structuredClone(change));
  }

  private collection(resource: ApiResource): Collection {
    const key = storageKeyOf(resource);
    let collection = this.collections.get(key);
    if (!collection) {
      collection = {
        objects: new Map(),
        history: [],
        compactedThrough: this.options.initialResourceVersion,
        listeners: new Set(),
      };
      this.collections.set(key, collection);
    }
    return collection;
  }
}

function objectKey(resource: ApiResource, namespace: string | undefined, name: string): string {
  return resource.namespaced ? `${namespace ?? ''}/${name}` : name;
}

/** metav1.Time: RFC 3339 with whole seconds. */
export function secondsTimestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** metav1.MicroTime: RFC 3339 with microseconds, as the scheduler's eventTime. */
export function microsTimestamp(date: Date, micros = 0): string {
  const fraction = String(date.getUTCMilliseconds() * 1000 + (micros % 1000)).padStart(6, '0');
  return `${date.toISOString().slice(0, 19)}.${fraction}Z`;
}
