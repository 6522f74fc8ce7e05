import { KubeApiError, type KubeHttp } from '../watch/kube-http.js';
import {
  type Checkpoint,
  type CheckpointSaved,
  type CheckpointStore,
  CheckpointStoreError,
  CheckpointUnreadableError,
  decodeCheckpoint,
  fitCheckpoint,
  joinCheckpointParts,
} from './checkpoint.js';

/** Format 2 (packed, gzip) in `binaryData`; format 1 (JSON, gzip, base64) was text in `data`. */
const BINARY_KEY = 'checkpoint.gz';
const LEGACY_DATA_KEY = 'checkpoint.json.gz.b64';
/**
 * A ConfigMap holds at most 1 MiB of data, binaryData counted decoded; leave room for metadata
 * (etcd's request limit is 1.5 MiB for the whole object).
 */
const MAX_SHARD_BYTES = 960 * 1024;
/**
 * How many ConfigMaps one checkpoint may take: the configured one and `<name>-1` … `<name>-4`
 * (deploy/exporter/rbac.yaml grants exactly those names). Five hold about 710,000 Events (measured), more than the
 * default tracking.maxEvents, so trimming is the exception.
 */
export const MAX_CHECKPOINT_SHARDS = 5;

interface ConfigMap {
  apiVersion: 'v1';
  kind: 'ConfigMap';
  metadata: { name: string; namespace: string; resourceVersion?: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
}

/** The name of shard `index` of the checkpoint ConfigMap `name` (0 is the configured ConfigMap itself). */
export function checkpointShardName(name: string, index: number): string {
  return index === 0 ? name : `${name}-${index}`;
}

/**
 * The checkpoint in ConfigMaps: the configured one, and more named after it when one is not
 * enough (RBAC: get/update/delete on those names, create in the namespace). Each shard holds the
 * Events of one slice of the hash range; the configured ConfigMap, written last, says how many
 * shards there are. A crash between shard writes leaves some shards one save older than others:
 * each is still a whole checkpoint of its own Events, so that costs repeats, never losses.
 */
export class ConfigMapCheckpointStore implements CheckpointStore {
  private readonly resourceVersions = new Map<number, string>();
  /** Shards that may exist (a crash may have left more than the last checkpoint counts): those past the next save's are deleted after it. */
  private shardsInStore: number;

  /** `maxShardBytes`: a smaller limit than a ConfigMap's lets tests trim and shard without hundreds of thousands of Events. */
  constructor(
    private readonly api: KubeHttp,
    private readonly namespace: string,
    private readonly name: string,
    private readonly maxShardBytes = MAX_SHARD_BYTES,
    private readonly maxShards = MAX_CHECKPOINT_SHARDS,
  ) {
    this.shardsInStore = maxShards;
  }

  get description(): string {
    return `ConfigMap ${this.namespace}/${this.name}`;
  }

  private path(index: number): string {
    return `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/configmaps/${encodeURIComponent(checkpointShardName(this.name, index))}`;
  }

  async load(): Promise<Checkpoint | undefined> {
    const primary = await this.read(0);
    if (!primary) return undefined;
    const encoded = primary.binaryData?.[BINARY_KEY];
    if (encoded === undefined) {
      const legacy = primary.data?.[LEGACY_DATA_KEY];
      return legacy ? decodeCheckpoint(legacy, this.description) : undefined;
    }
    const first = decodeCheckpoint(Buffer.from(encoded, 'base64'), this.description);
    const shards = Math.min(first.shard?.of ?? 1, this.maxShards);
    const parts = [first];
    for (let index = 1; index < shards; index++) {
      const where = `ConfigMap ${this.namespace}/${checkpointShardName(this.name, index)}`;
      const shard = await this.read(index);
      const data = shard?.binaryData?.[BINARY_KEY];
      // Only a hand can delete a shard the configured ConfigMap counts (shards are written before it).
      if (data === undefined) throw new CheckpointUnreadableError(`checkpoint in ${this.description} has ${shards} shards, but ${where} is missing or empty`);
      parts.push(decodeCheckpoint(Buffer.from(data, 'base64'), where));
    }
    return joinCheckpointParts(parts);
  }

  async save(checkpoint: Checkpoint): Promise<CheckpointSaved> {
    const { parts, droppedEntries, trimmedScopes } = fitCheckpoint(checkpoint, this.maxShardBytes, this.maxShards);
    // The other shards first, the configured ConfigMap (which says how many there are) last.
    for (let index = parts.length - 1; index >= 0; index--) {
      try {
        await this.write(index, parts[index]!);
      } catch (err) {
        const name = `ConfigMap ${this.namespace}/${checkpointShardName(this.name, index)}`;
        throw new CheckpointStoreError(`cannot save the checkpoint in ${name}${rbacHint(err, 'create and update')}`, err);
      }
    }
    for (let index = parts.length; index < this.shardsInStore; index++) await this.remove(index);
    this.shardsInStore = parts.length;
    return { droppedEntries, trimmedScopes };
  }

  private async read(index: number): Promise<ConfigMap | undefined> {
    try {
      const cm = await this.api.getJson<ConfigMap>(this.path(index));
      if (cm.metadata.resourceVersion) this.resourceVersions.set(index, cm.metadata.resourceVersion);
      return cm;
    } catch (err) {
      if (err instanceof KubeApiError && err.statusCode === 404) return undefined;
      throw new CheckpointStoreError(
        `cannot read the checkpoint ConfigMap ${this.namespace}/${checkpointShardName(this.name, index)}${rbacHint(err, 'get')}`,
        err,
      );
    }
  }

  /** A shard no longer needed (the checkpoint shrank): gone, so no stale copy outlives it. */
  private async remove(index: number): Promise<void> {
    try {
      await this.api.sendJson('DELETE', this.path(index), {});
    } catch (err) {
      if (err instanceof KubeApiError && err.statusCode === 404) return;
      throw new CheckpointStoreError(
        `cannot delete the unused checkpoint ConfigMap ${this.namespace}/${checkpointShardName(this.name, index)}${rbacHint(err, 'delete')}`,
        err,
      );
    } finally {
      this.resourceVersions.delete(index);
    }
  }

  private async write(index: number, encoded: Buffer): Promise<void> {
    const name = checkpointShardName(this.name, index);
    const body: ConfigMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: this.namespace, labels: { 'app.kubernetes.io/name': 'kube-eventline' } },
      binaryData: { [BINARY_KEY]: encoded.toString('base64') },
    };
    if (!this.resourceVersions.has(index)) {
      try {
        const created = await this.api.sendJson<ConfigMap>('POST', `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/configmaps`, body);
        this.resourceVersions.set(index, created.metadata.resourceVersion!);
        return;
      } catch (err) {
        if (!(err instanceof KubeApiError && err.statusCode === 409)) throw err;
      }
    }
    // This exporter is the only writer (leader election keeps it so): a conflict means our
    // resourceVersion is stale, not that someone else's data must be kept. A PUT without
    // resourceVersion replaces unconditionally.
    try {
      const updated = await this.api.sendJson<ConfigMap>('PUT', this.path(index), body);
      this.resourceVersions.set(index, updated.metadata.resourceVersion!);
    } catch (err) {
      if (!(err instanceof KubeApiError && err.statusCode === 404)) throw err;
      this.resourceVersions.delete(index); // deleted meanwhile: create it again
      await this.write(index, encoded);
    }
  }
}

/** A 403 is nearly always RBAC: say which verbs the ServiceAccount lacks. */
function rbacHint(err: unknown, verbs: string): string {
  return err instanceof KubeApiError && err.statusCode === 403 ? ` (the exporter's ServiceAccount needs ${verbs} on it)` : '';
}
