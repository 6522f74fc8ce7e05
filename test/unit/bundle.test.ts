// The bundle the image runs (dist/kube-eventline.mjs, built by scripts/bundle.mjs; npm test builds it),
// and the demo's file beside it (dist/kube-eventline-demo.mjs).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ESM build script without type declarations
import { DEMO_FILE, DIGEST_FILE, optionalMissing, TIMELINE_FILE } from '../../scripts/bundle.mjs';
import { repoPath } from '../support/real-events.js';

const bundlePath = repoPath('dist', 'kube-eventline.mjs');
const demoPath = repoPath('dist', DEMO_FILE);

interface Metafile {
  inputs: Record<string, unknown>;
  outputs: Record<string, { imports: Array<{ path: string; external?: boolean }> }>;
}

function bundleMeta(path = bundlePath): Metafile {
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` first (npm test does)`);
  return JSON.parse(readFileSync(`${path}.meta.json`, 'utf8')) as Metafile;
}

describe('dist/kube-eventline.mjs', () => {
  it('runs on its own: copied with package.json alone, no node_modules, it validates a config', () => {
    bundleMeta();
    const dir = mkdtempSync(join(tmpdir(), 'kube-eventline-bundle-'));
    mkdirSync(join(dir, 'dist'));
    copyFileSync(bundlePath, join(dir, 'dist', 'kube-eventline.mjs'));
    copyFileSync(repoPath('package.json'), join(dir, 'package.json'));
    const run = (args: string[]) =>
      spawnSync(process.execPath, [join(dir, 'dist', 'kube-eventline.mjs'), ...args], {
        encoding: 'utf8',
        cwd: dir,
        env: { PATH: process.env.PATH },
        timeout: 30_000,
      });
    const version = run(['--version']);
    expect(version.stderr).toBe('');
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(repoPath('package.json'), 'utf8')).version);
    const check = run(['check-config', repoPath('test', 'fixtures', 'configs', 'kee', 'stdout-drop-kube-system.yaml')]);
    expect(check.status, check.stderr).toBe(0);
    expect(check.stdout).toContain('valid');
    // Without the demo's file beside it (as in the image), `demo` says so in one line.
    const demo = run(['demo']);
    expect(demo.status).toBe(1);
    expect(demo.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^kube-eventline: the demo is not installed with this command \(.*kube-eventline-demo\.mjs.*\); the image holds the exporter only/),
    ]);
  });

  it('imports nothing but Node built-ins, the optional modules it is known to run without, and the demo, timeline and digest files', () => {
    const builtins = new Set(builtinModules);
    const outside = (path: string) => {
      const imports = Object.values(bundleMeta(path).outputs).flatMap((o) => o.imports);
      expect(imports.length).toBeGreaterThan(0);
      return [...new Set(imports.filter((i) => !i.path.startsWith('node:') && !builtins.has(i.path)).map((i) => i.path))].sort();
    };
    expect(outside(bundlePath)).toEqual([...optionalMissing, `./${DEMO_FILE}`, `./${TIMELINE_FILE}`, `./${DIGEST_FILE}`].sort());
    expect(outside(demoPath)).toEqual([]);
    expect(outside(repoPath('dist', TIMELINE_FILE))).toEqual([]);
    expect(outside(repoPath('dist', DIGEST_FILE))).toEqual([]);
    // The digest's code stays in its own file; its queries (jsonnet/digest-queries.json) went in there.
    expect(Object.keys(bundleMeta().inputs).filter((p) => p.startsWith('dist/digest/'))).toEqual([]);
    expect(Object.keys(bundleMeta(repoPath('dist', DIGEST_FILE)).inputs)).toContain('jsonnet/digest-queries.json');
  });

  it("leaves the demo's simulated cluster out: only `kube-eventline demo` loads it, from its own file", () => {
    const demoModules = (path: string) =>
      Object.keys(bundleMeta(path).inputs)
        .filter((p) => p.startsWith('dist/demo/'))
        .sort();
    // The narration that runs the real exporter stays; the simulated API server, its store and scenario do not.
    expect(demoModules(bundlePath)).toEqual(['dist/demo/run-demo.js']);
    expect(demoModules(demoPath)).toEqual(
      expect.arrayContaining(['dist/demo/api-server.js', 'dist/demo/object-store.js', 'dist/demo/demo-scenario.js', 'dist/demo/simulated-cluster.js']),
    );
    expect(readFileSync(bundlePath, 'utf8')).not.toContain('class SimulatedApiServer');
    expect(readFileSync(bundlePath, 'utf8')).toContain(`import("./${DEMO_FILE}")`);
  });

  it('runs the demo from the files the package ships (dist/*.mjs) and package.json, no node_modules', () => {
    bundleMeta();
    const dir = mkdtempSync(join(tmpdir(), 'kube-eventline-packed-'));
    mkdirSync(join(dir, 'dist'));
    const shipped = readdirSync(repoPath('dist')).filter((f) => f.endsWith('.mjs'));
    expect(shipped.sort()).toEqual([DEMO_FILE, TIMELINE_FILE, DIGEST_FILE, 'kube-eventline.mjs'].sort());
    for (const file of shipped) copyFileSync(repoPath('dist', file), join(dir, 'dist', file));
    copyFileSync(repoPath('package.json'), join(dir, 'package.json'));
    const demo = spawnSync(process.execPath, [join(dir, 'dist', 'kube-eventline.mjs'), 'demo', '--speed', '20'], {
      encoding: 'utf8',
      cwd: dir,
      env: { PATH: process.env.PATH },
      timeout: 60_000,
    });
    expect(demo.status, demo.stderr).toBe(0);
    expect(demo.stderr).toContain('Every occurrence was written exactly once');
    expect(demo.stdout.trim().split('\n').length).toBeGreaterThan(10);
    // The timeline too: jsonnet/loki-streams.json went into its file.
    const timeline = spawnSync(process.execPath, [join(dir, 'dist', 'kube-eventline.mjs'), 'timeline', '--file', '-', '--pod', 'api-1'], {
      encoding: 'utf8',
      cwd: dir,
      env: { PATH: process.env.PATH },
      input: demo.stdout.replace(/"name":"[^"]*"/g, '"name":"api-1"'),
      timeout: 30_000,
    });
    expect(timeline.status, timeline.stderr).toBe(0);
    expect(timeline.stdout).toContain('<svg ');
    // The digest loads from its file and gets as far as Loki (port 9 on 127.0.0.1, which fetch refuses to dial).
    const digest = spawnSync(process.execPath, [join(dir, 'dist', 'kube-eventline.mjs'), 'digest', '--loki', 'http://127.0.0.1:9'], {
      encoding: 'utf8',
      cwd: dir,
      env: { PATH: process.env.PATH },
      timeout: 30_000,
    });
    expect(digest.stderr).toMatch(/^kube-eventline digest: cannot reach Loki at http:\/\/127\.0\.0\.1:9\/loki\/api\/v1\/query: [^\n]+\n$/);
    expect(digest.status).toBe(1);
  });

  it("leaves out client-node's generated API, which the KubeConfig module would otherwise load whole", () => {
    const inputs = Object.keys(bundleMeta().inputs).filter((p) => p.includes('@kubernetes/client-node/'));
    const file = (p: string) => p.replace(/^.*@kubernetes\/client-node\//, '');
    // What it keeps: KubeConfig and the two generated helpers it uses.
    expect(inputs.map(file)).toEqual(expect.arrayContaining(['dist/config.js', 'dist/gen/configuration.js', 'dist/gen/servers.js']));
    // What it leaves out: the API classes and models (~870 modules, ~60 MiB resident when loaded).
    const generated = inputs.map(file).filter((p) => /^dist\/gen\/(apis|models|types)\/|^dist\/gen\/index\.js$/.test(p));
    expect(generated).toEqual([]);
  });

  it('ships the licence of every bundled package next to it', () => {
    const notices = readFileSync(`${bundlePath}.licenses.txt`, 'utf8');
    // Each package directory, nested copies included (pino and pino-pretty bring different sonic-booms).
    const dirs = new Set(Object.keys(bundleMeta().inputs).flatMap((p) => /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(p)?.[1] ?? []));
    expect(dirs).toContain('node_modules/@kubernetes/client-node');
    for (const dir of dirs) {
      const { name, version, license } = JSON.parse(readFileSync(repoPath(dir, 'package.json'), 'utf8'));
      expect(notices, dir).toContain(`${name}@${version} (${license})`);
    }
  });
});
