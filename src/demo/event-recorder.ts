import { randomInt } from 'node:crypto';
import { resourceForKind } from './api-resources.js';
import { type ObjectRef, readObject } from './cluster-objects.js';
import { type ApiObject, microsTimestamp, type ObjectStore, secondsTimestamp } from './object-store.js';

/**
 * How the reporter writes its Events, which decides their shape:
 * - `core`: client-go's tools/record (kubelet, controllers, node-problem-detector): `source`,
 *   first/lastTimestamp, a cumulative `count`, no eventTime.
 * - `events-api`: events.k8s.io/v1 (kube-scheduler): eventTime with microseconds, null
 *   first/lastTimestamp, `source: {}`, an `action`, and repeats counted in `series`.
 */
export type ReporterStyle = 'core' | 'events-api';

export interface Reporter {
  component: string;
  /** The node, for kubelet and node-problem-detector. */
  host?: string;
  style: ReporterStyle;
  /** events-api only, e.g. 'default-scheduler-sim-control-plane'. */
  instance?: string;
}

export interface EventSpec {
  regarding: ObjectRef;
  /** `spec.containers{name}` for container events. */
  fieldPath?: string;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  reporter: Reporter;
  /** events-api only: 'Binding', 'Scheduling'. */
  action?: string;
  /**
   * Kubelet and node-problem-detector refer to their Node by name only (uid = node name, no
   * apiVersion/resourceVersion); controllers use the object's real uid.
   */
  nodeReferenceByName?: boolean;
}

/** A recorded Event, to repeat or expire later. */
export interface RecordedEvent {
  namespace: string;
  name: string;
  style: ReporterStyle;
}

export interface OccurrenceTotals {
  eventsCreated: number;
  eventsModified: number;
  /** Of Events. */
  occurrences: number;
  /** Container failures the Pod status shows (no Event holds them: the exporter's podFailures reads them). */
  containerFailures: number;
}

/**
 * Writes Events into the store the way Kubernetes reporters do, and keeps the true totals:
 * every occurrence the scenario makes, including those of Events deleted later.
 */
export class EventRecorder {
  private readonly totals: OccurrenceTotals = { eventsCreated: 0, eventsModified: 0, occurrences: 0, containerFailures: 0 };
  private nameSequence = 0;
  private readonly events = resourceForKind('v1', 'Event');

  constructor(private readonly store: ObjectStore) {}

  record(spec: EventSpec): RecordedEvent {
    const now = new Date();
    const namespace = spec.regarding.namespace ?? 'default';
    const name = this.eventName(namespace, spec.regarding.name, now);
    const metadata = { name, namespace };
    const involvedObject = this.involvedObject(spec);
    const common = { metadata, involvedObject, reason: spec.reason, message: spec.message };
    const event: ApiObject =
      spec.reporter.style === 'core'
        ? {
            ...common,
            source: { component: spec.reporter.component, ...(spec.reporter.host ? { host: spec.reporter.host } : {}) },
            firstTimestamp: secondsTimestamp(now),
            lastTimestamp: secondsTimestamp(now),
            count: 1,
            type: spec.type,
            eventTime: null,
            reportingComponent: spec.reporter.component,
            reportingInstance: spec.reporter.host ?? '',
          }
        : {
            ...common,
            source: {},
            firstTimestamp: null,
            lastTimestamp: null,
            type: spec.type,
            eventTime: microsTimestamp(now, randomInt(1000)),
            ...(spec.action ? { action: spec.action } : {}),
            reportingComponent: spec.reporter.component,
            reportingInstance: spec.reporter.instance ?? spec.reporter.component,
          };
    this.store.create(this.events, event);
    this.totals.eventsCreated += 1;
    this.totals.occurrences += 1;
    return { namespace, name, style: spec.reporter.style };
  }

  /**
   * `times` more occurrences of a recorded Event in one update: `count` grows for core Events,
   * `series.count` (starting at 2, as the events library does) for events-api ones.
   */
  repeat(recorded: RecordedEvent, times = 1): ApiObject {
    if (!Number.isInteger(times) || times < 1) throw new Error(`repeat needs a positive whole number of occurrences, got ${times}`);
    const current = this.store.get(this.events, recorded.namespace, recorded.name);
    if (!current) throw new Error(`event ${recorded.namespace}/${recorded.name} is gone`);
    const now = new Date();
    let updated: ApiObject;
    if (recorded.style === 'core') {
      updated = { ...current, lastTimestamp: secondsTimestamp(now), count: Number(current.count ?? 1) + times };
    } else {
      const series = current.series as { count: number } | undefined;
      const { action, reportingComponent, reportingInstance, ...head } = current;
      // series sits between eventTime and action in the API server's JSON; rebuild to keep that order.
      updated = {
        ...head,
        series: { count: (series?.count ?? 1) + times, lastObservedTime: microsTimestamp(now, randomInt(1000)) },
        ...(action !== undefined ? { action } : {}),
        reportingComponent,
        reportingInstance,
      };
    }
    const stored = this.store.update(this.events, updated);
    this.totals.eventsModified += 1;
    this.totals.occurrences += times;
    return stored;
  }

  /** Deletes the Event, as the API server does when its --event-ttl runs out. Its occurrences still count. */
  expire(recorded: RecordedEvent): void {
    this.store.delete(this.events, recorded.namespace, recorded.name);
  }

  /** Counts a failed container instance or a container stuck waiting, which the scenario wrote into a Pod's status. */
  containerFailed(): void {
    this.totals.containerFailures++;
  }

  stats(): OccurrenceTotals {
    return { ...this.totals };
  }

  private involvedObject(spec: EventSpec): Record<string, string> {
    const ref = spec.regarding;
    const fieldPath: Record<string, string> = spec.fieldPath ? { fieldPath: spec.fieldPath } : {};
    if (spec.nodeReferenceByName) return { kind: ref.kind, name: ref.name, uid: ref.name, ...fieldPath };
    const object = readObject(this.store, ref);
    return {
      kind: ref.kind,
      ...(ref.namespace ? { namespace: ref.namespace } : {}),
      name: ref.name,
      uid: object?.metadata.uid ?? '',
      apiVersion: ref.apiVersion,
      resourceVersion: object?.metadata.resourceVersion ?? '',
      ...fieldPath,
    };
  }

  /** `<object>.<hex nanoseconds>`, as client-go names Events; unique even within one millisecond. */
  private eventName(namespace: string, objectName: string, now: Date): string {
    for (;;) {
      const nanos = BigInt(now.getTime()) * 1_000_000n + BigInt((this.nameSequence++ * 7919 + randomInt(7919)) % 1_000_000);
      const name = `${objectName}.${nanos.toString(16)}`;
      if (!this.store.get(this.events, namespace, name)) return name;
    }
  }
}
