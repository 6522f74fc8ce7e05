import { describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import type { Level } from '../../src/grade/levels.js';
import { buildLine } from '../../src/line/build-line.js';
import type { EventLine, LineInvolvedObject } from '../../src/line/event-line.js';
import { compileRoute, routeLine } from '../../src/route/compile-route.js';
import { describeRoute } from '../../src/route/describe-route.js';
import { realEvents } from '../support/real-events.js';

interface LineFields {
  namespace?: string;
  kind?: string;
  apiVersion?: string;
  reason?: string;
  type?: string;
  message?: string;
  component?: string;
  host?: string;
  count?: number;
  level?: Level;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

function line(fields: LineFields = {}): EventLine {
  const involvedObject: LineInvolvedObject = {
    kind: fields.kind ?? 'Pod',
    apiVersion: fields.apiVersion ?? 'v1',
    namespace: fields.namespace ?? 'shop',
    name: 'api-1',
  };
  if (fields.labels) involvedObject.labels = fields.labels;
  if (fields.annotations) involvedObject.annotations = fields.annotations;
  return {
    level: fields.level ?? 'normal',
    time: '2026-01-01T00:00:00.000Z',
    delta: 1,
    namespace: fields.namespace ?? 'shop',
    clusterName: '',
    metadata: { name: 'api-1.1', namespace: fields.namespace ?? 'shop' },
    reason: fields.reason ?? 'Started',
    message: fields.message ?? 'Started container api',
    source: { component: fields.component ?? 'kubelet', host: fields.host ?? 'node-1' },
    firstTimestamp: null,
    lastTimestamp: null,
    count: fields.count ?? 1,
    type: fields.type ?? 'Normal',
    eventTime: null,
    involvedObject,
  };
}

function loaded(yaml: string): Config {
  return loadConfig(yaml, 'route.yaml', {}).config;
}

function router(yaml: string) {
  const config = loaded(yaml);
  const compiled = compileRoute(
    config.route,
    config.receivers.map((receiver) => receiver.name),
  );
  return { compiled, send: (fields: LineFields) => routeLine(compiled, line(fields)) };
}

const RECEIVERS = `receivers:
  - { name: a, stdout: {} }
  - { name: b, stdout: {} }
  - { name: c, stdout: {} }
`;

describe('KEE route semantics', () => {
  const cases: Array<{ name: string; route: string; line: LineFields; expected: string[] }> = [
    {
      name: 'an empty rule matches everything',
      route: 'match: [{ receiver: a }]',
      line: {},
      expected: ['a'],
    },
    {
      name: 'conditions inside a rule are ANDed (all hold)',
      route: 'match: [{ kind: Pod, type: Warning, receiver: a }]',
      line: { kind: 'Pod', type: 'Warning' },
      expected: ['a'],
    },
    {
      name: 'conditions inside a rule are ANDed (one fails)',
      route: 'match: [{ kind: Pod, type: Warning, receiver: a }]',
      line: { kind: 'Pod', type: 'Normal' },
      expected: [],
    },
    {
      name: 'a matching drop rule skips the route',
      route: 'drop: [{ namespace: kube-system }]\n  match: [{ receiver: a }]',
      line: { namespace: 'kube-system' },
      expected: [],
    },
    {
      name: 'a matching drop rule skips the whole subtree',
      route: 'drop: [{ namespace: kube-system }]\n  routes: [{ match: [{ receiver: a }] }]',
      line: { namespace: 'kube-system' },
      expected: [],
    },
    {
      name: 'a drop rule that does not match lets the route run',
      route: 'drop: [{ namespace: kube-system }]\n  match: [{ receiver: a }]',
      line: { namespace: 'shop' },
      expected: ['a'],
    },
    {
      name: 'a drop in one sibling does not stop the others',
      route: 'routes:\n    - { drop: [{ type: Normal }], match: [{ receiver: a }] }\n    - { match: [{ receiver: b }] }',
      line: { type: 'Normal' },
      expected: ['b'],
    },
    {
      name: 'each matching match rule sends at once, even when another match rule fails',
      route: 'match: [{ type: Warning, receiver: a }, { kind: Node, receiver: b }]',
      line: { type: 'Warning', kind: 'Pod' },
      expected: ['a'],
    },
    {
      name: 'children run only when every match rule matched (one failed)',
      route: 'match: [{ type: Warning, receiver: a }, { kind: Node }]\n  routes: [{ match: [{ receiver: b }] }]',
      line: { type: 'Warning', kind: 'Pod' },
      expected: ['a'],
    },
    {
      name: 'children run when every match rule matched',
      route: 'match: [{ type: Warning, receiver: a }, { kind: Node }]\n  routes: [{ match: [{ receiver: b }] }]',
      line: { type: 'Warning', kind: 'Node' },
      expected: ['a', 'b'],
    },
    {
      name: 'no match rules counts as all matched',
      route: 'routes: [{ match: [{ receiver: a }] }, { match: [{ receiver: b }] }]',
      line: {},
      expected: ['a', 'b'],
    },
    {
      name: 'siblings are all evaluated, in order',
      route: 'routes:\n    - match: [{ kind: Pod, receiver: c }]\n    - match: [{ type: Normal, receiver: a }]\n    - match: [{ kind: Node, receiver: b }]',
      line: { kind: 'Pod', type: 'Normal' },
      expected: ['c', 'a'],
    },
    {
      name: 'a receiver matched several times is sent to once',
      route: 'match: [{ receiver: a }, { type: Normal, receiver: a }]\n  routes: [{ match: [{ receiver: a }, { receiver: b }] }]',
      line: { type: 'Normal' },
      expected: ['a', 'b'],
    },
    {
      name: 'patterns are unanchored: kind Pod matches PodDisruptionBudget',
      route: 'match: [{ kind: Pod, receiver: a }]',
      line: { kind: 'PodDisruptionBudget' },
      expected: ['a'],
    },
    {
      name: 'an anchored pattern ^Pod$ does not match PodDisruptionBudget',
      route: 'match: [{ kind: "^Pod$", receiver: a }]',
      line: { kind: 'PodDisruptionBudget' },
      expected: [],
    },
    {
      name: '(?i) makes a pattern case-insensitive',
      route: 'match: [{ message: "(?i)back-off", receiver: a }]',
      line: { message: 'Back-Off restarting failed container' },
      expected: ['a'],
    },
    {
      name: 'minCount passes at the threshold',
      route: 'match: [{ minCount: 5, receiver: a }]',
      line: { count: 5 },
      expected: ['a'],
    },
    {
      name: 'minCount fails below the threshold',
      route: 'match: [{ minCount: 5, receiver: a }]',
      line: { count: 4 },
      expected: [],
    },
    {
      name: 'minLevel passes at and above the level',
      route: 'match: [{ minLevel: warning, receiver: a }]',
      line: { level: 'error' },
      expected: ['a'],
    },
    {
      name: 'minLevel fails below the level',
      route: 'match: [{ minLevel: warning, receiver: a }]',
      line: { level: 'normal' },
      expected: [],
    },
    {
      name: 'labels: the key must exist and the value match',
      route: 'match: [{ labels: { app: "^api$" }, receiver: a }]',
      line: { labels: { app: 'api', tier: 'web' } },
      expected: ['a'],
    },
    {
      name: 'labels: a missing key does not match, even for a pattern matching the empty string',
      route: 'match: [{ labels: { team: ".*" }, receiver: a }]',
      line: { labels: { app: 'api' } },
      expected: [],
    },
    {
      name: 'labels: an object without labels (no enrichment) does not match',
      route: 'match: [{ labels: { app: "api" }, receiver: a }]',
      line: {},
      expected: [],
    },
    {
      name: 'annotations: dotted keys are matched as written',
      route: 'match: [{ annotations: { "example.com/owner": "^team-a$" }, receiver: a }]',
      line: { annotations: { 'example.com/owner': 'team-a' } },
      expected: ['a'],
    },
    {
      name: 'component and host read source.component and source.host',
      route: 'match: [{ component: "^kubelet$", host: "^node-7$", receiver: a }]',
      line: { component: 'kubelet', host: 'node-7' },
      expected: ['a'],
    },
    {
      name: 'apiVersion reads the involved object',
      route: 'match: [{ apiVersion: "^apps/", receiver: a }]',
      line: { apiVersion: 'apps/v1' },
      expected: ['a'],
    },
    {
      name: 'a match rule without receiver sends nowhere but still gates children',
      route: 'match: [{ kind: Node }]\n  routes: [{ match: [{ receiver: a }] }]',
      line: { kind: 'Node' },
      expected: ['a'],
    },
  ];

  test.each(cases)('$name', ({ route, line: fields, expected }) => {
    expect(router(`route:\n  ${route}\n${RECEIVERS}`).send(fields)).toEqual(expected);
  });

  test('namespace matches the Event’s own namespace (metadata.namespace), as KEE does', () => {
    const { compiled } = router(`route:\n  match: [{ namespace: "^default$", receiver: a }]\n${RECEIVERS}`);
    const nodeLine = line({ kind: 'Node' });
    nodeLine.metadata.namespace = 'default';
    delete nodeLine.involvedObject.namespace;
    nodeLine.namespace = '_cluster';
    expect(routeLine(compiled, nodeLine)).toEqual(['a']);
  });

  test('the default route sends everything to stdout', () => {
    const config = loaded('');
    const compiled = compileRoute(config.route, ['stdout']);
    expect(routeLine(compiled, line({ namespace: 'kube-system', level: 'info' }))).toEqual(['stdout']);
  });

  test('rule hits are counted per rule, drops included', () => {
    const { compiled, send } = router(`route:\n  drop: [{ namespace: kube-system }]\n  match: [{ receiver: a }, { type: Warning, receiver: b }]\n${RECEIVERS}`);
    send({ namespace: 'kube-system' });
    send({ type: 'Warning' });
    send({ type: 'Normal' });
    expect(compiled.rules.map((rule) => rule.path)).toEqual(['route.drop[0]', 'route.match[0]', 'route.match[1]']);
    expect(compiled.ruleHits).toEqual([1, 2, 1]);
  });

  test('compileRoute refuses a receiver that does not exist', () => {
    const config = loaded(`route:\n  match: [{ receiver: a }]\n${RECEIVERS}`);
    expect(() => compileRoute(config.route, ['b'])).toThrow('route.match[0].receiver: unknown receiver "a"');
  });
});

describe('route message rules and maxMessageBytes', () => {
  test('match on the whole message, also on text past the cut the written line shows', () => {
    const config = loaded(`${RECEIVERS}maxMessageBytes: 64
route:
  routes:
    - match: [{ receiver: a, message: "disk full$" }]
    - drop: [{ message: "^x+$" }]
      match: [{ receiver: b }]
`);
    const compiled = compileRoute(
      config.route,
      config.receivers.map((receiver) => receiver.name),
    );
    const event = { ...realEvents()[0]!, message: `${'x'.repeat(200)} disk full` };
    const built = buildLine(event, 'warning', 1, { clusterName: '', maxMessageBytes: config.maxMessageBytes });
    expect(built.message).toMatch(/^x{64} …\[truncated \d+ bytes\]$/);
    expect(routeLine(compiled, built)).toEqual(['a', 'b']); // the cut message alone does not end with "disk full"
    // 200 x's: the whole message is dropped by "^x+$", which its cut form (with the marker) would not match.
    const onlyXs = buildLine({ ...event, message: 'x'.repeat(200) }, 'warning', 1, { clusterName: '', maxMessageBytes: config.maxMessageBytes });
    expect(onlyXs.message).toMatch(/truncated/);
    expect(routeLine(compiled, onlyXs)).toEqual([]);
  });
});

describe('describeRoute', () => {
  test('shows receivers, level overrides and the route tree with receivers', () => {
    const config = loaded(`levels: [{ reason: "^BackOff$", level: info }]
route:
  drop: [{ namespace: "^kube-system$" }]
  match: [{ minLevel: warning, receiver: a }]
  routes:
    - match: [{ kind: "^Node$", receiver: b }]
receivers:
  - { name: a, stdout: {} }
  - { name: b, file: { path: /tmp/b.jsonl, maxFiles: 2 } }
`);
    expect(describeRoute(config).split('\n')).toEqual([
      'receivers:',
      '  a: stdout',
      '  b: file /tmp/b.jsonl (rotate at 104857600 bytes, keep 2 rotated)',
      'levels (first matching rule wins, then built-in reasons, then Warning → warning, else normal):',
      '  levels[0]: reason =~ "^BackOff$" → info',
      'route (patterns are unanchored regular expressions):',
      '  drop[0]: namespace =~ "^kube-system$" → dropped here and below',
      '  match[0]: level >= warning → a',
      '  routes[0] (only when every match above matched):',
      '    match[0]: kind =~ "^Node$" → b',
    ]);
  });
});
