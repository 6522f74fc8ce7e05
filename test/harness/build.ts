import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
export const CACHE_ROOT = join(REPO_ROOT, '.cache', 'harness');

/** Every file that can change what `go build` produces: go.mod, go.sum and the Go sources. */
function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(go|mod|sum)$/.test(entry.name)) out.push(path);
  }
  return out.sort();
}

export function sourceHash(moduleDir: string): string {
  const hash = createHash('sha256');
  for (const file of sourceFiles(moduleDir)) {
    hash.update(relative(moduleDir, file));
    hash.update('\0');
    hash.update(readFileSync(file));
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * Builds `pkg` of the Go module in `moduleDir` once and caches the binary under
 * .cache/harness/<name>-<hash>; a cache hit costs only the hash of the sources.
 * A failed build throws with Go's own output, so a missing toolchain is never silent.
 */
export async function buildGoBinary(moduleDir: string, pkg: string, name: string): Promise<string> {
  const binary = join(CACHE_ROOT, `${name}-${sourceHash(moduleDir)}`);
  if (existsSync(binary) && statSync(binary).size > 0) return binary;
  mkdirSync(CACHE_ROOT, { recursive: true });
  const partial = `${binary}.partial-${process.pid}`;
  try {
    await run('go', ['build', '-trimpath', '-o', partial, pkg], {
      cwd: moduleDir,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, CGO_ENABLED: '0' },
    });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`go build ${pkg} in ${moduleDir} failed:\n${e.stderr ?? e.message}`);
  }
  renameSync(partial, binary);
  // Older builds of the same binary are stale (200 MB each); a process still running one keeps its copy.
  const current = binary.slice(CACHE_ROOT.length + 1);
  for (const entry of readdirSync(CACHE_ROOT)) {
    if (entry.startsWith(`${name}-`) && entry !== current && /^[0-9a-f]{16}$/.test(entry.slice(name.length + 1))) {
      rmSync(join(CACHE_ROOT, entry), { force: true });
    }
  }
  return binary;
}
