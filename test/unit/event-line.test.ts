import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LEVELS } from '../../src/grade/levels.js';
import { buildLine } from '../../src/line/build-line.js';
import { CLUSTER_SCOPED_NAMESPACE, type RawEvent } from '../../src/line/event-line.js';
import { occurrenceCount } from '../../src/line/occurrence.js';
import { failureEvent } from '../../src/pods/failure-event.js';
import { scanPod } from '../../src/pods/pod-failures.js';
import { summarizePod } from '../../src/pods/pod-summary.js';
import { realEvents, repoPath } from '../support/real-events.js';

/** The field table of docs/event-line.md: the one definition of the line. */
function documentedFields(): { topLevel: Set<string>; involvedObject: Set<string>; container: Set<string> } {
  const doc = readFileSync(repoPath('docs', 'event-line.md'), 'utf8');
  const topLevel = new Set<string>();
  for (const row of doc.split('\n').filter((l) => l.startsWith('| `'))) {
    const cell = row.split('|')[1] ?? '';
    for (const m of cell.matchAll(/`([A-Za-z]+)`/g)) topLevel.add(m[1]!);
  }
  const involvedRow = doc.split('\n').find((l) => l.startsWith('| `involvedObject`')) ?? '';
  const involvedObject = new Set([...(involvedRow.split('|')[3] ?? '').matchAll(/`([A-Za-z]+)(?::[^`]*)?`/g)].map((m) => m[1]!));
  const container = new Set<string>();
  for (const row of doc.split('\n').filter((l) => l.startsWith('| `container.'))) {
    for (const m of (row.split('|')[1] ?? '').matchAll(/`container\.([A-Za-z]+)`/g)) container.add(m[1]!);
  }
  return { topLevel, involvedObject, container };
}

const context = { clusterName: 'test', maxMessageBytes: 4096 };

describe('the event line of docs/event-line.md', () => {
  const fields = documentedFields();
  const events = realEvents();

  it('documents the fields the exporter writes', () => {
    expect(fields.topLevel).toContain('delta');
    expect(fields.topLevel).toContain('involvedObject');
    expect(fields.involvedObject).toContain('workload');
  });

  it('every real Event gives a line whose every field is documented and well-typed', () => {
    expect(events.length).toBe(302);
    for (const event of events) {
      const line = JSON.parse(JSON.stringify(buildLine(event, 'warning', 1, context))) as Record<string, unknown>;
      for (const key of Object.keys(line)) expect(fields.topLevel, `undocumented field ${key}`).toContain(key);
      for (const key of Object.keys(line.involvedObject as object)) expect(fields.involvedObject, `undocumented involvedObject.${key}`).toContain(key);
      expect(LEVELS).toContain(line.level);
      expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(Number.isInteger(line.count) && (line.count as number) >= 1).toBe(true);
      expect(typeof line.namespace === 'string' && line.namespace.length > 0).toBe(true);
      expect(line.clusterName).toBe('test');
      expect(line.reason).toBe(event.reason ?? '');
    }
  });

  it('a pod failure line: every field documented, container facts in the container table, the Pod as involvedObject', () => {
    const pod = summarizePod({
      metadata: { name: 'api-1', namespace: 'shop', uid: 'p-uid', resourceVersion: '7', creationTimestamp: '2026-12-03T10:00:00Z' },
      spec: { nodeName: 'node-3' },
      status: {
        startTime: '2026-12-03T10:00:01Z',
        initContainerStatuses: [{ name: 'init', restartCount: 0, state: { terminated: { reason: 'Completed', exitCode: 0 } } }],
        containerStatuses: [
          {
            name: 'api',
            image: 'shop/api:1',
            restartCount: 3,
            state: { waiting: { reason: 'CrashLoopBackOff' } },
            lastState: { terminated: { reason: 'OOMKilled', exitCode: 137, startedAt: '2026-12-03T10:50:00Z', finishedAt: '2026-12-03T11:00:00Z' } },
          },
        ],
      },
    });
    const [failure] = scanPod(pod, { nowMs: Date.parse('2026-12-03T11:00:05Z'), gracePeriodMs: 120_000 }).failures;
    const event = failureEvent(pod, failure!, Date.parse('2026-12-03T11:00:05Z'), 'last\nlines');
    const line = JSON.parse(JSON.stringify(buildLine(event, 'error', 3, context))) as Record<string, unknown> & { container: Record<string, unknown> };
    for (const key of Object.keys(line)) expect(fields.topLevel, `undocumented field ${key}`).toContain(key);
    for (const key of Object.keys(line.involvedObject as object)) expect(fields.involvedObject, `undocumented involvedObject.${key}`).toContain(key);
    expect(Object.keys(line.container).sort()).toEqual([
      'exitCode',
      'finishedAt',
      'image',
      'logTail',
      'name',
      'reason',
      'restartCount',
      'signal',
      'startedAt',
      'type',
    ]);
    for (const key of Object.keys(line.container)) expect(fields.container, `undocumented container.${key}`).toContain(key);
    expect(line).toMatchObject({
      time: '2026-12-03T11:00:00.000Z',
      type: 'Warning',
      reason: 'OOMKilled',
      namespace: 'shop',
      count: 3,
      metadata: { name: 'api-1', namespace: 'shop', uid: 'p-uid/api', resourceVersion: '7', creationTimestamp: '2026-12-03T10:00:00Z' },
      source: { component: 'kube-eventline', host: 'node-3' },
      reportingComponent: 'kube-eventline',
      involvedObject: {
        kind: 'Pod',
        apiVersion: 'v1',
        namespace: 'shop',
        name: 'api-1',
        uid: 'p-uid',
        resourceVersion: '7',
        fieldPath: 'spec.containers{api}',
      },
      container: { name: 'api', type: 'regular', reason: 'OOMKilled', exitCode: 137, signal: 9, restartCount: 3, logTail: 'last\nlines' },
    });
    // An Event line has no container field.
    expect('container' in buildLine(events[0]!, 'info', 1, context)).toBe(false);
  });

  it('keeps kubernetes-event-exporter field values as the Event has them', () => {
    const scheduled = events.find((e) => e.reason === 'Scheduled' && e.eventTime && e.firstTimestamp === null)!;
    const line = buildLine(scheduled, 'info', 1, context);
    expect(line.eventTime).toBe(scheduled.eventTime);
    expect(line.firstTimestamp).toBeNull();
    expect(line.source).toEqual({});
    expect(line.metadata.uid).toBe(scheduled.metadata.uid);
    expect(line.action).toBe(scheduled.action);
    // The scheduler's eventTime has microseconds; `time` is the same instant in milliseconds.
    expect(line.time).toBe(new Date(scheduled.eventTime!).toISOString());
  });

  it('takes count from series.count, else count, else 1', () => {
    const withSeries = events.find((e) => e.series?.count)!;
    expect(occurrenceCount(withSeries)).toBe(withSeries.series!.count);
    const big = events.find((e) => e.count === 13037)!;
    expect(buildLine(big, 'warning', 5, context).count).toBe(13037);
    const bare: RawEvent = { metadata: { uid: 'u', creationTimestamp: '2026-01-01T00:00:00Z' } };
    expect(occurrenceCount(bare)).toBe(1);
    expect(occurrenceCount({ ...bare, count: 0 })).toBe(1);
  });

  it('takes time from series.lastObservedTime, lastTimestamp, eventTime, creationTimestamp in that order', () => {
    const base: RawEvent = { metadata: { uid: 'u', creationTimestamp: '2026-01-01T00:00:04Z' } };
    const t = (e: RawEvent) => buildLine(e, 'info', 1, context).time;
    expect(t(base)).toBe('2026-01-01T00:00:04.000Z');
    expect(t({ ...base, eventTime: '2026-01-01T00:00:03.123456Z' })).toBe('2026-01-01T00:00:03.123Z');
    expect(t({ ...base, eventTime: '2026-01-01T00:00:03.123456Z', lastTimestamp: '2026-01-01T00:00:02Z' })).toBe('2026-01-01T00:00:02.000Z');
    expect(t({ ...base, lastTimestamp: '2026-01-01T00:00:02Z', series: { count: 2, lastObservedTime: '2026-01-01T00:00:01.5Z' } })).toBe(
      '2026-01-01T00:00:01.500Z',
    );
  });

  it('files cluster-scoped objects under the fixed namespace and others under their own', () => {
    const node = events.find((e) => e.involvedObject?.kind === 'Node')!;
    expect(buildLine(node, 'error', 1, context).namespace).toBe(CLUSTER_SCOPED_NAMESPACE);
    const pod = events.find((e) => e.involvedObject?.kind === 'Pod')!;
    expect(buildLine(pod, 'info', 1, context).namespace).toBe(pod.involvedObject!.namespace);
  });

  it('adds enrichment into involvedObject', () => {
    const pod = events.find((e) => e.involvedObject?.kind === 'Pod')!;
    const line = buildLine(pod, 'info', 1, context, { labels: { app: 'x' }, workload: { kind: 'Deployment', name: 'x' } });
    expect(line.involvedObject.name).toBe(pod.involvedObject!.name);
    expect(line.involvedObject.labels).toEqual({ app: 'x' });
    expect(line.involvedObject.workload).toEqual({ kind: 'Deployment', name: 'x' });
  });
});
