// npd/plugin/check_dns.sh with the real getent (for a name /etc/hosts answers)
// and with test/fixtures/npd/bin/fake-resolver.sh, which stands in for cluster DNS
// answering, failing and hanging: none of that can be produced on a test machine.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectOneLine, loadMonitors, npdFixtures, pluginScript, runScript, type ScriptResult } from './npd-support.js';

const script = pluginScript('check_dns.sh');
const fake = join(npdFixtures, 'bin', 'fake-resolver.sh');
const network = loadMonitors().find((m) => m.file === 'network-problem-monitor.json');
const maxOutput = network?.kind === 'custom' ? network.config.pluginConfig.max_output_length : 80;

const oneLine = (r: ScriptResult): string => expectOneLine(r, maxOutput);

describe('check_dns.sh', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'npd-dns-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('OK (exit 0) with the real getent for a name in /etc/hosts', () => {
    const r = runScript(script, { DNS_LOOKUP_NAME: 'localhost' });
    expect(r.status).toBe(0);
    expect(oneLine(r)).toBe('DNS lookup of localhost works');
  });

  it('looks up kubernetes.default.svc.cluster.local by default and reports OK', () => {
    const argsFile = join(scratch, 'args');
    const r = runScript(script, { DNS_RESOLVER: `bash ${fake}`, FAKE_DNS_MODE: 'ok', FAKE_DNS_ARGS: argsFile });
    expect(r.status).toBe(0);
    expect(readFileSync(argsFile, 'utf8').trim()).toBe('kubernetes.default.svc.cluster.local');
    expect(oneLine(r)).toBe('DNS lookup of kubernetes.default.svc.cluster.local works');
  });

  it('DNSResolutionFailed (exit 1) when the name does not resolve', () => {
    const r = runScript(script, { DNS_RESOLVER: `bash ${fake}`, FAKE_DNS_MODE: 'nxdomain' });
    expect(r.status).toBe(1);
    expect(oneLine(r)).toBe('DNS lookup of kubernetes.default.svc.cluster.local failed');
  });

  it('DNSResolutionFailed (exit 1) when the resolver hangs past DNS_TIMEOUT_SECONDS', () => {
    const r = runScript(script, { DNS_RESOLVER: `bash ${fake}`, FAKE_DNS_MODE: 'hang', DNS_TIMEOUT_SECONDS: '1' });
    expect(r.status).toBe(1);
    expect(oneLine(r)).toBe('DNS lookup of kubernetes.default.svc.cluster.local timed out after 1s');
  });

  it('uses DNS_LOOKUP_NAME for clusters with another domain', () => {
    const argsFile = join(scratch, 'args2');
    const r = runScript(script, {
      DNS_RESOLVER: `bash ${fake}`,
      FAKE_DNS_ARGS: argsFile,
      DNS_LOOKUP_NAME: 'kubernetes.default.svc.corp.example',
    });
    expect(r.status).toBe(0);
    expect(readFileSync(argsFile, 'utf8').trim()).toBe('kubernetes.default.svc.corp.example');
  });

  it('Unknown (exit 2) when the resolver command is not installed', () => {
    const r = runScript(script, { DNS_RESOLVER: 'no-such-resolver-for-npd-test hosts' });
    expect(r.status).toBe(2);
    expect(oneLine(r)).toBe("Resolver 'no-such-resolver-for-npd-test' not found; cannot check DNS");
  });

  it('Unknown (exit 2), not a DNS failure, for an invalid DNS_TIMEOUT_SECONDS', () => {
    // `timeout abc ...` exits 125 without running the resolver; that used to read as a failed lookup.
    const r = runScript(script, { DNS_RESOLVER: `bash ${fake}`, FAKE_DNS_MODE: 'ok', DNS_TIMEOUT_SECONDS: 'abc' });
    expect(r.status).toBe(2);
    expect(oneLine(r)).toBe("Bad DNS_TIMEOUT_SECONDS: 'abc' (want 1-60)");
  });

  it.each([
    ['empty', ''],
    ['zero, which timeout reads as no limit', '0'],
    ['negative', '-1'],
    ['fractional', '1.5'],
    ['with a unit', '3s'],
    ['over 60', '61'],
    ['huge', '99999999999999999999'],
    ['an arithmetic expression', '1+1'],
  ])('Unknown for DNS_TIMEOUT_SECONDS %s', (_what, value) => {
    const r = runScript(script, { DNS_RESOLVER: `bash ${fake}`, FAKE_DNS_MODE: 'ok', DNS_TIMEOUT_SECONDS: value });
    expect(r.status).toBe(2);
    expect(oneLine(r)).toBe(`Bad DNS_TIMEOUT_SECONDS: '${value.slice(0, 20)}' (want 1-60)`);
    expect(r.stderr).toBe('');
  });

  it('accepts a timeout with a leading zero as decimal (08 is 8 s, not an octal error)', () => {
    const r = runScript(script, { DNS_RESOLVER: `bash ${fake}`, FAKE_DNS_MODE: 'ok', DNS_TIMEOUT_SECONDS: '08' });
    expect(r.status).toBe(0);
  });

  it.each([
    ['empty', ''],
    ['an option', '-s'],
    ['with a blank', 'kubernetes default'],
    ['longer than 253 characters', `${'a'.repeat(250)}.local`],
    ['with a shell character', 'a;b'],
  ])('Unknown for a DNS_LOOKUP_NAME that is %s', (_what, value) => {
    const argsFile = join(scratch, 'never');
    const r = runScript(script, { DNS_RESOLVER: `bash ${fake}`, FAKE_DNS_ARGS: argsFile, DNS_LOOKUP_NAME: value });
    expect(r.status).toBe(2);
    expect(oneLine(r)).toBe(`Bad DNS_LOOKUP_NAME: '${value.slice(0, 20)}' (not a DNS name)`);
    expect(existsSync(argsFile), 'the resolver must not run').toBe(false);
  });

  it.each([
    ['empty', ''],
    ['blank', '   '],
  ])('Unknown for a DNS_RESOLVER that is %s', (_what, value) => {
    const r = runScript(script, { DNS_RESOLVER: value });
    expect(r.status).toBe(2);
    expect(oneLine(r)).toBe(`Bad DNS_RESOLVER: '${value}' (empty)`);
  });

  it('Unknown when the resolver exists but cannot be executed', () => {
    const notExecutable = join(scratch, 'not-executable');
    writeFileSync(notExecutable, '#!/bin/bash\nexit 0\n', { mode: 0o644 });
    const r = runScript(script, { DNS_RESOLVER: notExecutable });
    expect(r.status).toBe(2);
    expect(oneLine(r)).toBe(`Resolver '${notExecutable.slice(0, 30)}' not found; cannot check DNS`);
  });

  it('keeps the outcome inside max_output_length for a long cluster domain', () => {
    const name = 'kubernetes.default.svc.a-long-cluster-domain.example.internal';
    const r = runScript(script, { DNS_RESOLVER: `bash ${fake}`, FAKE_DNS_MODE: 'hang', DNS_TIMEOUT_SECONDS: '1', DNS_LOOKUP_NAME: name });
    expect(r.status).toBe(1);
    expect(oneLine(r)).toBe(`DNS lookup of ${name.slice(0, 37)}... timed out after 1s`);
  });

  it('finishes well inside the rule timeout: DNS_TIMEOUT_SECONDS default is below it', () => {
    const rule = network?.config.rules.find((x) => x.reason === 'DNSResolutionFailed');
    const text = readFileSync(script, 'utf8');
    const dflt = /DNS_TIMEOUT_SECONDS:?-(\d+)\}/.exec(text)?.[1];
    expect(dflt).toBeDefined();
    expect(rule && 'timeout' in rule ? rule.timeout : undefined).toBe('5s');
    expect(Number(dflt)).toBeLessThan(5);
  });
});
