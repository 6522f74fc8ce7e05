// npd/plugin/check_dns.sh with the real getent (for a name /etc/hosts answers)
// and with test/fixtures/npd/bin/fake-resolver.sh, which stands in for cluster DNS
// answering, failing and hanging: none of that can be produced on a test machine.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMonitors, npdFixtures, pluginScript, runScript, type ScriptResult, expectOneLine } from './npd-support.js';

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

  it('finishes well inside the rule timeout: DNS_TIMEOUT_SECONDS default is below it', () => {
    const rule = network?.config.rules.find((x) => x.reason === 'DNSResolutionFailed');
    const text = readFileSync(script, 'utf8');
    const dflt = /DNS_TIMEOUT_SECONDS:-(\d+)/.exec(text)?.[1];
    expect(dflt).toBeDefined();
    expect(rule && 'timeout' in rule ? rule.timeout : undefined).toBe('5s');
    expect(Number(dflt)).toBeLessThan(5);
  });
});
