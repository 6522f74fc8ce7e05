import { randomUUID } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import type { RawEvent } from '../../src/line/event-line.js';
import { KubeHttp } from '../../src/watch/kube-http.js';

/** Creates and bumps core/v1 Events as raw JSON, the way kubelet's recorder does. */
export class EventWriter {
  readonly api: KubeHttp;
  constructor(kubeConfig: KubeConfig) {
    this.api = new KubeHttp(kubeConfig);
  }

  async namespace(prefix: string): Promise<string> {
    const name = `${prefix}-${randomUUID().slice(0, 8)}`;
    await this.api.sendJson('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    return name;
  }

  async create(namespace: string, fields: Partial<RawEvent> & { reason: string; objectName?: string; kind?: string }, at = new Date()): Promise<RawEvent> {
    const { objectName = 'pod-a', kind = 'Pod', ...rest } = fields;
    const ts = at.toISOString().replace(/\.\d{3}Z$/, 'Z');
    const body = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${objectName}.${randomUUID().slice(0, 12)}`, namespace },
      involvedObject: { kind, namespace: kind === 'Node' ? '' : namespace, name: objectName, apiVersion: 'v1' },
      type: 'Normal',
      message: `${fields.reason} happened`,
      source: { component: 'kubelet', host: 'node-1' },
      firstTimestamp: ts,
      lastTimestamp: ts,
      count: 1,
      ...rest,
    };
    return this.api.sendJson<RawEvent>('POST', `/api/v1/namespaces/${namespace}/events`, body);
  }

  /** Raises the count as kubelet does for a repeated event, returning the stored Event. */
  async bump(event: RawEvent, by = 1): Promise<RawEvent> {
    const path = `/api/v1/namespaces/${event.metadata.namespace}/events/${event.metadata.name}`;
    const current = await this.api.getJson<RawEvent>(path);
    const next = { ...current, count: (current.count ?? 1) + by, lastTimestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') };
    return this.api.sendJson<RawEvent>('PUT', path, next);
  }

  async remove(event: RawEvent): Promise<void> {
    await this.api.sendJson('DELETE', `/api/v1/namespaces/${event.metadata.namespace}/events/${event.metadata.name}`, {});
  }
}
