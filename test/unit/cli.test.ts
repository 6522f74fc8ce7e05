// Runs the built command (npm test builds dist/ before vitest) the way a user does.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EventLine } from '../../src/line/event-line.js';
import { occurrenceLedger } from '../support/capture-sink.js';
import { repoPath } from '../support/real-events.js';

const cli = repoPath('dist', 'kube-eventline.mjs'); // the bundle the image runs

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first (npm test does)`);
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env }, timeout: 30_000 });
}

describe('kube-eventline command', () => {
  it('check-config prints the route tree of a valid file', () => {
    const r = run(['check-config', repoPath('test', 'fixtures', 'configs', 'kee', 'stdout-drop-kube-system.yaml')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('stdout-drop-kube-system.yaml: valid');
    // KEE's keys read as KEE means them: maxsize in MiB, maxbackups; the tree in config order.
    expect(r.stdout).toContain('  nodes: file /tmp/node-events.log (rotate at 10485760 bytes, keep 2 rotated)\n');
    expect(r.stdout).toContain(
      [
        '  routes[0]:',
        '    drop[0]: namespace =~ "kube-system" → dropped here and below',
        '    drop[1]: reason =~ "Pulled" and type =~ "Normal" → dropped here and below',
        '    match[0]: type =~ "Warning" → dump',
        '  routes[1]:',
        '    match[0]: kind =~ "Node" → nodes',
      ].join('\n'),
    );
  });

  it('a bad config names file, line, path and problem, exits 2, and shows no stack trace', () => {
    const file = repoPath('test', 'fixtures', 'configs', 'bad', 'invalid-regex.yaml');
    const r = run(['check-config', file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`invalid-regex.yaml:6:`);
    expect(r.stderr).toContain('route.routes[1].drop[0].namespace: invalid regular expression "*test*"');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  });

  it('running with a bad config fails before connecting anywhere', () => {
    const r = run(['--config', repoPath('test', 'fixtures', 'configs', 'bad', 'unknown-receiver.yaml')], { KUBECONFIG: '/nonexistent' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown receiver');
    expect(r.stdout).toBe('');
  });

  it('an undefined ${ENV} is named', () => {
    const r = run(['check-config', repoPath('test', 'fixtures', 'configs', 'bad', 'undefined-env.yaml')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/undefined-env\.yaml:\d+:\d+: .*\$\{?[A-Z_]+/);
  });

  it('an unknown command or flag is a usage error', () => {
    expect(run(['frobnicate']).status).toBe(2);
    const r = run(['--nope']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('Usage:');
  });

  it('exits when it cannot start, instead of staying up and looking alive', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eventline-cli-'));
    const kubeconfig = join(dir, 'kubeconfig');
    // Nothing listens on port 1: reading the checkpoint ConfigMap fails at start.
    writeFileSync(
      kubeconfig,
      'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:1", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n',
    );
    const config = join(dir, 'config.yaml');
    writeFileSync(config, 'metrics: {address: 127.0.0.1, port: 0}\ncheckpoint: {configMap: {namespace: ns, name: cp}}\n');
    const r = run(['--config', config, '--kubeconfig', kubeconfig]);
    expect(r.error).toBeUndefined(); // not killed by the 30 s timeout
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('ECONNREFUSED');
    expect(r.stdout).toBe('');
  });

  it('logFormat: pretty writes readable diagnostics on stderr, json writes JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eventline-cli-'));
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:1", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n',
    );
    const logs = (format: string) => {
      const config = join(dir, `${format}.yaml`);
      writeFileSync(config, `logFormat: ${format}\nmetrics: {address: 127.0.0.1, port: 0}\ncheckpoint: {configMap: {namespace: ns, name: cp}}\n`);
      return (
        run(['--config', config, '--kubeconfig', kubeconfig])
          .stderr.split('\n')
          .find((l) => l.includes('serving /metrics')) ?? ''
      );
    };
    expect(() => JSON.parse(logs('json'))).not.toThrow();
    const pretty = logs('pretty');
    expect(pretty).toMatch(/INFO.*serving \/metrics, \/healthz, \/readyz/);
    expect(() => JSON.parse(pretty)).toThrow();
  });

  it('a kubeconfig that cannot be read (exit 2) or a file receiver that cannot be opened (exit 1): one line saying which, no stack trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eventline-cli-'));
    const missing = run([], { KUBECONFIG: join(dir, 'nope') });
    expect(missing.status).toBe(2);
    expect(missing.stderr.trim()).toBe(`kube-eventline: cannot load the kubeconfig ${join(dir, 'nope')}: file not found`);

    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:1", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n',
    );
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      `metrics: {address: 127.0.0.1, port: 0}\nreceivers:\n  - name: archive\n    file: {path: ${dir}}\nroute: {routes: [{match: [{receiver: archive}]}]}\n`,
    );
    const unopenable = run(['--config', config, '--kubeconfig', kubeconfig]);
    expect(unopenable.status).toBe(1);
    const errors = unopenable.stderr.split('\n').filter((l) => l.startsWith('kube-eventline:'));
    expect(errors).toEqual([`kube-eventline: receiver "archive": cannot open ${dir} for appending: EISDIR: illegal operation on a directory, open '${dir}'`]);
    expect(unopenable.stderr).not.toMatch(/^\s+at /m);
    expect(unopenable.stdout).toBe('');
  });
  it('demo: the real exporter against the simulated cluster writes every scenario occurrence once, and says the cluster is simulated', () => {
    const r = run(['demo', '--speed', '20']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('[SIMULATED cluster] kube-eventline demo: no real cluster is used');
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((text) => JSON.parse(text) as EventLine); // stdout holds event lines only
    const reasons = new Set(lines.map((l) => l.reason));
    for (const reason of ['ScalingReplicaSet', 'BackOff', 'OOMKilling', 'FailedScheduling', 'NodeNotReady', 'ConntrackFull'])
      expect(reasons, reason).toContain(reason);
    expect(lines.find((l) => l.reason === 'OOMKilling')!.level).toBe('error');
    // podFailures: the OOM kills and the image pull failure read from Pod status.
    const podFailures = lines.filter((l) => l.source.component === 'kube-eventline');
    expect(podFailures.map((l) => [l.reason, l.container?.exitCode, l.involvedObject.workload?.name, l.delta, l.count])).toEqual([
      ['Error', 137, 'payments', 1, 1],
      ['OOMKilled', 137, 'indexer', 1, 1],
      ['ErrImagePull', undefined, 'crawler', 1, 1],
      ['OOMKilled', 137, 'indexer', 1, 2],
    ]);
    expect(podFailures.find((l) => l.reason === 'OOMKilled')!.level).toBe('error');
    const { byUid, repeatedPairs } = occurrenceLedger(lines);
    expect(repeatedPairs).toEqual([]);
    // The simulated cluster's own count of what it recorded, against the sum of delta on stdout.
    const recorded = Number(/the simulated cluster recorded (\d+) occurrences/.exec(r.stderr)?.[1]);
    expect(recorded).toBeGreaterThan(lines.length); // some lines stand for several occurrences
    expect([...byUid.values()].reduce((a, b) => a + b, 0)).toBe(recorded);
  });
});
