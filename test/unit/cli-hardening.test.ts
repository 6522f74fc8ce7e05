// User mistakes the built command (dist/kube-eventline.mjs, as the image runs it) must answer with
// one line and exit code 2: never a stack trace, never a secret.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoPath } from '../support/real-events.js';

const cli = repoPath('dist', 'kube-eventline.mjs');

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first (npm test does)`);
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env }, timeout: 30_000 });
  expect(r.error, 'the command did not finish').toBeUndefined();
  return r;
}

/** Exit code 2 and exactly one line on stderr, which is returned. */
function oneLineFailure(r: ReturnType<typeof run>): string {
  expect(r.status, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.split('\n').filter((line) => line !== '');
  expect(lines, r.stderr).toHaveLength(1);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  return lines[0] ?? '';
}

const dir = mkdtempSync(join(tmpdir(), 'eventline-cli-hard-'));
const file = (name: string, content: string | Buffer) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const TOKEN = 'eyJhbGciOiJSUzI1NiIsImtpZCI6InNlY3JldC10b2tlbi12YWx1ZSJ9';
const PASSWORD = 'hunter2-Pa55word';
const quietConfig = file('quiet.yaml', 'logLevel: error\nmetrics: {address: 127.0.0.1, port: 0}\n');

describe('kubeconfig problems: one line, exit 2, no secret', () => {
  it('a malformed kubeconfig holding a token and a password is named by file, line and column only', () => {
    const kubeconfig = file(
      'broken-kubeconfig',
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443"}}]',
        'users:',
        '- name: u',
        '  user:',
        `    token: ${TOKEN}`,
        `    password: ${PASSWORD}`,
        '   bad-indent: [unclosed',
        'current-context: x',
        '',
      ].join('\n'),
    );
    const line = oneLineFailure(run(['--config', quietConfig, '--kubeconfig', kubeconfig]));
    expect(line).toMatch(new RegExp(`^kube-eventline: cannot load the kubeconfig ${kubeconfig}:\\d+:\\d+: not valid YAML`));
    expect(line).not.toContain(TOKEN);
    expect(line).not.toContain(PASSWORD);
  });

  it.each([
    ['an empty kubeconfig', '', 'not a kubeconfig (empty, or not a YAML mapping)'],
    [
      'one with no current-context',
      'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:1"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n',
      'no current cluster (it sets no current-context)',
    ],
    [
      'one whose context names no cluster',
      'apiVersion: v1\nkind: Config\nclusters: []\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: gone, user: u}}]\ncurrent-context: x\n',
      'no current cluster (the cluster of its current-context "x" is not defined)',
    ],
  ])('%s', (name, content, expected) => {
    const kubeconfig = file(`${name.replace(/\W+/g, '-')}.kubeconfig`, content);
    const line = oneLineFailure(run(['--config', quietConfig, '--kubeconfig', kubeconfig]));
    expect(line).toContain(expected);
    expect(line).toContain(kubeconfig);
  });
});

describe('the metrics address: one line, exit 2', () => {
  const kubeconfig = file(
    'kubeconfig',
    'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:1", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n',
  );

  it('an address that does not resolve', () => {
    const config = file('unresolvable.yaml', 'logLevel: error\nmetrics: {address: no-such-host.invalid, port: 0}\n');
    expect(oneLineFailure(run(['--config', config, '--kubeconfig', kubeconfig]))).toBe(
      'kube-eventline: metrics: cannot listen on no-such-host.invalid:0 (metrics.address, metrics.port): the address does not resolve (ENOTFOUND)',
    );
  });

  it('a port in use', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      const config = file('in-use.yaml', `logLevel: error\nmetrics: {address: 127.0.0.1, port: ${port}}\n`);
      expect(oneLineFailure(run(['--config', config, '--kubeconfig', kubeconfig]))).toBe(
        `kube-eventline: metrics: cannot listen on 127.0.0.1:${port} (metrics.address, metrics.port): the port is in use (EADDRINUSE)`,
      );
    } finally {
      holder.close();
    }
  });
});

describe('config files check-config refuses in one line', () => {
  const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 9; i++)
    laughs.push(
      `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
        .fill(`*${String.fromCharCode(96 + i)}`)
        .join(',')}]`,
    );
  it.each([
    ['an undefined alias', 'clusterName: *nope\n', ':1:14: YAML: alias *nope has no anchor &nope before it'],
    ['a billion-laughs document', `${laughs.join('\n')}\n`, ':2:8: YAML: aliases expand to more than 100 copies'],
    ['a !!js/function tag', 'clusterName: !!js/function "function () { return process.exit(3) }"\n', ':1:14: YAML tag !!js/function is not supported'],
    ['a NUL byte', 'clusterName: x\0y\n', ':1:15: the file holds a NUL byte'],
    ['invalid UTF-8', Buffer.concat([Buffer.from('clusterName: caf'), Buffer.from([0xe9, 0x0a])]), ':1:17: byte 16 is not UTF-8'],
  ])('%s', (name, content, expected) => {
    const path = file(`${name.replace(/\W+/g, '-')}.yaml`, content);
    const line = oneLineFailure(run(['check-config', path]));
    expect(line.startsWith(`${path}${expected}`), line).toBe(true);
  });

  it('a device is refused without being read (check-config /dev/zero used to grow to 16.8 GB)', () => {
    expect(oneLineFailure(run(['check-config', '/dev/zero']))).toBe('/dev/zero: cannot read the config: not a regular file');
  });

  it('an expanded secret in a config problem is shown as its reference', () => {
    const secret = 'Tok-3xpanded-S3cret';
    const path = file('secret.yaml', 'clusterName: x\nlogLevel: ${LOG_TOKEN}\n');
    const line = oneLineFailure(run(['check-config', path], { LOG_TOKEN: secret }));
    expect(line).toBe(`${path}:2:11: logLevel: unknown log level "\${LOG_TOKEN}" (levels: debug, info, warn, error)`);
    expect(line).not.toContain(secret);
  });
});
