// scripts/go-build.mjs: a first build says what it builds and reports progress while it runs;
// a cached build is silent. The child processes here are small Node scripts standing in for
// `go build -v` (a real cold build takes 30–50 minutes): they write what go writes on stderr,
// package import paths and `go: downloading` lines, and are told when to finish, so nothing
// depends on timing.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildGoBinary, formatElapsed, GoBuildProgress } from '../../scripts/go-build.mjs';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), 'kube-eventline-go-build-'));
  dirs.push(d);
  return d;
}

/** Resolves once `predicate` holds for the lines logged so far. */
function waitFor(lines: string[], predicate: (lines: string[]) => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (predicate(lines) ? resolve() : setTimeout(check, 5));
    check();
  });
}

describe('GoBuildProgress', () => {
  it('reports elapsed time, packages compiled and the latest step, from stderr split anywhere', () => {
    let now = 1_000_000;
    const logged: string[] = [];
    const p = new GoBuildProgress({ name: 'loki', log: (l) => logged.push(l), now: () => now });
    expect(p.status()).toBe('[go build] loki: 0s, 0 packages compiled, resolving modules or linking cached packages');
    p.feed('go: downloading github.com/grafana/loki/v3 v3.6.0\ninternal/ab');
    now += 30_000;
    expect(p.status()).toBe('[go build] loki: 30s, 0 packages compiled, downloading github.com/grafana/loki/v3 v3.6.0');
    p.feed('i\nruntime\nk8s.io/apiserver/pkg/server\n');
    now += 65_000;
    expect(p.status()).toBe('[go build] loki: 1m35s, 3 packages compiled, compiling k8s.io/apiserver/pkg/server');
    p.feed('# example.com/broken\nbroken/main.go:3:1: syntax error: non-declaration statement outside function body\nexample.com/last');
    // What is not progress is the reason of a failure; an unterminated last line still counts.
    expect(p.stop()).toBe('# example.com/broken\nbroken/main.go:3:1: syntax error: non-declaration statement outside function body');
    expect(p.packages).toBe(4);
    expect(logged).toEqual([]);
  });

  it('formats elapsed time as seconds, then minutes and seconds', () => {
    expect(formatElapsed(999)).toBe('0s');
    expect(formatElapsed(59_999)).toBe('59s');
    expect(formatElapsed(60_000)).toBe('1m00s');
    expect(formatElapsed(53 * 60_000 + 7_000)).toBe('53m07s');
  });

  it('reports on its own, while a child is still writing, which package it compiled last', async () => {
    // The child prints a package path every 10 ms until its stdin closes.
    const child = spawn(
      process.execPath,
      [
        '-e',
        `let i = 0;
         const t = setInterval(() => process.stderr.write('example.com/pkg' + (i++) + '\\n'), 10);
         process.stdin.on('end', () => { clearInterval(t); process.stderr.write('example.com/final\\n'); });
         process.stdin.resume();`,
      ],
      { stdio: ['pipe', 'ignore', 'pipe'] },
    );
    const logged: string[] = [];
    const p = new GoBuildProgress({ name: 'fake', log: (l) => logged.push(l), everyMs: 40 });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c: string) => p.feed(c));
    p.start();
    await waitFor(logged, (l) => l.filter((x) => /compiling example\.com\/pkg\d+/.test(x)).length >= 2);
    child.stdin.end();
    await new Promise((r) => child.on('close', r));
    p.stop();
    const reports = logged.filter((x) => x.startsWith('[go build] fake: '));
    expect(reports.length).toBeGreaterThanOrEqual(2);
    for (const r of reports)
      expect(r).toMatch(/^\[go build\] fake: \d+s, \d+ packages? compiled, (compiling example\.com\/pkg\d+|resolving modules or linking cached packages)$/);
    // Counts grow between reports: they describe the build at the time of the report.
    const counts = reports.map((r) => Number(/(\d+) packages? compiled/.exec(r)![1]));
    expect(counts.at(-1)!).toBeGreaterThan(counts[0]!);
    // stop() ends the reports.
    const before = logged.length;
    await new Promise((r) => setTimeout(r, 120));
    expect(logged.length).toBe(before);
  });
});

describe('buildGoBinary', () => {
  /**
   * A stand-in `go`: writes -v style stderr until the file `release` exists, then writes the
   * binary named by `-o`, or fails like a compile error if the file `fail` exists.
   */
  function fakeGo(dir: string): { go: string; release: string } {
    const release = join(dir, 'release');
    const go = join(dir, 'go');
    writeFileSync(
      go,
      `#!${process.execPath}
const fs = require('node:fs');
const out = process.argv[process.argv.indexOf('-o') + 1];
process.stderr.write('go: downloading example.com/dep v1.2.3\\n');
let i = 0;
const t = setInterval(() => {
  process.stderr.write('example.com/dep/pkg' + (i++) + '\\n');
  if (!fs.existsSync(${JSON.stringify(release)})) return;
  clearInterval(t);
  if (fs.existsSync(${JSON.stringify(join(dir, 'fail'))})) {
    process.stderr.write('# example.com/tool\\nmain.go:3:1: syntax error: unexpected }\\n');
    process.exit(1);
  }
  fs.writeFileSync(out, 'binary');
}, 10);
`,
    );
    chmodSync(go, 0o755);
    return { go, release };
  }

  function goModule(dir: string): string {
    const moduleDir = join(dir, 'module');
    mkdirSync(moduleDir);
    writeFileSync(join(moduleDir, 'go.mod'), 'module example.com/tool\n\ngo 1.24\n');
    writeFileSync(join(moduleDir, 'main.go'), 'package main\n\nfunc main() {}\n');
    return moduleDir;
  }

  it('announces a first build, reports progress until it ends, and is silent on a cache hit', async () => {
    const dir = scratch();
    const { go, release } = fakeGo(dir);
    const moduleDir = goModule(dir);
    const cacheDir = join(dir, 'cache');
    const logged: string[] = [];
    const options = { moduleDir, pkg: '.', name: 'tool', cacheDir, what: 'the tool', expect: 'ages', go, everyMs: 30, log: (l: string) => logged.push(l) };

    const building = buildGoBinary(options);
    await waitFor(logged, (l) => l.filter((x) => x.includes('compiling example.com/dep/pkg')).length >= 2);
    writeFileSync(release, '');
    const binary = await building;

    expect(readFileSync(binary, 'utf8')).toBe('binary');
    expect(binary.startsWith(join(cacheDir, 'tool-'))).toBe(true);
    expect(logged[0]).toMatch(
      /^\[go build\] building the tool from Go modules \(\. in .*module\); a first build takes ages; later runs reuse .*tool-[0-9a-f]{16}\. Progress every 0s\.$/,
    );
    expect(
      logged
        .slice(1, -1)
        .every((l) =>
          /^\[go build\] tool: \d+s, \d+ packages? compiled, (compiling example\.com\/dep\/pkg\d+|downloading example\.com\/dep v1\.2\.3|resolving modules or linking cached packages)$/.test(
            l,
          ),
        ),
    ).toBe(true);
    expect(logged.at(-1)).toMatch(/^\[go build\] tool built in \d+s \(\d+ packages compiled\)$/);

    logged.length = 0;
    rmSync(release);
    // The same sources: the cached binary, at once and without a word (the stand-in would hang
    // without the release file, so a rebuild could not pass).
    expect(await buildGoBinary(options)).toBe(binary);
    expect(logged).toEqual([]);
  });

  it('a failed build throws with the compiler diagnostics, not the progress lines, and leaves no binary', async () => {
    const dir = scratch();
    const { go, release } = fakeGo(dir);
    writeFileSync(release, '');
    const moduleDir = goModule(dir);
    const cacheDir = join(dir, 'cache');
    writeFileSync(join(dir, 'fail'), '');
    const err = await buildGoBinary({ moduleDir, pkg: '.', name: 'tool', cacheDir, go, log: () => {} }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/^go build \. in .*module failed after \d+s:\n# example\.com\/tool\nmain\.go:3:1: syntax error: unexpected }$/);
    expect(existsSync(cacheDir) ? readdirSync(cacheDir) : []).toEqual([]);
  });

  it('says when the go command is missing', async () => {
    const dir = scratch();
    const err = await buildGoBinary({
      moduleDir: goModule(dir),
      pkg: '.',
      name: 'tool',
      cacheDir: join(dir, 'cache'),
      go: join(dir, 'no-such-go'),
      log: () => {},
    }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toContain('(is Go installed and on PATH?)');
  });
});
