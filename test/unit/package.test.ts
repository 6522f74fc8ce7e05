// What `npm pack` ships: what runs (the bundle and any chunk it loads), the notices of the
// packages bundled into it, the docs, README and LICENSE. Never the unbundled dist/ tree.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { repoPath } from '../support/real-events.js';

interface PackResult {
  files: Array<{ path: string }>;
}

function packedFiles(): string[] {
  const pack = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repoPath(), encoding: 'utf8', timeout: 60_000 });
  expect(pack.status, pack.stderr).toBe(0);
  const [result] = JSON.parse(pack.stdout) as PackResult[];
  return result!.files.map((f) => f.path).sort();
}

describe('npm pack', () => {
  const pkg = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { bin: Record<string, string>; license: string };

  it('ships the bundle and every chunk beside it, LICENSE, README and docs (with their images), and nothing else', () => {
    const bin = pkg.bin['kube-eventline']!;
    if (!existsSync(repoPath(bin))) throw new Error(`${bin} is missing: run \`npm run build\` first (npm test does)`);
    const files = packedFiles();
    expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json', bin, `${bin}.licenses.txt`, 'docs/design.md']));
    // Every top-level .mjs the build writes (the bundle, a lazily loaded chunk) is shipped.
    const modules = readdirSync(repoPath('dist'))
      .filter((f) => f.endsWith('.mjs'))
      .map((f) => `dist/${f}`);
    expect(files).toEqual(expect.arrayContaining(modules));
    const unexpected = files.filter(
      (f) =>
        !['LICENSE', 'README.md', 'package.json'].includes(f) &&
        !/^docs\/[^/]+\.md$/.test(f) &&
        !/^docs\/img\/[^/]+\.png$/.test(f) &&
        !/^dist\/[^/]+\.(mjs|mjs\.licenses\.txt)$/.test(f),
    );
    expect(unexpected).toEqual([]);
  });

  it('leaves out the unbundled dist/ tree, source maps and build metadata', () => {
    const files = packedFiles();
    expect(files.filter((f) => f.startsWith('dist/') && /\.(js|map|json|ts)$/.test(f))).toEqual([]);
    expect(files.filter((f) => /^(src|test|bench|scripts|jsonnet|tools)\//.test(f))).toEqual([]);
  });

  it('LICENSE is the Apache License 2.0 that package.json names', () => {
    expect(pkg.license).toBe('Apache-2.0');
    const text = readFileSync(repoPath('LICENSE'), 'utf8');
    expect(text).toContain('Apache License');
    expect(text).toContain('Version 2.0, January 2004');
    expect(text).toContain('END OF TERMS AND CONDITIONS');
  });
});
