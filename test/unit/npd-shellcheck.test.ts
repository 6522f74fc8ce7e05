// Every shell script of the NPD bundle and of its test doubles passes shellcheck.
// shellcheck comes from Debian (`apt-get install -y shellcheck`); without it this
// test fails rather than skips, so CI cannot go green without linting.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { npdDir, npdFixtures, repoRoot } from './npd-support.js';

const scripts = [
  ...readdirSync(join(npdDir, 'plugin')).map((f) => join(npdDir, 'plugin', f)),
  ...readdirSync(join(npdFixtures, 'bin')).map((f) => join(npdFixtures, 'bin', f)),
].filter((f) => f.endsWith('.sh'));

function shellcheckVersion(): string | undefined {
  const r = spawnSync('shellcheck', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return undefined;
  return /version: (\S+)/.exec(r.stdout)?.[1];
}

describe('shellcheck', () => {
  it('is installed', () => {
    expect(shellcheckVersion(), 'shellcheck is not installed: run `apt-get update && apt-get install -y shellcheck`').toBeDefined();
  });

  it('finds the plugin scripts', () => {
    expect(scripts.map((s) => s.split('/').pop())).toEqual(expect.arrayContaining(['check_conntrack.sh', 'check_dns.sh', 'check_clock.sh']));
  });

  it.each(scripts.map((s) => [relative(repoRoot, s), s] as const))('%s is clean', (_name, file) => {
    const r = spawnSync('shellcheck', ['--shell=bash', '--severity=style', '--external-sources', file], {
      encoding: 'utf8',
    });
    if (r.error) {
      throw new Error(`shellcheck could not run (${r.error.message}): apt-get install -y shellcheck`);
    }
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it.each(scripts.map((s) => [relative(repoRoot, s), s] as const))('%s starts with #!/bin/bash, which the NPD image has', (_name, file) => {
    // NPD executes the plugin path directly, so the kernel reads this line.
    expect(readFileSync(file, 'utf8').split('\n')[0]).toBe('#!/bin/bash');
  });
});
