import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { compilePattern, PatternError, patternProblem } from '../../src/config/pattern.js';
import { simulatedKubeconfigYaml } from '../../src/demo/kubeconfig.js';
import { startFaultServer } from '../support/fake-api.js';
import { repoPath } from '../support/real-events.js';

describe('config patterns (Go regular expressions: RE2, as KEE reads them)', () => {
  test('patterns are unanchored: "Pod" also matches "PodDisruptionBudget"', () => {
    expect(compilePattern('Pod').test('PodDisruptionBudget')).toBe(true);
    expect(compilePattern('^Pod$').test('PodDisruptionBudget')).toBe(false);
    expect(compilePattern('^Pod$').test('Pod')).toBe(true);
  });

  test.each([
    ['(?i)disk pressure', 'Node has DISK Pressure', true],
    ['disk pressure', 'Node has DISK Pressure', false],
    ['(?s)a.b', 'a\nb', true],
    ['a.b', 'a\nb', false],
    ['(?m)^b$', 'a\nb\nc', true],
    ['^b$', 'a\nb\nc', false],
    ['(?is)^x.Y$', 'X\ny', true],
    // Flags anywhere, scoped flag groups and ungreedy mode are Go syntax too.
    ['disk (?i)PRESSURE', 'disk pressure', true],
    ['(?i:DISK) pressure', 'disk pressure', true],
    ['(?i:DISK) pressure', 'disk PRESSURE', false],
    ['(?U)^a+$', 'aaa', true],
  ])('Go flags %j read as in Go (%j → %s)', (pattern, input, expected) => {
    expect(compilePattern(pattern).test(input)).toBe(expected);
  });

  test('\\A and \\z anchor at the text ends, also with (?m)', () => {
    expect(compilePattern('\\Akube-').test('kube-system')).toBe(true);
    expect(compilePattern('\\Akube-').test('A kube-system')).toBe(false);
    expect(compilePattern('system\\z').test('kube-system')).toBe(true);
    expect(compilePattern('system\\z').test('kube-systemz')).toBe(false);
    expect(compilePattern('(?m)\\Afoo').test('bar\nfoo')).toBe(false);
    expect(compilePattern('(?m)^foo').test('bar\nfoo')).toBe(true);
    expect(compilePattern('(?m)bar\\z').test('bar\nfoo')).toBe(false);
    expect(compilePattern('(?m)foo\\z').test('bar\nfoo')).toBe(true);
  });

  test.each([
    ['\\x{263a}', 'smile ☺', true],
    ['\\x{263a}', 'smile x', false],
    ['^[[:^alpha:]]+$', '123-456', true],
    ['^[[:^alpha:]]+$', '123a', false],
    ['^[[:alpha:]]+$', 'Pod', true],
    ['^\\pL+$', 'Événement', true],
    ['^\\p{Greek}+$', 'αβγ', true],
    ['^\\p{Greek}+$', 'abc', false],
    ['^[]a]+$', ']a]', true],
    ['(?P<kind>Pod|Node)$', 'a Node', true],
    ['\\Qa.b*c\\E$', 'xa.b*c', true],
    ['\\Qa.b*c\\E$', 'xaxbbc', false],
    ['^a{1000}$', 'a'.repeat(1000), true],
    ['(?i)(a{1,30})+$', 'xAAAA', true],
  ])('RE2-only syntax %j works (%j → %s)', (pattern, input, expected) => {
    expect(compilePattern(pattern).test(input)).toBe(expected);
  });

  test.each([
    ['*test*', 'invalid regular expression "*test*": missing argument to repetition operator: `*`'],
    ['\\C', 'invalid escape sequence: `\\C`'],
    ['a{1001}', 'invalid repeat count: `{1001}`'],
    ['(a)\\1', 'invalid escape sequence: `\\1`'],
    ['foo(?=bar)', 'invalid or unsupported Perl syntax: `(?=`'],
    ['end\\Z', 'invalid escape sequence: `\\Z`'],
    ['[[:word:]', 'missing closing ]'],
    ['abc\\', 'trailing backslash at end of expression'],
  ])('RE2 refuses %j and says why', (pattern, reason) => {
    expect(() => compilePattern(pattern)).toThrow(PatternError);
    expect(patternProblem(pattern)).toContain(reason);
  });

  test('a valid pattern has no problem', () => {
    expect(patternProblem('^(BackOff|Failed)$')).toBeUndefined();
    expect(patternProblem('[a-z]+\\.example\\.com')).toBeUndefined();
  });
});

describe('runaway patterns', () => {
  // Text a tenant controls, made to defeat each pattern in a backtracking engine: in V8, with or
  // without its linear-time fallback, each of these ran for minutes to hours on one message.
  const hostile = (unit: string, length: number) => `${unit.repeat(length)}!`;
  const runaways: Array<[string, string, boolean]> = [
    ['(?i)(\\w+\\s?)+probe failed$', `${'Liveness probe '.repeat(4)}x!`, false], // 62 characters
    ['(?i)(\\w+\\s?)+probe failed$', 'Readiness probe failed', true],
    ['(a{1,30})+$', hostile('a', 60), false],
    ['(.*a){20}$', hostile('a', 60), false],
    ['(.*a){20}$', 'a'.repeat(25), true],
    ['^(\\w+\\s?){1,50}$', hostile('ab ', 40), false],
    ['(?i)(a+)+$', hostile('A', 5000), false],
    ['(?i)(a+)+$', 'A'.repeat(5000), true],
  ];

  test.each(runaways)('%j against hostile text completes with the right answer', (pattern, text, expected) => {
    expect(compilePattern(pattern).test(text)).toBe(expected);
  });

  test('the same patterns against a 1 MiB message complete (figures printed, not asserted)', () => {
    const big = hostile('a', 1024 * 1024);
    for (const pattern of ['(a{1,30})+$', '(.*a){20}$', '(?i)(a+)+$', '^(\\w+\\s?){1,50}$']) {
      const started = performance.now();
      expect(compilePattern(pattern).test(big)).toBe(false);
      console.log(`runaway pattern ${JSON.stringify(pattern)} on a 1 MiB hostile message: ${(performance.now() - started).toFixed(1)} ms`);
    }
  });

  test('the command: a route rule with nested repetition does not stall the exporter', async () => {
    // A one-Event API server (list, then a watch that stays open): this test needs only an Event
    // whose message defeats the drop rule's pattern, which no real component would write.
    const message = `${'a'.repeat(40)}!`;
    const at = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const event = {
      metadata: { name: 'runaway', namespace: 'shop', uid: 'uid-runaway', resourceVersion: '5' },
      involvedObject: { kind: 'Pod', namespace: 'shop', name: 'p' },
      reason: 'Runaway',
      message,
      type: 'Warning',
      source: { component: 'test' },
      firstTimestamp: at,
      lastTimestamp: at,
      count: 1,
    };
    const server = await startFaultServer((req, res) => {
      if (new URL(req.url ?? '/', 'http://x').searchParams.has('watch')) {
        res.writeHead(200, { 'Content-Type': 'application/json' }).flushHeaders(); // open, quiet
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ kind: 'EventList', metadata: { resourceVersion: '5' }, items: [event] }));
    });
    const dir = mkdtempSync(join(tmpdir(), 'eventline-runaway-'));
    writeFileSync(join(dir, 'kubeconfig'), simulatedKubeconfigYaml(server.url, 'test-token'));
    writeFileSync(
      join(dir, 'config.yaml'),
      'logLevel: error\nmetrics: {address: 127.0.0.1, port: 0}\nenrichment: {enabled: false}\nroute: {routes: [{drop: [{message: "^(a+)+$"}], match: [{receiver: stdout}]}]}\n',
    );
    const child = spawn(
      process.execPath,
      [repoPath('dist', 'kube-eventline.mjs'), '--config', join(dir, 'config.yaml'), '--kubeconfig', join(dir, 'kubeconfig')],
      { env: { PATH: process.env.PATH } },
    );
    try {
      // The drop rule does not match, so the Event is written: once the match has finished.
      const line = await new Promise<string>((resolve, reject) => {
        let stdout = '';
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          if (stdout.includes('\n')) resolve(stdout.slice(0, stdout.indexOf('\n')));
        });
        child.on('close', (code) => reject(new Error(`exited ${code} before writing the line: ${stderr}`)));
        setTimeout(() => reject(new Error('no line within 20 s: the match is stalled')), 20_000).unref();
      });
      expect(JSON.parse(line)).toMatchObject({ reason: 'Runaway', message });
    } finally {
      child.kill('SIGKILL');
      await server.close();
    }
  }, 30_000);
});
