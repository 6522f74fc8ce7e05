// Builds a Go binary from a Go module once and caches it, keyed on the module's sources.
// Used by the test harness (kube-apiserver, etcd, kubectl, Loki: test/harness/) and by the
// jsonnet engine of the mixin (go-jsonnet: tools/jsonnet/, jsonnet/engine.mjs).
//
// A cold build of the harness compiles Kubernetes and Loki, 30–50 minutes on 2 cores. So a
// build that is not cached says what it builds and that it takes long, then reports every
// 30 s how long it has run and which package `go build -v` compiled last, so nobody takes it
// for a hung run. A cached binary costs only the hash of the sources, and prints nothing.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export const PROGRESS_EVERY_MS = 30_000;

/** Every file that can change what `go build` produces: go.mod, go.sum and the Go sources. */
function sourceFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(go|mod|sum)$/.test(entry.name)) out.push(path);
  }
  return out.sort();
}

export function sourceHash(moduleDir) {
  const hash = createHash('sha256');
  for (const file of sourceFiles(moduleDir)) {
    hash.update(relative(moduleDir, file));
    hash.update('\0');
    hash.update(readFileSync(file));
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

/** 95000 → "1m35s". */
export function formatElapsed(ms) {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(s % 60).padStart(2, '0')}s`;
}

// `go build -v` names each package as it compiles it, one import path per line; the go command
// also says `go: downloading <module> <version>` while it fetches modules. Anything else on
// stderr is a diagnostic (a compile error, a missing toolchain) and goes into the error.
const IMPORT_PATH = /^[A-Za-z0-9_.~-]+(?:\/[A-Za-z0-9_.~+-]+)*$/;
const DOWNLOADING = /^go: downloading (\S+ \S+)$/;

/**
 * Reads a `go build -v` child's stderr and reports, every `everyMs`, the elapsed time and the
 * latest step: the package being compiled or the module being downloaded.
 */
export class GoBuildProgress {
  /**
   * @param {{ name: string, log: (line: string) => void, everyMs?: number, now?: () => number }} options
   */
  constructor({ name, log, everyMs = PROGRESS_EVERY_MS, now = Date.now }) {
    this.name = name;
    this.log = log;
    this.everyMs = everyMs;
    this.now = now;
    this.startedAt = now();
    this.packages = 0;
    this.latest = undefined;
    this.diagnostics = [];
    this.partial = '';
    this.timer = undefined;
  }

  /** Takes a chunk of stderr; lines may be split across chunks. */
  feed(chunk) {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.line(line);
  }

  line(raw) {
    const line = raw.trimEnd();
    if (line === '') return;
    const download = DOWNLOADING.exec(line);
    if (download) this.latest = `downloading ${download[1]}`;
    else if (IMPORT_PATH.test(line)) {
      this.packages += 1;
      this.latest = `compiling ${line}`;
    } else this.diagnostics.push(line);
  }

  /** The line reported now: `[go build] loki: 2m30s, 812 packages compiled, compiling github.com/...`. */
  status() {
    const parts = [formatElapsed(this.now() - this.startedAt), packagesCompiled(this.packages)];
    parts.push(this.latest ?? 'resolving modules or linking cached packages');
    return `[go build] ${this.name}: ${parts.join(', ')}`;
  }

  start() {
    this.timer = setInterval(() => this.log(this.status()), this.everyMs);
    this.timer.unref();
  }

  /** Stops the reports; returns what stderr held besides progress (the reason of a failure). */
  stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.partial !== '') this.line(this.partial);
    this.partial = '';
    return this.diagnostics.join('\n');
  }
}

/**
 * Builds `pkg` of the Go module in `moduleDir` once and caches the binary as
 * `<cacheDir>/<name>-<hash of the sources>`. A cache hit returns at once and prints nothing.
 * A miss says what is built (`what`) and how long a first build takes (`expect`), reports
 * progress every 30 s through `log`, and throws with Go's own output if the build fails,
 * so a missing toolchain is never silent.
 *
 * @param {{ moduleDir: string, pkg: string, name: string, cacheDir: string, what?: string, expect?: string,
 *           log?: (line: string) => void, everyMs?: number, go?: string }} options
 * @returns {Promise<string>} the binary's path
 */
export async function buildGoBinary({ moduleDir, pkg, name, cacheDir, what, expect, log = stderrLine, everyMs = PROGRESS_EVERY_MS, go = 'go' }) {
  const binary = join(cacheDir, `${name}-${sourceHash(moduleDir)}`);
  if (existsSync(binary) && statSync(binary).size > 0) return binary;
  mkdirSync(cacheDir, { recursive: true });
  const partial = `${binary}.partial-${process.pid}`;
  log(
    `[go build] building ${what ?? name} from Go modules (${pkg} in ${moduleDir})` +
      `${expect ? `; a first build takes ${expect}` : ''}; later runs reuse ${binary}. Progress every ${formatElapsed(everyMs)}.`,
  );
  const progress = new GoBuildProgress({ name, log, everyMs });
  progress.start();
  const exit = await new Promise((resolve) => {
    const child = spawn(go, ['build', '-v', '-trimpath', '-o', partial, pkg], {
      cwd: moduleDir,
      env: { ...process.env, CGO_ENABLED: '0' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => progress.feed(chunk));
    child.on('error', (err) => resolve({ code: null, error: err }));
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  const diagnostics = progress.stop();
  if (exit.code !== 0) {
    rmSync(partial, { force: true });
    const why = exit.error ? `${exit.error.message} (is Go installed and on PATH?)` : diagnostics || `exit ${exit.code ?? exit.signal}`;
    throw new Error(`go build ${pkg} in ${moduleDir} failed after ${formatElapsed(Date.now() - progress.startedAt)}:\n${why}`);
  }
  renameSync(partial, binary);
  const cached = progress.packages === 0 ? ': every package came from the Go build cache' : '';
  log(`[go build] ${name} built in ${formatElapsed(Date.now() - progress.startedAt)} (${packagesCompiled(progress.packages)}${cached})`);
  // Older builds of the same binary are stale (up to 200 MB each); a process still running one keeps its copy.
  const current = binary.slice(cacheDir.length + 1);
  for (const entry of readdirSync(cacheDir)) {
    if (entry.startsWith(`${name}-`) && entry !== current && /^[0-9a-f]{16}$/.test(entry.slice(name.length + 1))) {
      rmSync(join(cacheDir, entry), { force: true });
    }
  }
  return binary;
}

function packagesCompiled(n) {
  return `${n} ${n === 1 ? 'package' : 'packages'} compiled`;
}

function stderrLine(line) {
  process.stderr.write(`${line}\n`);
}
