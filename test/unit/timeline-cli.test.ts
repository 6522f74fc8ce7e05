// `kube-eventline timeline` as a user runs it: from the bundle, bad input, a Loki that is away or
// answers an error (the Loki here is a fault injector on 127.0.0.1, said so below; the real Loki
// is in test/integration/timeline-loki.test.ts).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ESM build script without type declarations
import { TIMELINE_FILE } from '../../scripts/bundle.mjs';
import { repoPath } from '../support/real-events.js';
import { FIXTURE, FIXTURE_POD, timeline } from '../support/timeline.js';

const cli = repoPath('dist', 'kube-eventline.mjs');
const TOKEN = 's3cret-t0ken-never-printed';

function run(args: string[], input?: string) {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first (npm test does)`);
  return spawnSync(process.execPath, [cli, 'timeline', ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, LOKI_BEARER_TOKEN: TOKEN },
    input,
    timeout: 30_000,
  });
}

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** A stand-in for Loki that answers every request with `status` and `body`: it injects the fault. */
async function faultyLoki(status: number, body: string): Promise<{ url: string; seen: IncomingHttpHeaders[] }> {
  const seen: IncomingHttpHeaders[] = [];
  server = createServer((req, res) => {
    seen.push(req.headers);
    res.writeHead(status, { 'content-type': 'text/plain' }).end(body);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, seen };
}

describe('kube-eventline timeline', () => {
  it('runs from the bundle, which loads it from a file of its own', () => {
    const r = run(['--file', FIXTURE, '--pod', FIXTURE_POD]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg ')).toBe(true);
    expect(readFileSync(cli, 'utf8')).toContain(`import("./${TIMELINE_FILE}")`);
    expect(readFileSync(cli, 'utf8')).not.toContain('Every occurrence, by group');
    const stdin = run(['--file', '-', '--pod', FIXTURE_POD, '--format', 'html'], readFileSync(FIXTURE, 'utf8'));
    expect(stdin.status, stdin.stderr).toBe(0);
    expect(stdin.stdout).toMatch(/^<!DOCTYPE html>/);
    expect(stdin.stderr).toContain('skipped 2 of 69 lines that are not event lines (first: (stdin):');
  });

  it('says plainly when nothing is selected, exit 1', () => {
    const r = run(['--file', FIXTURE, '--pod', 'nope', '--namespace', 'shop', '--levels', 'fatal']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`kube-eventline timeline: nothing to draw: none of the 69 lines read from ${FIXTURE} is about Pod shop/nope (levels fatal)\n`);
    expect(r.stdout).toBe('');
  });

  it('refuses bad arguments with the usage, exit 2, no stack', () => {
    for (const [args, message] of [
      [['--pod', 'x'], 'give one input: --file FILE or --loki URL'],
      [['--file', FIXTURE], 'choose one subject'],
      [['--file', FIXTURE, '--pod', 'x', '--workload', 'deployment/api'], 'choose one subject'],
      [['--file', FIXTURE, '--workload', 'api'], '--workload must be KIND/NAME'],
      [['--file', FIXTURE, '--pod', 'x', '--levels', 'warn'], '--levels: "warn" is not a level'],
      [['--file', FIXTURE, '--pod', 'x', '--group', '1.5s'], '--group must be a duration'],
      [['--file', FIXTURE, '--pod', 'x', '--from', 'yesterday'], '--from must be an ISO 8601 time'],
      [['--file', FIXTURE, '--pod', 'x', '--bogus'], "Unknown option '--bogus'"],
    ] as Array<[string[], string]>) {
      const r = run(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain(message);
      expect(r.stderr).toContain('Usage:\n  kube-eventline timeline');
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    const missing = run(['--file', '/nonexistent/events.jsonl', '--pod', 'x']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe(
      "kube-eventline timeline: cannot read /nonexistent/events.jsonl: ENOENT: no such file or directory, open '/nonexistent/events.jsonl'\n",
    );
    const unwritable = run(['--file', FIXTURE, '--pod', FIXTURE_POD, '--out', '/nonexistent/dir/pod.svg']);
    expect(unwritable.status).toBe(1);
    expect(unwritable.stderr).toMatch(
      /^kube-eventline timeline: warning: skipped 2 of 69 lines.*\nkube-eventline timeline: cannot write \/nonexistent\/dir\/pod\.svg: ENOENT\n$/,
    );
  }, 60_000); // eleven processes

  it('names the URL and the cause in one line when Loki cannot be reached, never the token', async () => {
    // A port that was free a moment ago: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const r = run(['--loki', `http://127.0.0.1:${port}`, '--pod', 'x']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`kube-eventline timeline: cannot reach Loki at http://127.0.0.1:${port}/loki/api/v1/query_range: ECONNREFUSED\n`);
  });

  it("names the URL and Loki's answer in one line when Loki answers an error, never the credentials", async () => {
    const loki = await faultyLoki(401, 'no org id\n');
    const dir = mkdtempSync(join(tmpdir(), 'timeline-auth-'));
    writeFileSync(join(dir, 'basic'), 'ops:pa55word\n');
    const r = await timeline(['--loki', `${loki.url}/`, '--tenant', 'team-a', '--pod', 'x', '--basic-auth-file', join(dir, 'basic')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`kube-eventline timeline: Loki at ${loki.url}/loki/api/v1/query_range answered 401 Unauthorized: no org id\n`);
    expect(loki.seen[0]!['x-scope-orgid']).toBe('team-a');
    expect(loki.seen[0]!.authorization).toBe(`Basic ${Buffer.from('ops:pa55word').toString('base64')}`);
    expect(r.stderr).not.toContain(Buffer.from('ops:pa55word').toString('base64'));

    const bearer = await timeline(['--loki', loki.url, '--pod', 'x'], { env: { LOKI_BEARER_TOKEN: TOKEN } });
    expect(bearer.code).toBe(1);
    expect(loki.seen[1]!.authorization).toBe(`Bearer ${TOKEN}`);
    expect(bearer.stderr).not.toContain(TOKEN);
    expect(bearer.stderr.split('\n')).toHaveLength(2); // one line
  });

  it('refuses a user or password in the Loki URL without printing it (fetch quotes the whole URL in its error)', async () => {
    const loki = await faultyLoki(401, 'no\n');
    const withPassword = loki.url.replace('http://', 'http://ops:hunter2@');
    const r = await timeline(['--loki', withPassword, '--pod', 'x']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `kube-eventline timeline: the Loki URL holds a user or password: give them in a file (--basic-auth-file) or $LOKI_BASIC_AUTH, never in the URL (${loki.url}/loki/api/v1/query_range)\n`,
    );
    expect(loki.seen).toHaveLength(0);
  });
});
