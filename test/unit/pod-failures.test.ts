// Failure detection from Pod status: pure functions over the summary src/pods/ keeps of a Pod.
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { failureEvent } from '../../src/pods/failure-event.js';
import { type PodFailureOutlet, PodFailureWatch } from '../../src/pods/pod-failure-watch.js';
import { scanPod, terminationSignal } from '../../src/pods/pod-failures.js';
import { POD_KIND, summarizePod } from '../../src/pods/pod-summary.js';
import { DEFAULT_TRACKER_OPTIONS, OccurrenceTracker } from '../../src/track/occurrence-tracker.js';
import { FAST_PAGE_CHARS, listPages, watchObjects } from '../../src/watch/event-stream.js';
import { eventually } from '../support/capture-sink.js';
import { problemsOf } from '../support/config-problems.js';
import { kubeHttpAt, startFaultServer } from '../support/fake-api.js';

const NOW = Date.parse('2026-12-03T12:00:00Z');
const GRACE = 120_000;

type Status = Record<string, unknown>;

function pod(options: { statuses?: Status[]; init?: Status[]; ephemeral?: Status[]; startedAgoMs?: number; job?: boolean; deleting?: boolean; big?: boolean }) {
  const started = new Date(NOW - (options.startedAgoMs ?? 600_000)).toISOString();
  return {
    metadata: {
      name: 'web-1',
      namespace: 'shop',
      uid: 'pod-uid',
      resourceVersion: '42',
      creationTimestamp: started,
      ...(options.deleting ? { deletionTimestamp: new Date(NOW).toISOString() } : {}),
      ownerReferences: [
        { apiVersion: options.job ? 'batch/v1' : 'apps/v1', kind: options.job ? 'Job' : 'ReplicaSet', name: 'web-abc', uid: 'o', controller: true },
      ],
      ...(options.big
        ? { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': 'x'.repeat(100_000) }, managedFields: [{ manager: 'kubectl' }] }
        : {}),
    },
    spec: { nodeName: 'node-3', containers: [{ name: 'app', image: 'shop/web:1' }] },
    status: {
      startTime: started,
      ...(options.init ? { initContainerStatuses: options.init } : {}),
      containerStatuses: options.statuses ?? [],
      ...(options.ephemeral ? { ephemeralContainerStatuses: options.ephemeral } : {}),
    },
  };
}

const oom = { reason: 'OOMKilled', exitCode: 137, startedAt: '2026-12-03T11:58:00Z', finishedAt: '2026-12-03T11:59:00Z' };
const scan = (p: ReturnType<typeof pod>, nowMs = NOW) => scanPod(summarizePod(p), { nowMs, gracePeriodMs: GRACE });

describe('pod summary', () => {
  it('keeps only what the line needs, not the Pod', () => {
    const summary = summarizePod(
      pod({ big: true, statuses: [{ name: 'app', image: 'shop/web:1', restartCount: 2, state: { running: {} }, lastState: { terminated: oom } }] }),
    );
    expect(JSON.stringify(summary).length).toBeLessThan(600);
    expect(summary).toMatchObject({ uid: 'pod-uid', name: 'web-1', namespace: 'shop', nodeName: 'node-3', deleting: false, ownedByJob: false, evicted: false });
    expect(summary.containers).toEqual([{ name: 'app', type: 'regular', image: 'shop/web:1', restartCount: 2, lastTerminated: oom }]);
  });
});

describe('failure detection', () => {
  it('a terminated container with OOMKilled, exit 137: one failure, counted as the instance it is', () => {
    const { failures } = scan(pod({ statuses: [{ name: 'app', restartCount: 0, state: { terminated: oom } }] }));
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ key: 'pod-uid/app', count: 1, reason: 'OOMKilled', time: oom.finishedAt });
  });

  it('the same instance moved to lastState by a restart keeps its count (one failure, not two)', () => {
    const current = scan(pod({ statuses: [{ name: 'app', restartCount: 3, state: { terminated: oom } }] })).failures[0]!;
    const restarted = scan(
      pod({ statuses: [{ name: 'app', restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: oom } }] }),
    ).failures;
    expect(current.count).toBe(4);
    // The crash loop is the failure's consequence: no second failure for it.
    expect(restarted).toHaveLength(1);
    expect(restarted[0]).toMatchObject({ key: current.key, count: 4, reason: 'OOMKilled' });
  });

  it('init, regular and ephemeral containers, with their types; an empty reason with a non-zero exit is Error', () => {
    const { failures } = scan(
      pod({
        init: [{ name: 'migrate', restartCount: 1, state: { running: {} }, lastState: { terminated: { reason: '', exitCode: 2 } } }],
        statuses: [{ name: 'app', restartCount: 0, state: { terminated: { reason: 'ContainerCannotRun', exitCode: 128 } } }],
        ephemeral: [{ name: 'debug', restartCount: 0, state: { terminated: { reason: 'Error', exitCode: 1 } } }],
      }),
    );
    expect(failures.map((f) => [f.container.name, f.container.type, f.reason])).toEqual([
      ['migrate', 'init', 'Error'],
      ['app', 'regular', 'ContainerCannotRun'],
      ['debug', 'ephemeral', 'Error'],
    ]);
  });

  it('not failures: exit 0 Completed; a Job pod exiting 0 whatever the reason; any container of a pod being deleted', () => {
    expect(scan(pod({ statuses: [{ name: 'app', restartCount: 0, state: { terminated: { reason: 'Completed', exitCode: 0 } } }] })).failures).toEqual([]);
    expect(scan(pod({ job: true, statuses: [{ name: 'app', restartCount: 0, state: { terminated: { reason: 'Error', exitCode: 0 } } }] })).failures).toEqual(
      [],
    );
    // Outside a Job the same status is a failure: the Job check is what made the difference.
    expect(scan(pod({ statuses: [{ name: 'app', restartCount: 0, state: { terminated: { reason: 'Error', exitCode: 0 } } }] })).failures).toHaveLength(1);
    const deleting = scan(pod({ deleting: true, statuses: [{ name: 'app', restartCount: 0, state: { terminated: oom } }] }));
    expect(deleting.failures).toEqual([]);
    expect(deleting.keys).toEqual(['pod-uid/app', 'pod-uid/app/waiting']);
    // A Job pod failing with a non-zero exit still fails.
    expect(
      scan(pod({ job: true, statuses: [{ name: 'app', restartCount: 0, state: { terminated: { reason: 'Error', exitCode: 1 } } }] })).failures,
    ).toHaveLength(1);
  });

  it('waiting failures count only past the grace period after pod start, and ask to be looked at again when it ends', () => {
    const pulling = (reason: string, startedAgoMs: number) =>
      pod({ startedAgoMs, statuses: [{ name: 'app', restartCount: 0, state: { waiting: { reason, message: 'Back-off pulling image "shop/web:nope"' } } }] });
    const young = scan(pulling('ImagePullBackOff', 30_000));
    expect(young.failures).toEqual([]);
    expect(young.recheckAtMs).toBe(NOW - 30_000 + GRACE);
    expect(scan(pulling('ContainerCreating', 600_000)).failures).toEqual([]);
    const old = scan(pulling('ImagePullBackOff', 600_000));
    expect(old.recheckAtMs).toBeUndefined();
    expect(old.failures).toHaveLength(1);
    expect(old.failures[0]).toMatchObject({ key: 'pod-uid/app/waiting', count: 1, reason: 'ImagePullBackOff' });
    expect(old.failures[0]!.time).toBeUndefined();
    // The same pod looked at again when the grace period ended.
    expect(scan(pulling('ImagePullBackOff', 30_000), NOW - 30_000 + GRACE).failures).toHaveLength(1);
  });

  it('a crash loop after instances that exited 0 is a failure of its own, counted by restarts', () => {
    const { failures } = scan(
      pod({
        statuses: [
          { name: 'app', restartCount: 5, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { reason: 'Completed', exitCode: 0 } } },
        ],
      }),
    );
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ key: 'pod-uid/app/waiting', count: 5, reason: 'CrashLoopBackOff' });
  });

  it('an evicted pod: its stopped containers fail with reason Evicted, however they exited', () => {
    const evicted = pod({
      statuses: [
        { name: 'app', restartCount: 2, state: { terminated: { reason: 'Completed', exitCode: 0, finishedAt: '2026-12-03T11:59:00Z' } } },
        { name: 'sidecar', restartCount: 0, state: { terminated: { reason: 'ContainerStatusUnknown', exitCode: 137 } } },
      ],
    });
    (evicted.status as Record<string, unknown>).reason = 'Evicted';
    expect(scan(evicted).failures.map((f) => [f.container.name, f.reason, f.count])).toEqual([
      ['app', 'Evicted', 3],
      ['sidecar', 'Evicted', 1],
    ]);
    // Not evicted, the same statuses: only the non-zero exit fails, under its own reason.
    (evicted.status as Record<string, unknown>).reason = undefined;
    expect(scan(evicted).failures.map((f) => [f.container.name, f.reason])).toEqual([['sidecar', 'ContainerStatusUnknown']]);
  });

  it('signals: the status says, or exit code 128 + N', () => {
    expect(terminationSignal({ reason: 'OOMKilled', exitCode: 137 })).toBe(9);
    expect(terminationSignal({ reason: 'Error', exitCode: 143 })).toBe(15);
    expect(terminationSignal({ reason: 'Error', exitCode: 1 })).toBeUndefined();
    expect(terminationSignal({ reason: 'Error', exitCode: 0, signal: 6 })).toBe(6);
  });
});

describe('the failure as an Event', () => {
  it('names the Pod and container as the contract says', () => {
    const summary = summarizePod(
      pod({ statuses: [{ name: 'app', image: 'shop/web:1', restartCount: 3, state: { running: {} }, lastState: { terminated: oom } }] }),
    );
    const failure = scanPod(summary, { nowMs: NOW, gracePeriodMs: GRACE }).failures[0]!;
    const event = failureEvent(summary, failure, NOW);
    expect(event).toMatchObject({
      type: 'Warning',
      reason: 'OOMKilled',
      count: 3,
      lastTimestamp: oom.finishedAt,
      metadata: { name: 'web-1', namespace: 'shop', uid: 'pod-uid/app', resourceVersion: '42' },
      involvedObject: { kind: 'Pod', apiVersion: 'v1', namespace: 'shop', name: 'web-1', uid: 'pod-uid', fieldPath: 'spec.containers{app}' },
      source: { component: 'kube-eventline', host: 'node-3' },
      reportingComponent: 'kube-eventline',
      container: {
        name: 'app',
        type: 'regular',
        reason: 'OOMKilled',
        exitCode: 137,
        signal: 9,
        restartCount: 3,
        startedAt: oom.startedAt,
        finishedAt: oom.finishedAt,
        image: 'shop/web:1',
      },
    });
    expect(event.message).toBe(
      'Container app of pod web-1 terminated: OOMKilled, exit code 137 (signal 9); restart count 3; started 2026-12-03T11:58:00Z; finished 2026-12-03T11:59:00Z',
    );
  });
});

describe('podFailures config', () => {
  it('is off by default, with the contract defaults', () => {
    expect(loadConfig('', 'c.yaml', {}).config.podFailures).toEqual({
      enabled: false,
      namespaces: [],
      gracePeriodSeconds: 120,
      logLines: 0,
      logBytes: 4096,
      logRequestsPerSecond: 1,
    });
  });

  it('names the place of a bad value', () => {
    expect(problemsOf(() => loadConfig('podFailures:\n  enabled: true\n  gracePeriodSeconds: -1\n  namespaces: [a, a]\n  logLine: 3\n', 'c.yaml', {}))).toEqual(
      [
        'c.yaml:3:23: podFailures.gracePeriodSeconds: must be at least 0 (range 0–86,400 seconds)',
        'c.yaml:4:19: podFailures.namespaces[1]: duplicate of namespaces[0]',
        'c.yaml:5:3: podFailures.logLine: unknown field (see docs/config.md)',
      ],
    );
  });
});

// The Pod list and watch through the generalized watch/ machinery, against a hand-made server (a
// fake on purpose: what is checked is what the client keeps of what it parses, for any page size).
describe('Pods through watch/ (POD_KIND)', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  const heavy = (i: number) => pod({ big: true, statuses: [{ name: 'app', restartCount: i, state: { running: {} }, lastState: { terminated: oom } }] });

  it('a list page past the fast path is parsed as it arrives and each Pod kept as its summary only', async () => {
    const items = Array.from({ length: 60 }, (_, i) => ({ ...heavy(i), metadata: { ...heavy(i).metadata, uid: `u${i}` } }));
    const body = JSON.stringify({ kind: 'PodList', metadata: { resourceVersion: '9' }, items });
    expect(body.length).toBeGreaterThan(FAST_PAGE_CHARS); // the streaming decoder's path
    const seen: string[] = [];
    const server = await startFaultServer((req, res) => {
      seen.push(req.url!);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(body);
    });
    close = server.close;
    const pages = [];
    for await (const page of listPages(kubeHttpAt(server.url), POD_KIND, 'shop', 500, 65536)) pages.push(page);
    expect(seen[0]).toMatch(/^\/api\/v1\/namespaces\/shop\/pods\?limit=500/);
    expect(pages).toHaveLength(1);
    expect(pages[0]!.resourceVersion).toBe('9');
    expect(pages[0]!.items).toHaveLength(60);
    expect(pages[0]!.items[7]).toEqual(summarizePod(items[7]!));
    expect(Object.keys(pages[0]!.items[7]!)).not.toContain('metadata');
    expect(JSON.stringify(pages[0]!.items).length).toBeLessThan(body.length / 100);
  });

  it('watch lines, short and long, give summaries too', async () => {
    const line = (i: number) =>
      `${JSON.stringify({ type: 'MODIFIED', object: { ...heavy(i), metadata: { ...heavy(i).metadata, uid: `u${i}`, resourceVersion: String(10 + i) } } })}\n`;
    const server = await startFaultServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      // One line past FAST_LINE_CHARS goes through the streaming decoder.
      const long = {
        type: 'MODIFIED',
        object: { ...heavy(3), metadata: { ...heavy(3).metadata, uid: 'u3', resourceVersion: '13', annotations: { a: 'x'.repeat(400_000) } } },
      };
      res.end([line(1), line(2), `${JSON.stringify(long)}\n`].join(''));
    });
    close = server.close;
    const messages = [];
    for await (const batch of watchObjects(kubeHttpAt(server.url), POD_KIND, undefined, '1', 30, 65536)) messages.push(...batch);
    expect(messages.map((m) => (m.type === 'BOOKMARK' ? m : [m.type, m.object.uid, m.object.resourceVersion, m.object.containers[0]?.restartCount]))).toEqual([
      ['MODIFIED', 'u1', '11', 1],
      ['MODIFIED', 'u2', '12', 2],
      ['MODIFIED', 'u3', '13', 3],
    ]);
  });
});

describe('the Pods grant missing (403)', () => {
  it('one warning naming the component and podFailures.enabled, then quiet retries; any other failure is said each time', async () => {
    let status = 403;
    let requests = 0;
    const server = await startFaultServer((_req, res) => {
      requests++;
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: status, message: 'pods is forbidden: cannot list resource "pods"' }));
    });
    const warnings: string[] = [];
    const restarts: Array<{ scope: string; quiet: boolean | undefined; error?: unknown }> = [];
    const tracker = new OccurrenceTracker(DEFAULT_TRACKER_OPTIONS);
    const unexpected = (what: string) => () => {
      throw new Error(`${what}: nothing was listed`);
    };
    const outlet: PodFailureOutlet = {
      // A list begins (and is refused) before any tracker is read.
      tracker: () => tracker,
      unknownMayBeOld: () => true,
      listEnded: unexpected('listEnded'),
      received: unexpected('received'),
      write: unexpected('write'),
      tooOld: unexpected('tooOld'),
      restarted: (scope, _reason, error, quiet) => void restarts.push({ scope, quiet, error }),
    };
    const watch = new PodFailureWatch(
      {
        api: kubeHttpAt(server.url),
        scopes: new Map([
          ['pods/a', 'a'],
          ['pods/b', 'b'],
        ]),
        gracePeriodMs: GRACE,
        maxEventAgeMs: 3_600_000,
        pageSize: 500,
        watchTimeoutSeconds: 60,
        minBackoffMs: 5,
        maxBackoffMs: 20,
        log: { warn: (_fields: unknown, message: string) => void warnings.push(message) } as never,
        now: Date.now,
      },
      outlet,
    );
    const stop = new AbortController();
    watch.start(stop.signal);
    try {
      await eventually(
        'refused lists in both scopes',
        () => restarts.filter((r) => r.scope === 'pods/a').length >= 3 && restarts.some((r) => r.scope === 'pods/b'),
      );
      expect(warnings, String(restarts[0]?.error)).toHaveLength(1);
      expect(warnings[0]).toContain('deploy/components/pod-failures');
      expect(warnings[0]).toContain('podFailures.enabled: false');
      // Counted (watch_restarts_total) but logged at debug only.
      expect(restarts.every((r) => r.quiet === true)).toBe(true);
      // A server error is no missing grant: said as any watch restart.
      status = 500;
      const before = restarts.length;
      await eventually('a failed list', () => restarts.length > before + 1);
      expect(restarts.slice(before + 1).every((r) => !r.quiet)).toBe(true);
      expect(warnings).toHaveLength(1);
      expect(requests).toBeGreaterThan(4);
    } finally {
      stop.abort();
      await watch.stopped();
      await server.close();
    }
  });
});
