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

  /**
   * Creates an events.k8s.io/v1 Event with a series, as client-go's new recorder does for a
   * repeated event; returns it as the core/v1 view the exporter watches.
   */
  async createSeries(
    namespace: string,
    f: { reason: string; type: string; objectName: string; count: number; firstAt: Date; lastAt: Date },
  ): Promise<RawEvent> {
    const name = `${f.objectName}.${randomUUID().slice(0, 12)}`;
    await this.api.sendJson('POST', `/apis/events.k8s.io/v1/namespaces/${namespace}/events`, {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name, namespace },
      eventTime: microTime(f.firstAt),
      series: { count: f.count, lastObservedTime: microTime(f.lastAt) },
      reportingController: 'kubelet',
      reportingInstance: 'node-1',
      action: 'Restarting',
      reason: f.reason,
      type: f.type,
      note: `${f.reason} happened`,
      regarding: { kind: 'Pod', namespace, name: f.objectName, apiVersion: 'v1' },
    });
    return this.api.getJson<RawEvent>(`/api/v1/namespaces/${namespace}/events/${name}`);
  }

  /** Moves an events.k8s.io/v1 Event's series on, as the recorder does when the event repeats. */
  async updateSeries(event: RawEvent, count: number, lastAt: Date): Promise<void> {
    const path = `/apis/events.k8s.io/v1/namespaces/${event.metadata.namespace}/events/${event.metadata.name}`;
    const current = await this.api.getJson<Record<string, unknown>>(path);
    await this.api.sendJson('PUT', path, { ...current, series: { count, lastObservedTime: microTime(lastAt) } });
  }

  /** Raises the count as kubelet does for a repeated event, returning the stored Event. */
  async bump(event: RawEvent, by = 1): Promise<RawEvent> {
    const path = `/api/v1/namespaces/${event.metadata.namespace}/events/${event.metadata.name}`;
    const current = await this.api.getJson<RawEvent>(path);
    const next = { ...current, count: (current.count ?? 1) + by, lastTimestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') };
    return this.api.sendJson<RawEvent>('PUT', path, next);
  }

  /** Changes the Event without a new occurrence (an annotation): a MODIFIED whose count stays. */
  async touch(event: RawEvent): Promise<RawEvent> {
    const path = `/api/v1/namespaces/${event.metadata.namespace}/events/${event.metadata.name}`;
    const current = await this.api.getJson<RawEvent & { metadata: { annotations?: Record<string, string> } }>(path);
    const annotations = { ...current.metadata.annotations, 'test.kube-eventline.dev/touched': new Date().toISOString() };
    return this.api.sendJson<RawEvent>('PUT', path, { ...current, metadata: { ...current.metadata, annotations } });
  }

  async remove(event: RawEvent): Promise<void> {
    await this.api.sendJson('DELETE', `/api/v1/namespaces/${event.metadata.namespace}/events/${event.metadata.name}`, {});
  }
}

/** metav1.MicroTime: RFC 3339 with exactly six fractional digits. */
function microTime(at: Date): string {
  return at.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
