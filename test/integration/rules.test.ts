// The alert rules in the real Loki ruler: each alert fires on its scenario and stays silent on a
// quiet one. Every scenario has its own cluster label value, so scenarios cannot see each other.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateMixin, rulesText } from '../../jsonnet/render.mjs';
import type { EventLine } from '../../src/line/event-line.js';
import { type Harness, harness } from '../harness/index.js';
import type { LokiAlert } from '../harness/loki.js';
import { type EventSpec, linesOf, rng, toStreams } from '../support/corpus.js';
import { type ContainerFailure, podFailureLines } from '../support/corpus-pods.js';

const RULE_FILE = `kube-eventline-mixin-test-${process.pid}.yaml`;
const suffix = randomBytes(3).toString('hex');
const cluster = (name: string) => `rules-${name}-${suffix}`;
const r = rng(99);
const now = Date.now();
/** `n` occurrence times spread over the last few minutes, never on a whole second. */
const recent = (n: number, fromMinutesAgo = 4) => Array.from({ length: n }, (_, i) => now - fromMinutesAgo * 60_000 + i * 7_000 + 123);

function lines(clusterName: string, spec: Omit<EventSpec, 'observations'>, observations: number[][]): EventLine[] {
  return linesOf({ ...spec, observations }, clusterName, r);
}
const podSpec = (namespace: string, name: string, reason: string, message: string, workload = 'api'): Omit<EventSpec, 'observations'> => ({
  kind: 'Pod',
  namespace,
  name,
  reason,
  type: 'Warning',
  message,
  component: 'kubelet',
  host: 'node-1',
  workload: { kind: 'Deployment', name: workload },
});
const nodeSpec = (name: string, reason: string, message: string, type: 'Normal' | 'Warning' = 'Warning'): Omit<EventSpec, 'observations'> => ({
  kind: 'Node',
  namespace: '',
  name,
  reason,
  type,
  message,
  component: 'kernel-monitor',
  host: name,
});
/** kube-eventline's pod failure lines (issue #14) for one container: `failures` restarts, one line each. */
function containerLines(clusterName: string, pod: string, workload: string, failures: Array<Omit<ContainerFailure, 'at'>>): EventLine[] {
  const times = recent(failures.length);
  return podFailureLines(
    {
      namespace: 'shop',
      pod,
      node: 'node-1',
      workload: { kind: 'Deployment', name: workload },
      container: 'main',
      image: `registry.example/shop/${workload}:1`,
      failures: failures.map((f, i) => ({ ...f, at: times[i]! })),
    },
    clusterName,
    r,
  );
}
const oomKilled = (delta: number) => ({ delta, reason: 'OOMKilled', exitCode: 137, signal: 9 });
/** Observations: split occurrence times into lines of the given sizes. */
function split(times: number[], sizes: number[]): number[][] {
  const out: number[][] = [];
  let i = 0;
  for (const s of sizes) {
    out.push(times.slice(i, i + s));
    i += s;
  }
  return out;
}

interface Scenario {
  alert: string;
  fire: { cluster: string; lines: EventLine[]; labels: Record<string, string> };
  quiet: { cluster: string; lines: EventLine[] };
}

const scenarios: Scenario[] = [
  {
    alert: 'KubeEventlineOOMKills',
    fire: {
      cluster: cluster('oom'),
      lines: lines(cluster('oom'), nodeSpec('node-7', 'OOMKilling', 'Memory cgroup out of memory: Killed process 77 (java)'), split(recent(2), [1, 1])),
      labels: { kind: 'Node', name: 'node-7', namespace: '_cluster' },
    },
    // UnregisterNetDevice is a node problem, but not an OOM kill (nor one the node-problem alert pages for).
    quiet: {
      cluster: cluster('oom-quiet'),
      lines: lines(cluster('oom-quiet'), nodeSpec('node-7', 'UnregisterNetDevice', 'unregister_netdevice: waiting for eth0 to become free. Usage count = 1'), [
        recent(1),
      ]),
    },
  },
  {
    alert: 'KubeEventlineContainersOOMKilled',
    fire: {
      cluster: cluster('container-oom'),
      // 5 OOMKilled restarts of api's containers in two lines (one stands for the 3 restarts the
      // exporter missed), over two pods: at least 3 in the hour, though there are only 2 lines.
      lines: [
        ...containerLines(cluster('container-oom'), 'api-7d9c-x2x', 'api', [oomKilled(2)]),
        ...containerLines(cluster('container-oom'), 'api-7d9c-y3y', 'api', [oomKilled(3)]),
      ],
      labels: { namespace: 'shop', workload: 'api' },
    },
    // 2 OOMKilled restarts in web (below 3), 6 non-zero exits in worker (not OOM kills), and an
    // application's Events saying OOMKilled 6 times in api (not kube-eventline's lines).
    quiet: {
      cluster: cluster('container-oom-quiet'),
      lines: [
        ...containerLines(cluster('container-oom-quiet'), 'web-59f8-a1a', 'web', [oomKilled(1), oomKilled(1)]),
        ...containerLines(cluster('container-oom-quiet'), 'worker-6b7f-b2b', 'worker', [
          { delta: 3, reason: 'Error', exitCode: 1 },
          { delta: 3, reason: 'Error', exitCode: 137, signal: 9 },
        ]),
        ...lines(
          cluster('container-oom-quiet'),
          { ...podSpec('shop', 'api-7d9c-x2x', 'OOMKilled', 'Container main was OOMKilled'), component: 'oom-reporter' },
          split(recent(6), [2, 4]),
        ),
      ],
    },
  },
  {
    alert: 'KubeEventlineCrashLoopStorm',
    fire: {
      cluster: cluster('crash'),
      // 25 occurrences in three lines (count 3, 12, 25) > threshold 10.
      lines: lines(
        cluster('crash'),
        podSpec('shop', 'api-7d9c-x2x', 'BackOff', 'Back-off restarting failed container api in pod api-7d9c-x2x_shop(1)'),
        split(recent(25), [3, 9, 13]),
      ),
      labels: { namespace: 'shop', workload: 'api' },
    },
    // 6 crash-loop occurrences (below threshold) and 30 image-pull back-offs (not a crash loop).
    quiet: {
      cluster: cluster('crash-quiet'),
      lines: [
        ...lines(
          cluster('crash-quiet'),
          podSpec('shop', 'api-7d9c-x2x', 'BackOff', 'Back-off restarting failed container api in pod api-7d9c-x2x_shop(1)'),
          split(recent(6), [2, 4]),
        ),
        ...lines(
          cluster('crash-quiet'),
          podSpec('shop', 'api-7d9c-x2x', 'BackOff', 'Back-off pulling image "registry.example/shop/api:typo"'),
          split(recent(30), [10, 20]),
        ),
      ],
    },
  },
  {
    alert: 'KubeEventlinePodUnschedulable',
    fire: {
      cluster: cluster('sched'),
      lines: lines(
        cluster('sched'),
        podSpec('batch', 'report-1-abcde', 'FailedScheduling', '0/4 nodes are available: 4 Insufficient memory.', 'report'),
        split(recent(5), [1, 2, 2]),
      ),
      labels: { namespace: 'batch', name: 'report-1-abcde' },
    },
    // Failed to schedule at first, then scheduled.
    quiet: {
      cluster: cluster('sched-quiet'),
      lines: [
        ...lines(
          cluster('sched-quiet'),
          podSpec('batch', 'report-1-abcde', 'FailedScheduling', '0/4 nodes are available: 4 Insufficient memory.', 'report'),
          split(recent(3, 5), [1, 2]),
        ),
        ...lines(
          cluster('sched-quiet'),
          { ...podSpec('batch', 'report-1-abcde', 'Scheduled', 'Successfully assigned batch/report-1-abcde to node-2', 'report'), type: 'Normal' },
          [recent(1, 2)],
        ),
      ],
    },
  },
  {
    alert: 'KubeEventlineNodeProblem',
    fire: {
      cluster: cluster('npd'),
      lines: lines(cluster('npd'), nodeSpec('node-3', 'ConntrackFull', 'Conntrack table usage is above 90%'), split(recent(3), [1, 2])),
      labels: { name: 'node-3', reason: 'ConntrackFull' },
    },
    // An Ext4Warning is a node problem the dashboards show, not one that pages.
    quiet: {
      cluster: cluster('npd-quiet'),
      lines: lines(cluster('npd-quiet'), nodeSpec('node-3', 'Ext4Warning', 'EXT4-fs warning (device sda1)'), [recent(2)]),
    },
  },
  {
    alert: 'KubeEventlineNodeNotReady',
    // Ready, then not ready 20 minutes ago and never ready again: Kubernetes writes NodeNotReady once,
    // so the alert must hold long after the line left any short window.
    fire: {
      cluster: cluster('notready'),
      lines: [
        ...lines(cluster('notready'), nodeSpec('node-5', 'NodeReady', 'Node node-5 status is now: NodeReady', 'Normal'), [recent(1, 40)]),
        ...lines(cluster('notready'), nodeSpec('node-5', 'NodeNotReady', 'Node node-5 status is now: NodeNotReady', 'Normal'), [recent(1, 20)]),
      ],
      labels: { name: 'node-5' },
    },
    // Not ready, then ready again; and NodeNotReady filed on a pod (not the node).
    quiet: {
      cluster: cluster('notready-quiet'),
      lines: [
        ...lines(cluster('notready-quiet'), nodeSpec('node-5', 'NodeNotReady', 'Node node-5 status is now: NodeNotReady', 'Normal'), [recent(1, 20)]),
        ...lines(cluster('notready-quiet'), nodeSpec('node-5', 'NodeReady', 'Node node-5 status is now: NodeReady', 'Normal'), [recent(1, 18)]),
        ...lines(cluster('notready-quiet'), podSpec('shop', 'api-7d9c-x2x', 'NodeNotReady', 'Node is not ready'), [recent(1)]),
      ],
    },
  },
  {
    alert: 'KubeEventlineStreamSilent',
    // The silent cluster sends nothing; the live one sends routine lines.
    fire: { cluster: cluster('silent'), lines: [], labels: {} },
    quiet: {
      cluster: cluster('live'),
      lines: lines(cluster('live'), { ...podSpec('shop', 'api-7d9c-x2x', 'Started', 'Started container api'), type: 'Normal' }, [recent(1, 1)]),
    },
  },
];

let h: Harness;
const clusterOf = (a: LokiAlert) => a.labels.cluster ?? '';

async function alertsFor(clusters: string[]): Promise<LokiAlert[]> {
  return (await h.loki.alerts()).filter((a) => clusters.includes(clusterOf(a)));
}

/** Each of our rule groups' last evaluation, as the ruler reports it. */
async function lastEvaluations(): Promise<Map<string, string>> {
  const res = await fetch(`${h.loki.url}/prometheus/api/v1/rules`);
  if (!res.ok) throw new Error(`GET /prometheus/api/v1/rules: HTTP ${res.status}: ${await res.text()}`);
  const { data } = (await res.json()) as { data: { groups: Array<{ name: string; file: string; lastEvaluation: string }> } };
  return new Map(data.groups.filter((g) => g.file === RULE_FILE).map((g) => [g.name, g.lastEvaluation]));
}

/** Polls `check` until the ruler has evaluated every one of our groups at least `n` more times. */
async function untilEvaluated(n: number, check: () => Promise<void>): Promise<void> {
  const seen = new Map([...(await lastEvaluations())].map(([group, at]) => [group, new Set([at])]));
  expect(seen.size).toBeGreaterThan(0);
  const deadline = Date.now() + 60_000; // a deadline, not a measure: the ruler evaluates every second
  for (;;) {
    await check();
    for (const [group, at] of await lastEvaluations()) seen.get(group)?.add(at);
    // Distinct evaluation times seen, the first one excepted: at least that many evaluations happened.
    const behind = [...seen].filter(([, times]) => times.size - 1 < n).map(([group]) => group);
    if (behind.length === 0) return;
    if (Date.now() > deadline) throw new Error(`rule groups not evaluated ${n} more times within 60 s: ${behind.join(', ')}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

beforeAll(async () => {
  h = await harness();
  const pushed = scenarios.flatMap((s) => [...s.fire.lines, ...s.quiet.lines]);
  await h.loki.push(toStreams(pushed));
  const mixin = await evaluateMixin({
    config: JSON.stringify({
      alertFor: { oomKill: '2s', containerOom: '2s', crashLoop: '2s', unschedulable: '2s', nodeProblem: '2s', nodeNotReady: '2s', silence: '2s' },
      silenceClusters: [cluster('silent'), cluster('live')],
    }),
  });
  await h.loki.loadRules(RULE_FILE, rulesText(mixin.rules));
}, 180_000);

afterAll(async () => {
  await h?.loki.removeRules(RULE_FILE);
});

describe('alert rules in the Loki ruler', () => {
  it('every alert of the mixin has a scenario', async () => {
    const mixin = await evaluateMixin();
    expect(mixin.rules.groups.flatMap((g) => g.rules.map((x) => x.alert)).sort()).toEqual(scenarios.map((s) => s.alert).sort());
  }, 120_000);

  it('each alert fires on its scenario, with its labels and annotations, and stays silent on the quiet one', async () => {
    const fireClusters = scenarios.map((s) => s.fire.cluster);
    const quietClusters = scenarios.map((s) => s.quiet.cluster);
    // Wait until every scenario's alert fires.
    let firing: LokiAlert[] = [];
    for (let i = 0; ; i++) {
      firing = (await alertsFor(fireClusters)).filter((a) => a.state === 'firing');
      const missing = scenarios.filter((s) => !firing.some((a) => a.labels.alertname === s.alert && clusterOf(a) === s.fire.cluster));
      if (missing.length === 0) break;
      if (i > 450)
        throw new Error(
          `not firing: ${missing.map((s) => s.alert).join(', ')}; alerts: ${JSON.stringify(await alertsFor([...fireClusters, ...quietClusters]))}`,
        );
      await new Promise((res) => setTimeout(res, 200));
    }
    for (const s of scenarios) {
      const a = firing.find((x) => x.labels.alertname === s.alert && clusterOf(x) === s.fire.cluster)!;
      expect(a.labels, s.alert).toMatchObject(s.fire.labels);
      expect(['warning', 'critical']).toContain(a.labels.severity);
      expect(a.annotations.summary, s.alert).toBeTruthy();
      expect(a.annotations.description, s.alert).toBeTruthy();
      expect(a.annotations.runbook_url, s.alert).toMatch(new RegExp(`docs/runbook\\.md#${s.alert.toLowerCase()}$`));
      // Each scenario raises only its own alert.
      expect(firing.filter((x) => clusterOf(x) === s.fire.cluster).map((x) => x.labels.alertname)).toEqual([s.alert]);
    }
    // The same rules have evaluated the quiet scenarios many times by now (interval 1 s, for 2 s);
    // watch three more evaluations of every group, counted by the ruler, not by a clock (a loaded
    // machine slows the ruler down too): none of them may make a quiet alert even pending.
    await untilEvaluated(3, async () => expect(await alertsFor(quietClusters)).toEqual([]));
    expect(await alertsFor(quietClusters)).toEqual([]);
  }, 180_000);

  it('the NodeNotReady alert says since when: its value is the time of the last NodeNotReady', async () => {
    const s = scenarios.find((x) => x.alert === 'KubeEventlineNodeNotReady')!;
    const a = (await alertsFor([s.fire.cluster])).find((x) => x.labels.alertname === s.alert)! as LokiAlert & { value?: string };
    const notReady = s.fire.lines.find((l) => l.reason === 'NodeNotReady')!;
    expect(Number(a.value)).toBeCloseTo(new Date(notReady.time).getTime() / 1000, 3);
    expect(a.annotations.description).toContain(new Date(notReady.time).toISOString().slice(0, 16).replace('T', ' '));
  });

  it('the containers-OOMKilled alert value is the restart count (sum of delta), not the line count', async () => {
    const oom = scenarios.find((s) => s.alert === 'KubeEventlineContainersOOMKilled')!;
    const a = (await alertsFor([oom.fire.cluster])).find((x) => x.labels.alertname === oom.alert)!;
    expect(oom.fire.lines.length).toBe(2);
    expect(Number((a as LokiAlert & { value?: string }).value)).toBe(5);
    expect(a.annotations.description).toContain('5 container restarts with reason OOMKilled in 1h (the alert fires from 3) in workload shop/api');
  });

  it('the crash-loop alert value is the occurrence count (sum of delta), not the line count', async () => {
    const crash = scenarios.find((s) => s.alert === 'KubeEventlineCrashLoopStorm')!;
    const a = (await alertsFor([crash.fire.cluster])).find((x) => x.labels.alertname === crash.alert)!;
    const occurrences = crash.fire.lines.reduce((acc, l) => acc + l.delta, 0);
    expect(crash.fire.lines.length).toBe(3);
    expect(Number((a as LokiAlert & { value?: string }).value)).toBe(occurrences);
  });
});
