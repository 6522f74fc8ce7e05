// The built command (npm test builds dist/ before vitest) with webhook receivers, as a user runs it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoPath } from '../support/real-events.js';

const cli = repoPath('dist', 'kube-eventline.mjs');

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first (npm test does)`);
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env }, timeout: 30_000 });
}

describe('kube-eventline with webhook receivers', () => {
  it('check-config describes a webhook without printing its endpoint, and warns about a token written inline', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eventline-webhook-cli-'));
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      `route: { match: [{ receiver: slack }, { receiver: ding }] }
receivers:
  - name: slack
    webhook: { endpoint: "https://hooks.slack.com/services/T1/B1/inline-token-value", preset: slack }
  - name: ding
    webhook: { endpoint: "\${DING_URL}", secret: "\${DING_SECRET}", preset: dingtalk, collapseSeconds: 0 }
`,
    );
    const r = run(['check-config', config], { DING_URL: 'https://oapi.dingtalk.com/robot/send?access_token=env-token-value', DING_SECRET: 'SECenv' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('  slack: webhook, preset slack, queue 1000, 60/min (burst 1), repeats collapsed over 300s\n');
    expect(r.stdout).toContain('  ding: webhook, preset dingtalk, queue 1000, 19/min (burst 1), no collapsing\n');
    expect(r.stderr.trim().split('\n')).toEqual([
      `warning: ${config}:4:26: receivers[0].webhook.endpoint: the endpoint holds a token written in the config: write \${VARIABLE} (from a Secret through the environment) or use the matching …File key (a mounted Secret) (endpointFile)`,
    ]);
    for (const secret of ['inline-token-value', 'env-token-value', 'SECenv']) expect(r.stdout + r.stderr).not.toContain(secret);
  });

  it('a secret file that cannot be read: one line naming receiver and file, exit 1, no stack trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eventline-webhook-cli-'));
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:1", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n',
    );
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      `metrics: {address: 127.0.0.1, port: 0}\nroute: { match: [{ receiver: ding }] }\nreceivers:\n  - name: ding\n    webhook: { endpointFile: ${dir}/missing-url, preset: dingtalk }\n`,
    );
    const r = run(['--config', config, '--kubeconfig', kubeconfig]);
    expect(r.status).toBe(1);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('kube-eventline:'))).toEqual([
      `kube-eventline: receiver "ding": cannot read the endpoint from ${dir}/missing-url: file not found`,
    ]);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stdout).toBe('');
  });
});
