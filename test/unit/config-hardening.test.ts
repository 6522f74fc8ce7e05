// Config input that used to load with a changed meaning, leak a secret, or crash the loader.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadConfig, loadConfigFile, MAX_CONFIG_BYTES } from '../../src/config/load.js';
import { problemsOf } from '../support/config-problems.js';

describe('patterns RE2 refuses are positioned config errors with RE2’s reason', () => {
  test.each([
    ['  - { message: "a\\\\C", level: info }', 'levels[0].message: invalid regular expression "a\\\\C": invalid escape sequence: `\\C`'],
    ['  - { reason: "x{1001}", level: info }', 'levels[0].reason: invalid regular expression "x{1001}": invalid repeat count: `{1001}`'],
    ['  - { message: "(a)\\\\1", level: info }', 'levels[0].message: invalid regular expression "(a)\\\\1": invalid escape sequence: `\\1`'],
    ['  - { message: "abc\\\\", level: info }', 'levels[0].message: invalid regular expression "abc\\\\": trailing backslash at end of expression'],
  ])('%s', (rule, expected) => {
    const column = rule.indexOf('"') + 1;
    expect(problemsOf(() => loadConfig(`levels:\n${rule}\n`, 'c.yaml', {}))).toEqual([`c.yaml:2:${column}: ${expected}`]);
  });

  test('RE2 syntax JavaScript lacks loads', () => {
    const { config } = loadConfig('levels:\n  - { message: "\\\\x{263a}|[[:^alpha:]]{3}|(?i:disk) pressure", level: error }\n', 'c.yaml', {});
    expect(config.levels[0]?.message).toBe('\\x{263a}|[[:^alpha:]]{3}|(?i:disk) pressure');
  });
});

describe('${VAR} expansion keeps its meaning', () => {
  test('a default may hold a reference: ${A:-${B}} is B, ${A:-${B:-x}} falls back to x', () => {
    expect(loadConfig('clusterName: ${A:-${B}}\n', 'c.yaml', { B: 'bee' }).config.clusterName).toBe('bee');
    expect(loadConfig('clusterName: ${A:-${B:-x}}\n', 'c.yaml', {}).config.clusterName).toBe('x');
    expect(loadConfig('clusterName: ${A:-${B:-x}}\n', 'c.yaml', { A: 'a', B: 'b' }).config.clusterName).toBe('a');
    expect(loadConfig('clusterName: ${A:-pre-${B}-post}\n', 'c.yaml', { B: 'b' }).config.clusterName).toBe('pre-b-post');
  });

  test('an unset variable inside a default, and an unterminated reference, are errors at their place', () => {
    expect(problemsOf(() => loadConfig('clusterName: ${A:-${C}}\n', 'c.yaml', {}))).toEqual([
      'c.yaml:1:19: clusterName: environment variable C is not set (write ${C:-default} to give a default)',
    ]);
    expect(problemsOf(() => loadConfig('clusterName: x\nlogLevel: ${A:-info\n', 'c.yaml', {}))).toEqual([
      'c.yaml:2:11: logLevel: unterminated variable reference "${A:-info" (write ${NAME} or ${NAME:-default}; $${ for a literal ${)',
    ]);
  });
});

describe('secrets from the environment never appear in a problem', () => {
  const secret = 'Sk-9F8e7d6c5b4a';
  const env = { TOKEN: secret, QUOTED: 'pa"ss\\word' };
  test.each([
    ['a pattern', 'levels: [{ message: "${TOKEN}(", level: info }]\n', 'levels[0].message: invalid regular expression "${TOKEN}("'],
    ['a number', 'maxMessageBytes: ${TOKEN}\n', 'maxMessageBytes: expected number, got string "${TOKEN}"'],
    ['an enum', 'logLevel: ${TOKEN}\n', 'logLevel: unknown log level "${TOKEN}"'],
    ['a namespace', 'namespaces: ["${TOKEN}"]\n', 'namespaces[0]: "${TOKEN}" is not a valid namespace name'],
    ['a YAML tag', 'clusterName: !${TOKEN} x\n', 'YAML tag !${TOKEN} is not supported'],
    ['a value JSON-quoted in the message', 'logLevel: ${QUOTED}\n', 'logLevel: unknown log level "${QUOTED}"'],
  ])('%s', (_what, text, expected) => {
    const message = problemsOf(() => loadConfig(text, 'c.yaml', env)).join('\n');
    expect(message).toContain(expected);
    expect(message).not.toContain(secret);
    expect(message).not.toContain('ss\\\\word');
    expect(message).not.toContain('word');
  });
});

describe('YAML the loader refuses in one line, never a crash', () => {
  test.each([
    ['an undefined alias', 'clusterName: *nope\n', 'c.yaml:1:14: YAML: alias *nope has no anchor &nope before it'],
    ['!!js/function', 'clusterName: !!js/function "function () {}"\n', 'c.yaml:1:14: YAML tag !!js/function is not supported'],
    ['!!binary', 'clusterName: !!binary aGk=\n', 'c.yaml:1:14: YAML tag !!binary is not supported'],
    ['a NUL byte', 'clusterName: a\0b\n', 'c.yaml:1:15: the file holds a NUL byte'],
  ])('%s', (_what, text, expected) => {
    const problems = problemsOf(() => loadConfig(text, 'c.yaml', {}));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(expected);
  });

  test('a billion-laughs document is refused before it expands', () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) {
      const name = String.fromCharCode(97 + i);
      const previous = String.fromCharCode(96 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(',')}]`);
    }
    const problems = problemsOf(() => loadConfig(`${levels.join('\n')}\n`, 'c.yaml', {}));
    expect(problems).toEqual(['c.yaml:2:8: YAML: aliases expand to more than 100 copies (a document built to exhaust memory?); write the values out']);
  });

  test('a few anchors and aliases still load', () => {
    const { config } = loadConfig('receivers:\n  - name: a\n    file: &f { path: /tmp/a.jsonl }\nroute:\n  match: [{ receiver: a }]\n', 'c.yaml', {});
    expect(config.receivers).toHaveLength(1);
  });

  test('a file that is not UTF-8 is refused at the first bad byte', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eventline-cfg-'));
    const file = join(dir, 'latin1.yaml');
    writeFileSync(file, Buffer.concat([Buffer.from('clusterName: ok\nlogLevel: caf'), Buffer.from([0xe9]), Buffer.from('\n')]));
    expect(problemsOf(() => loadConfigFile(file, {}))).toEqual([`${file}:2:14: byte 29 is not UTF-8: a config is UTF-8 text`]);
  });

  test('a device or a file larger than a config can be is refused without reading it', () => {
    expect(problemsOf(() => loadConfigFile('/dev/zero', {}))).toEqual(['/dev/zero: cannot read the config: not a regular file']);
    const dir = mkdtempSync(join(tmpdir(), 'eventline-cfg-'));
    const big = join(dir, 'big.yaml');
    writeFileSync(big, `clusterName: ${'x'.repeat(MAX_CONFIG_BYTES)}\n`);
    expect(problemsOf(() => loadConfigFile(big, {}))).toEqual([
      `${big}: cannot read the config: ${MAX_CONFIG_BYTES + 14} bytes, more than the ${MAX_CONFIG_BYTES} a config may have`,
    ]);
  });
});

describe('every value is range-checked at load', () => {
  test('every number in the schema has a lower and an upper bound', async () => {
    const { z } = await import('zod');
    const { configSchema } = await import('../../src/config/schema.js');
    const unbounded: string[] = [];
    let numbers = 0;
    const walk = (node: unknown, path: string): void => {
      if (typeof node !== 'object' || node === null) return;
      const schema = node as Record<string, unknown>;
      if (schema.type === 'number' || schema.type === 'integer') {
        numbers += 1;
        const low = schema.minimum ?? schema.exclusiveMinimum;
        const high = schema.maximum ?? schema.exclusiveMaximum;
        if (typeof low !== 'number' || typeof high !== 'number' || !Number.isFinite(high)) unbounded.push(path);
      }
      for (const [key, child] of Object.entries(schema)) walk(child, `${path}/${key}`);
    };
    walk(z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any', cycles: 'ref' }), '');
    expect(numbers).toBeGreaterThanOrEqual(18);
    expect(unbounded).toEqual([]);
  });

  test.each([
    ['checkpoint: { file: /tmp/cp.json, intervalSeconds: 3000000 }', 'checkpoint.intervalSeconds: must be at most 3,600 seconds (range 1–3,600 seconds)'],
    [
      'receivers: [{ name: stdout, stdout: {} }, { name: f, file: { path: /tmp/f.jsonl, maxFiles: 1000000000 } }]',
      'receivers[1].file.maxFiles: must be at most 1,000 files (range 1–1,000 files): each rotation renames every kept file',
    ],
    [
      'receivers: [{ name: stdout, stdout: {} }, { name: f, file: { path: /tmp/f.jsonl, maxbackups: 5000 } }]',
      'receivers[1].file.maxbackups: must be at most 1,000 files',
    ],
    [
      'receivers: [{ name: stdout, stdout: {} }, { name: f, file: { path: /tmp/f.jsonl, maxBytes: 10 } }]',
      'receivers[1].file.maxBytes: must be at least 4,096 (range 4,096–1,099,511,627,776 bytes)',
    ],
    ['tracking: { maxEvents: 100000000 }', 'tracking.maxEvents: must be at most 10,000,000 Events'],
    ['tracking: { ttlSeconds: 99999999 }', 'tracking.ttlSeconds: must be at most 604,800 (7 days)'],
    ['enrichment: { cacheTTLSeconds: 3000000 }', 'enrichment.cacheTTLSeconds: must be at most 86,400 seconds'],
    ['maxMessageBytes: 100000000', 'maxMessageBytes: must be at most 1,048,576 bytes'],
    ['maxEventAgeSeconds: 99999999999', 'maxEventAgeSeconds: must be at most 2,592,000 seconds'],
    ['kubeQPS: 1e9', 'kubeQPS: must be at most 10,000 requests a second'],
    ['route: { match: [{ minCount: 3000000000, receiver: stdout }] }', 'route.match[0].minCount: must be at most 2,147,483,647'],
    ['checkpoint: { configMap: { namespace: ns, name: ".." } }', 'checkpoint.configMap.name: ".." is not a valid ConfigMap name'],
    ['checkpoint: { configMap: { namespace: ns, name: Bad_Name } }', 'checkpoint.configMap.name: "Bad_Name" is not a valid ConfigMap name'],
    ['leaderElection: { enabled: true, leaderElectionID: Bad_ID }', 'leaderElection.leaderElectionID: "Bad_ID" is not a valid Lease name'],
    ['clusterName: "prod\\u0007"', 'clusterName: must not hold control characters'],
    ['metrics: { address: "" }', 'metrics.address: must be an IP address or a host name'],
  ])('%s', (line, expected) => {
    const problems = problemsOf(() => loadConfig(`${line}\n`, 'c.yaml', {}));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^c\.yaml:1:\d+: /);
    expect(problems[0]).toContain(expected);
  });

  test('names Kubernetes accepts load: a dotted ConfigMap name, the largest values in range', () => {
    const { config } = loadConfig(
      'checkpoint: { configMap: { namespace: ns, name: kube-eventline.checkpoint-1 }, intervalSeconds: 3600 }\ntracking: { maxEvents: 10000000 }\n',
      'c.yaml',
      {},
    );
    expect(config.checkpoint?.configMap?.name).toBe('kube-eventline.checkpoint-1');
  });
});

test('a short value from the environment is left out only where a message quotes it whole', () => {
  expect(
    problemsOf(() => loadConfig('receivers: [{ name: stdout, stdout: {} }, { name: f, file: { path: /tmp/f, maxFiles: 1000${D} } }]\n', 'c.yaml', { D: '1' })),
  ).toEqual(['c.yaml:1:86: receivers[1].file.maxFiles: must be at most 1,000 files (range 1–1,000 files): each rotation renames every kept file']);
  expect(problemsOf(() => loadConfig('logLevel: ${L}\n', 'c.yaml', { L: 'xy' }))[0]).toContain('unknown log level "${L}"');
});
