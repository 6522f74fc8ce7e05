import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { compilePattern, PatternError, patternProblem } from '../../src/config/pattern.js';
import { simulatedKubeconfigYaml } from '../../src/demo/kubeconfig.js';
import { startFaultServer } from '../support/fake-api.js';
import { repoPath } from '../support/real-events.js';

describe('config patterns (JavaScript RegExp with Go habits translated)', () => {
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
  ])('leading Go flag group %j becomes a JavaScript flag (%j → %s)', (pattern, input, expected) => {
    expect(compilePattern(pattern).test(input)).toBe(expected);
  });

  test('Go \\A and \\z anchor at the text ends instead of matching the letters A and z', () => {
    expect(compilePattern('\\Akube-').test('kube-system')).toBe(true);
    expect(compilePattern('\\Akube-').test('A kube-system')).toBe(false);
    expect(compilePattern('system\\z').test('kube-system')).toBe(true);
    expect(compilePattern('system\\z').test('kube-systemz')).toBe(false);
    // With (?m), ^ and $ are per line, but \A and \z still only the ends of the whole text.
    expect(compilePattern('(?m)\\Afoo').test('bar\nfoo')).toBe(false);
    expect(compilePattern('(?m)^foo').test('bar\nfoo')).toBe(true);
    expect(compilePattern('(?m)bar\\z').test('bar\nfoo')).toBe(false);
    expect(compilePattern('(?m)foo\\z').test('bar\nfoo')).toBe(true);
  });

  test('Go named groups (?P<name>…) and \\Q…\\E literals are translated', () => {
    expect(compilePattern('(?P<kind>Pod|Node)').exec('a Node')?.groups?.kind).toBe('Node');
    expect(compilePattern('\\Qa.b*c\\E$').test('xa.b*c')).toBe(true);
    expect(compilePattern('\\Qa.b*c\\E$').test('xaxbbc')).toBe(false);
  });

  test.each([
    ['*test*', 'invalid regular expression "*test*": Nothing to repeat'],
    ['(?i:disk)', 'only supported as a prefix of the whole pattern'],
    ['abc(?i)def', 'only supported as a prefix of the whole pattern'],
    ['(?U)a+', 'flag "U" in (?U) is not supported'],
    ['[[:alpha:]]+', 'POSIX class [:alpha:] is not supported'],
    ['\\pL', 'Unicode classes'],
    ['[]a]', "a ']' right after '[' is a literal in Go"],
    ['end\\Z', '\\Z is not a valid escape'],
  ])('rejects %j with a clear reason', (pattern, reason) => {
    expect(() => compilePattern(pattern)).toThrow(PatternError);
    expect(patternProblem(pattern)).toContain(reason);
  });

  test('a valid pattern has no problem', () => {
    expect(patternProblem('^(BackOff|Failed)$')).toBeUndefined();
    expect(patternProblem('[a-z]+\\.example\\.com')).toBeUndefined();
  });
});

describe('runaway patterns', () => {
  test('a pattern with nested repetition does not hang on a message made to defeat it', () => {
    // In a process of its own, with the V8 flag the command sets first (dist/: npm test builds it first). Without V8's linear-time
    // fallback this match backtracks about 2^40 times (hours); the timeout only catches that hang.
    const script = `
      const { enableLinearTimeRegexpFallback } = await import(${JSON.stringify(repoPath('dist', 'config', 'regexp-engine.js'))});
      enableLinearTimeRegexpFallback();
      const { compilePattern } = await import(${JSON.stringify(repoPath('dist', 'config', 'pattern.js'))});
      const results = ['^(a+)+$', '\\\\A(a+)+\\\\z'].map((p) => compilePattern(p)).flatMap((re) => [re.test('a'.repeat(40) + '!'), re.test('a'.repeat(40))]);
      process.stdout.write(results.join(' '));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.error, 'the match did not finish').toBeUndefined();
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('false true false true');
  });

  test('the command sets that flag itself: a route rule with nested repetition does not stall the exporter', async () => {
    // A one-Event API server (list, then a watch that stays open): this test needs only an Event
    // whose message defeats the drop rule's pattern, which no real component would write.
    const message = `${'a'.repeat(40)}!`;
    const at = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const event = { metadata: { name: 'runaway', namespace: 'shop', uid: 'uid-runaway', resourceVersion: '5' }, involvedObject: { kind: 'Pod', namespace: 'shop', name: 'p' }, reason: 'Runaway', message, type: 'Warning', source: { component: 'test' }, firstTimestamp: at, lastTimestamp: at, count: 1 };
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
    const child = spawn(process.execPath, [repoPath('dist', 'kube-eventline.mjs'), '--config', join(dir, 'config.yaml'), '--kubeconfig', join(dir, 'kubeconfig')], { env: { PATH: process.env.PATH } });
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
