import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { ConfigError } from '../../src/config/config-error.js';
import { loadConfig, loadConfigFile } from '../../src/config/load.js';
import { problemsOf } from '../support/config-problems.js';

const FIXTURES = 'test/fixtures/configs';

describe('loading good configs', () => {
  test('an empty file watches every namespace with default levels and sends everything to stdout', () => {
    const { config, warnings } = loadConfigFile(`${FIXTURES}/good/empty.yaml`, {});
    expect(warnings).toEqual([]);
    expect(config.namespaces).toEqual([]);
    expect(config.levels).toEqual([]);
    expect(config.receivers).toEqual([{ name: 'stdout', type: 'stdout', deDot: false }]);
    expect(config.route).toEqual({ drop: [], match: [{ receiver: 'stdout' }], routes: [] });
    expect(config.maxEventAgeSeconds).toBe(300);
    expect(config.maxMessageBytes).toBe(4096);
    expect(config.enrichment).toEqual({ enabled: true, cacheSize: 1024, cacheTTLSeconds: 300, annotations: false });
    expect(config.checkpoint).toBeUndefined();
    expect(config.metrics).toEqual({ address: '0.0.0.0', port: 2112 });
  });

  test('a file of comments only is an empty config, and ${VAR} inside comments is not expanded', () => {
    const { config } = loadConfigFile(`${FIXTURES}/good/comments-only.yaml`, {});
    expect(config.route.match).toEqual([{ receiver: 'stdout' }]);
  });

  test('the documented full example loads with ${VAR:-default} and typed values from the environment', () => {
    const { config, warnings } = loadConfigFile(`${FIXTURES}/good/full.yaml`, { METRICS_PORT: '9102' });
    expect(warnings).toEqual([]);
    expect(config.clusterName).toBe('prod-eu');
    expect(config.metrics.port).toBe(9102);
    expect(config.namespaces).toEqual(['shop', 'payments']);
    expect(config.checkpoint).toEqual({
      configMap: { namespace: 'kube-eventline', name: 'kube-eventline-checkpoint' },
      intervalSeconds: 10,
    });
    expect(config.levels).toEqual([
      { reason: '^BackOff$', namespace: '^batch-', level: 'info' },
      { message: '(?i)disk pressure', level: 'error' },
    ]);
    expect(config.receivers[1]).toEqual({
      name: 'nodes',
      type: 'file',
      path: '/var/log/kube-eventline/nodes.jsonl',
      maxBytes: 104857600,
      maxFiles: 3,
      deDot: false,
    });
  });

  test('the full example in docs/config.md loads without problems or warnings', () => {
    const docs = readFileSync('docs/config.md', 'utf8');
    const example = /## Full example\n\n```yaml\n([\s\S]*?)```/.exec(docs)?.[1];
    expect(example).toBeDefined();
    const { config, warnings } = loadConfig(example ?? '', 'docs/config.md', {});
    expect(warnings).toEqual([]);
    expect(config.route.routes[0]?.match).toEqual([{ kind: '^Node$', receiver: 'nodes' }]);
  });

  test('a defined variable wins over the default, and $${ writes a literal ${', () => {
    const { config } = loadConfig('clusterName: ${CLUSTER:-dev}\ncheckpoint: { file: "/data/$${NOT_EXPANDED}" }\n', 'c.yaml', {
      CLUSTER: 'prod-us',
    });
    expect(config.clusterName).toBe('prod-us');
    expect(config.checkpoint?.file).toBe('/data/${NOT_EXPANDED}');
  });

  test('a variable holding YAML text is expanded before parsing, as KEE does', () => {
    const { config } = loadConfig('namespaces: ${WATCHED}\n', 'c.yaml', { WATCHED: '[a, b]' });
    expect(config.namespaces).toEqual(['a', 'b']);
  });

  test('namespaces: Kubernetes namespace names, or "" alone for all namespaces', () => {
    expect(loadConfig('namespaces: [shop, kube-system, 2024-q1]\n', 'c.yaml', {}).config.namespaces).toEqual(['shop', 'kube-system', '2024-q1']);
    expect(loadConfig(`namespaces: [${'a'.repeat(63)}]\n`, 'c.yaml', {}).config.namespaces).toEqual(['a'.repeat(63)]);
    // "" is all namespaces, the same scope as no list, so a checkpoint saved under one applies under the other.
    expect(loadConfig('namespaces: [""]\n', 'c.yaml', {}).config.namespaces).toEqual([]);
    expect(loadConfig('namespace: ""\n', 'c.yaml', {}).config.namespaces).toEqual([]);
    expect(loadConfig('{}\n', 'c.yaml', {}).config.namespaces).toEqual([]);
  });

  test('the checkpoint ConfigMap and the Lease live in a namespace that can exist', () => {
    expect(() => loadConfig('checkpoint: {configMap: {namespace: Kube_Eventline, name: cp}}\n', 'c.yaml', {})).toThrow(
      /checkpoint\.configMap\.namespace: "Kube_Eventline" is not a valid namespace name/,
    );
    expect(() => loadConfig('leaderElection: {enabled: true, namespace: "a b"}\n', 'c.yaml', {})).toThrow(
      /leaderElection\.namespace: "a b" is not a valid namespace name/,
    );
    expect(loadConfig('checkpoint: {configMap: {namespace: kube-eventline, name: cp}}\n', 'c.yaml', {}).config.checkpoint?.configMap?.namespace).toBe(
      'kube-eventline',
    );
  });

  test('`stdout:` with no options is a stdout receiver with defaults', () => {
    const { config } = loadConfig('receivers:\n  - name: stdout\n    stdout:\n', 'c.yaml', {});
    expect(config.receivers).toEqual([{ name: 'stdout', type: 'stdout', deDot: false }]);
  });
});

describe('kubernetes-event-exporter configs load unchanged', () => {
  test('the README-shaped config (stdout receiver, drop kube-system, match Warning) loads without warnings', () => {
    const { config, warnings } = loadConfigFile(`${FIXTURES}/kee/stdout-drop-kube-system.yaml`, {});
    expect(warnings).toEqual([]);
    expect(config.logLevel).toBe('error');
    expect(config.maxEventAgeSeconds).toBe(60);
    expect(config.metricsNamePrefix).toBe('event_exporter_');
    expect(config.leaderElection).toEqual({
      enabled: false,
      leaderElectionID: 'kubernetes-event-exporter',
      leaseDurationSeconds: 15,
      renewDeadlineSeconds: 10,
      retryPeriodSeconds: 2,
    });
    expect(config.receivers).toEqual(
      [
        { name: 'dump', type: 'stdout', deDot: true },
        // KEE's lumberjack maxsize is in MiB; maxbackups is the number of rotated files kept.
        { name: 'nodes', type: 'file', path: '/tmp/node-events.log', maxBytes: 10 * 1024 * 1024, maxFiles: 2 },
      ].map((receiver) => ({ deDot: false, ...receiver })),
    );
    expect(config.route.routes[0]?.drop).toEqual([{ namespace: 'kube-system' }, { type: 'Normal', reason: 'Pulled' }]);
  });

  test('KEE spellings are folded in, and KEE settings we do not act on are warnings with their place', () => {
    const { config, warnings } = loadConfigFile(`${FIXTURES}/kee/minimal-dump.yaml`, {});
    expect(config.namespaces).toEqual(['default']);
    expect(config.enrichment.enabled).toBe(false);
    expect(config.enrichment.cacheSize).toBe(512);
    expect(config.maxEventAgeSeconds).toBe(30);
    const file = `${FIXTURES}/kee/minimal-dump.yaml`;
    expect(warnings).toEqual([
      `${file}:6:17: throttlePeriod: deprecated KEE spelling, used as maxEventAgeSeconds`,
      `${file}:7:13: kubeconfig: accepted for KEE compatibility and not used: kube-eventline uses the in-cluster service account, or $KUBECONFIG outside a cluster`,
      `${file}:15:24: receivers[0].stdout.sentUpdateEvent: accepted for KEE compatibility and not used: kube-eventline writes a line for every new occurrence, count updates included`,
    ]);
  });

  test('KEE log levels trace and fatal map onto ours with a warning', () => {
    const { config, warnings } = loadConfig('logLevel: trace\n', 'c.yaml', {});
    expect(config.logLevel).toBe('debug');
    expect(warnings).toEqual(['c.yaml:1:11: logLevel: KEE log level "trace" is treated as "debug"']);
  });

  test('unused receivers, receivers on drop rules and routes that send nothing are warnings', () => {
    const text = ['route:', '  drop:', '    - namespace: x', '      receiver: out', 'receivers:', '  - name: out', '    stdout: {}'].join('\n');
    expect(loadConfig(text, 'c.yaml', {}).warnings).toEqual([
      'c.yaml:2:3: route: no match rule names a receiver, so no Event is written anywhere',
      'c.yaml:4:17: route.drop[0].receiver: ignored, as in KEE: a drop rule does not send anywhere; move the receiver to a match rule',
      'c.yaml:6:11: receivers[0].name: receiver "out" is not used by any route',
    ]);
  });
});

describe('bad configs: every problem named with file:line:col and config path', () => {
  const cases: Array<[string, Record<string, string>, string[]]> = [
    [
      'invalid-regex.yaml',
      {},
      [
        'invalid-regex.yaml:6:22: route.routes[1].drop[0].namespace: invalid regular expression "*test*": missing argument to repetition operator: `*`',
        'invalid-regex.yaml:9:19: route.routes[1].match[0].reason: invalid regular expression "(?P<r>Back": missing closing ): `(?P<r>Back`',
      ],
    ],
    [
      'unknown-receiver.yaml',
      {},
      ['unknown-receiver.yaml:7:21: route.routes[0].match[0].receiver: unknown receiver "slack-alerts" (defined receivers: stdout)'],
    ],
    ['duplicate-receiver.yaml', {}, ['duplicate-receiver.yaml:4:11: receivers[1].name: duplicate receiver name "stdout" (first defined at receivers[0])']],
    [
      'wrong-types.yaml',
      {},
      [
        'wrong-types.yaml:1:21: maxEventAgeSeconds: expected number, got string "soon"',
        'wrong-types.yaml:2:13: namespaces: expected array, got string "shop"',
        'wrong-types.yaml:4:12: enrichment.enabled: expected boolean, got string "yes"',
        'wrong-types.yaml:6:9: metrics.port: Too big: expected number to be <=65535',
        'wrong-types.yaml:7:12: logFormat: Invalid option: expected one of "json"|"pretty"',
      ],
    ],
    [
      'unknown-level.yaml',
      {},
      [
        'unknown-level.yaml:3:12: levels[0].level: unknown level "critical" (levels: info, normal, warning, error, fatal)',
        'unknown-level.yaml:7:17: route.match[0].minLevel: unknown level "warn" (levels: info, normal, warning, error, fatal)',
      ],
    ],
    [
      'undefined-env.yaml',
      { LOG_DIR_TYPO: '/var/log' },
      [
        'undefined-env.yaml:1:14: clusterName: environment variable CLUSTER_NAME is not set (write ${CLUSTER_NAME:-default} to give a default)',
        'undefined-env.yaml:5:13: receivers[0].file.path: environment variable LOG_DIR is not set (write ${LOG_DIR:-default} to give a default)',
      ],
    ],
    [
      'unsupported-receiver.yaml',
      {},
      [
        'unsupported-receiver.yaml:8:7: receivers[0].elasticsearch: receiver type "elasticsearch" is not supported (supported: stdout, file, webhook); ship lines onward with Fluent Bit instead',
      ],
    ],
    [
      'layout.yaml',
      {},
      [
        'layout.yaml:5:9: receivers[0].stdout.layout: layout is not supported: kube-eventline always writes the event line of docs/event-line.md; remove `layout`',
      ],
    ],
    [
      'unknown-field.yaml',
      {},
      [
        'unknown-field.yaml:4:7: route.match[0].minlevel: unknown field (did you mean "minLevel"?)',
        'unknown-field.yaml:5:1: clustername: unknown field (did you mean "clusterName"?)',
      ],
    ],
  ];

  test.each(cases)('%s', (fileName, env, expected) => {
    const text = readFileSync(`${FIXTURES}/bad/${fileName}`, 'utf8');
    expect(problemsOf(() => loadConfig(text, fileName, env))).toEqual(expected);
  });

  test('ConfigError carries structured problems with line and column', () => {
    const text = readFileSync(`${FIXTURES}/bad/invalid-regex.yaml`, 'utf8');
    try {
      loadConfig(text, 'config.yaml', {});
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems[0]).toEqual({
        path: 'route.routes[1].drop[0].namespace',
        message: 'invalid regular expression "*test*": missing argument to repetition operator: `*`',
        line: 6,
        column: 22,
      });
    }
  });

  test('positions stay right on lines after a variable expanded to several lines', () => {
    // A block scalar from the environment adds lines to the parsed text, not to the file.
    const text = 'clusterName: ${LONG}\nnamespaces: [a]\nlogFormat: xml\n';
    expect(problemsOf(() => loadConfig(text, 'c.yaml', { LONG: '"one\n  two\n  three"' }))).toEqual([
      'c.yaml:3:12: logFormat: Invalid option: expected one of "json"|"pretty"',
    ]);
  });

  test('YAML syntax errors are reported with their position', () => {
    expect(problemsOf(() => loadConfig('route:\n  match: [\n', 'c.yaml', {}))[0]).toMatch(/^c\.yaml:\d+:\d+: YAML syntax: /);
    expect(problemsOf(() => loadConfig('a: 1\na: 2\n', 'c.yaml', {}))).toEqual(['c.yaml:2:1: YAML syntax: Map keys must be unique']);
  });

  test('a config that is not a mapping is an error', () => {
    expect(problemsOf(() => loadConfig('- a\n- b\n', 'c.yaml', {}))).toEqual(['c.yaml:1:1: the config must be a YAML mapping, got a list']);
  });

  test('no route and no stdout receiver: the implicit stdout route has nowhere to go', () => {
    const text = 'receivers:\n  - name: nodes\n    file: { path: /tmp/n.jsonl }\n';
    expect(problemsOf(() => loadConfig(text, 'c.yaml', {}))).toEqual([
      'c.yaml:2:3: receivers: there is no route, so every Event goes to the receiver "stdout", which is not defined (defined receivers: nodes); add a route or a stdout receiver',
    ]);
  });

  test('namespaces: "" beside other names, duplicates and invalid namespace names are errors naming the entry', () => {
    // Each entry is a watch of its own: "" (all namespaces) beside `shop` would write shop's Events twice.
    const text = ['namespaces:', '  - ""', '  - shop', '  - shop', '  - Payments', '  - -batch', `  - ${'a'.repeat(64)}`, '  - team_a'].join('\n');
    const invalid = "is not a valid namespace name: lowercase letters, digits and '-' only, starting and ending with a letter or digit (a DNS-1123 label)";
    expect(problemsOf(() => loadConfig(text, 'c.yaml', {}))).toEqual([
      'c.yaml:2:5: namespaces[0]: "" means all namespaces and cannot be listed with other namespaces: remove it, or list only ""',
      'c.yaml:4:5: namespaces[2]: duplicate of namespaces[1]',
      `c.yaml:5:5: namespaces[3]: "Payments" ${invalid}`,
      `c.yaml:6:5: namespaces[4]: "-batch" ${invalid}`,
      `c.yaml:7:5: namespaces[5]: "${'a'.repeat(64)}" is not a valid namespace name: 64 characters, at most 63`,
      `c.yaml:8:5: namespaces[6]: "team_a" ${invalid}`,
    ]);
    expect(problemsOf(() => loadConfig('namespaces: ["", ""]\n', 'c.yaml', {}))).toEqual(['c.yaml:1:18: namespaces[1]: duplicate of namespaces[0]']);
  });

  test('the KEE `namespace` must be a namespace name too, or "" for all', () => {
    expect(problemsOf(() => loadConfig('namespace: Shop\n', 'c.yaml', {}))).toEqual([
      `c.yaml:1:12: namespace: "Shop" is not a valid namespace name: lowercase letters, digits and '-' only, starting and ending with a letter or digit (a DNS-1123 label)`,
    ]);
  });

  test('a KEE spelling and ours together are an error', () => {
    expect(problemsOf(() => loadConfig('namespace: a\nnamespaces: [b]\n', 'c.yaml', {}))).toEqual([
      'c.yaml:1:12: namespace: set namespaces or its KEE spelling namespace, not both',
    ]);
  });

  test('receiver shape problems: no type, two types, checkpoint without a store', () => {
    const text = [
      'receivers:',
      '  - name: a',
      '  - name: b',
      '    stdout: {}',
      '    file: { path: /tmp/b }',
      'checkpoint: { intervalSeconds: 5 }',
      'route: { match: [{ receiver: b }] }',
    ].join('\n');
    expect(problemsOf(() => loadConfig(text, 'c.yaml', {}))).toEqual([
      'c.yaml:2:5: receivers[0]: receiver "a" needs a type: one of stdout, file, webhook',
      'c.yaml:3:5: receivers[1]: receiver "b" has more than one type: stdout, file',
      'c.yaml:6:13: checkpoint: checkpoint needs exactly one of configMap or file',
    ]);
  });

  test('tracking: defaults, overrides, and a TTL shorter than the API server keeps Events is refused', () => {
    expect(loadConfig('{}\n', 'c.yaml', {}).config.tracking).toEqual({ maxEvents: 500_000, ttlSeconds: 7200 });
    expect(loadConfig('tracking: { maxEvents: 2000000 }\n', 'c.yaml', {}).config.tracking).toEqual({ maxEvents: 2_000_000, ttlSeconds: 7200 });
    expect(problemsOf(() => loadConfig('tracking:\n  maxEvents: 0\n  ttlSeconds: 60\n', 'c.yaml', {}))).toEqual([
      'c.yaml:2:14: tracking.maxEvents: must be at least 1 (range 1–10,000,000 Events)',
      "c.yaml:3:15: tracking.ttlSeconds: must be at least 600 (keep it above the API server's --event-ttl, 1h by default)",
    ]);
  });

  test('a missing file is a ConfigError naming it', () => {
    expect(problemsOf(() => loadConfigFile('/nonexistent/kube-eventline.yaml', {}))).toEqual([
      '/nonexistent/kube-eventline.yaml: cannot read the config: file not found',
    ]);
  });
});
