import { KubeApiError, type KubeHttp } from '../watch/kube-http.js';
import { type Checkpoint, type CheckpointSaved, type CheckpointStore, CheckpointStoreError, decodeCheckpoint, fitCheckpoint } from './checkpoint.js';

const DATA_KEY = 'checkpoint.json.gz.b64';
/** A ConfigMap holds at most 1 MiB in all; leave room for metadata. */
const MAX_ENCODED_BYTES = 900 * 1024;

interface ConfigMap {
  apiVersion: 'v1';
  kind: 'ConfigMap';
  metadata: { name: string; namespace: string; resourceVersion?: string; labels?: Record<string, string> };
  data?: Record<string, string>;
}

/** The checkpoint in one ConfigMap (RBAC: get/update on that name, create in the namespace). */
export class ConfigMapCheckpointStore implements CheckpointStore {
  private resourceVersion: string | undefined;

  /** `maxEncodedBytes`: a smaller limit than a ConfigMap's lets tests trim without tens of thousands of Events. */
  constructor(
    private readonly api: KubeHttp,
    private readonly namespace: string,
    private readonly name: string,
    private readonly maxEncodedBytes = MAX_ENCODED_BYTES,
  ) {}

  get description(): string {
    return `ConfigMap ${this.namespace}/${this.name}`;
  }

  private get path(): string {
    return `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/configmaps/${encodeURIComponent(this.name)}`;
  }

  async load(): Promise<Checkpoint | undefined> {
    let cm: ConfigMap;
    try {
      cm = await this.api.getJson<ConfigMap>(this.path);
    } catch (err) {
      if (err instanceof KubeApiError && err.statusCode === 404) return undefined;
      throw new CheckpointStoreError(`cannot read the checkpoint ${this.description}${rbacHint(err, 'get')}`, err);
    }
    this.resourceVersion = cm.metadata.resourceVersion;
    const encoded = cm.data?.[DATA_KEY];
    return encoded ? decodeCheckpoint(encoded, this.description) : undefined;
  }

  async save(checkpoint: Checkpoint): Promise<CheckpointSaved> {
    const { encoded, droppedEntries, trimmedScopes } = fitCheckpoint(checkpoint, this.maxEncodedBytes);
    try {
      await this.write(encoded);
    } catch (err) {
      throw new CheckpointStoreError(`cannot save the checkpoint in ${this.description}${rbacHint(err, 'create and update')}`, err);
    }
    return { droppedEntries, trimmedScopes };
  }

  private async write(encoded: string): Promise<void> {
    const body: ConfigMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: this.name, namespace: this.namespace, labels: { 'app.kubernetes.io/name': 'kube-eventline' } },
      data: { [DATA_KEY]: encoded },
    };
    if (this.resourceVersion === undefined) {
      try {
        const created = await this.api.sendJson<ConfigMap>('POST', `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/configmaps`, body);
        this.resourceVersion = created.metadata.resourceVersion;
        return;
      } catch (err) {
        if (!(err instanceof KubeApiError && err.statusCode === 409)) throw err;
      }
    }
    // This exporter is the only writer (leader election keeps it so): a conflict means our
    // resourceVersion is stale, not that someone else's data must be kept.
    try {
      const updated = await this.api.sendJson<ConfigMap>('PUT', this.path, body);
      this.resourceVersion = updated.metadata.resourceVersion;
    } catch (err) {
      if (!(err instanceof KubeApiError && err.statusCode === 409)) throw err;
      const current = await this.api.getJson<ConfigMap>(this.path);
      body.metadata.resourceVersion = current.metadata.resourceVersion;
      const updated = await this.api.sendJson<ConfigMap>('PUT', this.path, body);
      this.resourceVersion = updated.metadata.resourceVersion;
    }
  }
}

/** A 403 is nearly always RBAC: say which verbs the ServiceAccount lacks. */
function rbacHint(err: unknown, verbs: string): string {
  return err instanceof KubeApiError && err.statusCode === 403 ? ` (the exporter's ServiceAccount needs ${verbs} on it)` : '';
}
