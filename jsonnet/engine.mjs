// The jsonnet engine of the mixin: go-jsonnet's jsonnet, jsonnetfmt and jsonnet-lint, built
// from Go modules (tools/jsonnet/go.mod) the first time they are needed and cached under
// .cache/tools/. Only rendering and checking the mixin needs them, never `npm ci`, the demo or
// the exporter; they need Go, as the integration tests do, and no C or C++ compiler.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildGoBinary } from '../scripts/go-build.mjs';

const run = promisify(execFile);

const JSONNET_DIR = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = resolve(JSONNET_DIR, '..');
export const TOOLS_MODULE_DIR = join(REPO_ROOT, 'tools', 'jsonnet');
export const TOOLS_CACHE_DIR = join(REPO_ROOT, '.cache', 'tools');
const TOOLS = ['jsonnet', 'jsonnetfmt', 'jsonnet-lint'];

/**
 * The path of one go-jsonnet command, built on first use (about 20 s, once per checkout).
 * @param {'jsonnet' | 'jsonnetfmt' | 'jsonnet-lint'} tool
 * @param {{ log?: (line: string) => void }} [options]
 */
export async function engineTool(tool, options = {}) {
  if (!TOOLS.includes(tool)) throw new Error(`unknown jsonnet tool ${tool}; one of ${TOOLS.join(', ')}`);
  return buildGoBinary({
    moduleDir: TOOLS_MODULE_DIR,
    pkg: `github.com/google/go-jsonnet/cmd/${tool}`,
    name: tool,
    cacheDir: TOOLS_CACHE_DIR,
    what: `${tool} (go-jsonnet, the mixin's jsonnet engine)`,
    expect: 'under a minute',
    ...options,
  });
}

/** Builds all three commands (the unit tests' global setup calls this once, before any worker needs them). */
export async function buildEngine(options = {}) {
  for (const tool of TOOLS) await engineTool(tool, options);
}

/**
 * Runs one of the commands; resolves with its stdout, rejects with its stderr (jsonnet's own
 * message: file:line:col and the problem) when it exits non-zero.
 * @param {'jsonnet' | 'jsonnetfmt' | 'jsonnet-lint'} tool
 * @param {string[]} args
 */
export async function runTool(tool, args) {
  const binary = await engineTool(tool);
  try {
    const { stdout } = await run(binary, args, { maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = /** @type {{ stderr?: string, stdout?: string, message: string }} */ (err);
    const detail = [e.stdout, e.stderr]
      .filter((s) => s && s.trim() !== '')
      .join('\n')
      .trim();
    throw new Error(`${tool} ${args.join(' ')}: ${detail || e.message}`);
  }
}

/** Every .jsonnet and .libsonnet file under `dir` (default: the mixin), sorted. */
export function jsonnetFiles(dir = JSONNET_DIR) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...jsonnetFiles(path));
    else if (/\.(jsonnet|libsonnet)$/.test(entry.name)) out.push(path);
  }
  return out.sort();
}

/**
 * The files jsonnetfmt (default options, as kubernetes-mixin's `make lint` uses them) would
 * change: `[]` when every file is formatted. `npm run fmt:jsonnet` formats them in place.
 * @param {string[]} files
 */
export async function unformatted(files) {
  const out = [];
  for (const file of files) {
    const formatted = await runTool('jsonnetfmt', [file]);
    if (formatted !== readFileSync(file, 'utf8')) out.push(file);
  }
  return out;
}

/**
 * jsonnet-lint's findings (unused locals, unknown variables, type errors it can prove), one
 * string per file with findings: `[]` when there are none.
 * @param {string[]} files
 * @param {string} [jpath]
 */
export async function lintFindings(files, jpath = JSONNET_DIR) {
  const out = [];
  for (const file of files) {
    try {
      await runTool('jsonnet-lint', ['--jpath', jpath, file]);
    } catch (err) {
      out.push(err instanceof Error ? err.message : String(err));
    }
  }
  return out;
}

// `node jsonnet/engine.mjs fmt` formats the mixin in place; `... check` exits 1 on unformatted
// files or lint findings, naming them.
async function main(command) {
  const files = jsonnetFiles();
  if (command === 'fmt') {
    await runTool('jsonnetfmt', ['--in-place', ...files]);
    return;
  }
  if (command !== 'check') throw new Error('usage: node jsonnet/engine.mjs fmt|check');
  const problems = [
    ...(await unformatted(files)).map((f) => `not formatted (run \`npm run fmt:jsonnet\`): ${relative(REPO_ROOT, f)}`),
    ...(await lintFindings(files)),
  ];
  if (problems.length > 0) {
    process.stderr.write(`${problems.join('\n')}\n`);
    process.exit(1);
  }
  process.stdout.write(`${files.length} jsonnet files formatted and lint-free\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv[2]).catch((err) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
