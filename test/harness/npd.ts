// The real Node Problem Detector for integration tests: built from its Go module (npd/), started
// as a server process of the harness, and failing loudly when NPD refuses what it was given.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildGoBinary } from './build.js';
import { type ServerProcess, startServerProcess, tailFile, waitUntilReady } from './server-process.js';

const NPD_MODULE_DIR = resolve(import.meta.dirname, 'npd');
const NPD_PACKAGE = 'k8s.io/node-problem-detector/cmd/nodeproblemdetector';
// NPD logs this once it has tried to start every monitor it was given (pkg/problemdetector).
const STARTED = 'Problem detector started';
// A monitor that fails to start (say, a log file that cannot be opened) is only logged:
// NPD goes on with the others. Running on with fewer monitors than asked hides a problem.
const MONITOR_FAILED = /Failed to start problem daemon.*/;
const READY_TIMEOUT_MS = 60_000;

/** Builds (or reuses) node-problem-detector at the version go.mod in test/harness/npd pins. */
export function buildNpd(): Promise<string> {
  return buildGoBinary(NPD_MODULE_DIR, NPD_PACKAGE, 'node-problem-detector');
}

export interface RunningNpd {
  process: ServerProcess;
  args: readonly string[];
  /** NPD's own output (klog), for messages in failed checks. */
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

/**
 * Starts one node-problem-detector process with `args` and `env` exactly as given, its output
 * going to `logFile`. Resolves once NPD reports every monitor started. If NPD exits first (a
 * config it refuses, a flag it does not know) or a monitor fails to start, rejects with NPD's
 * own message.
 */
export async function startNpd(opts: { name: string; binary: string; args: string[]; env: NodeJS.ProcessEnv; logFile: string }): Promise<RunningNpd> {
  const child = startServerProcess({ name: opts.name, binary: opts.binary, args: opts.args, logFile: opts.logFile, env: opts.env });
  const log = () => {
    try {
      return readFileSync(opts.logFile, 'utf8');
    } catch {
      return '';
    }
  };
  // Ready once NPD says it started, or as soon as a monitor failed (it logs that first).
  try {
    await waitUntilReady(child, `"${STARTED}" in its log`, async () => log().includes(STARTED) || MONITOR_FAILED.test(log()), READY_TIMEOUT_MS);
  } catch (err) {
    await child.stop(2_000);
    // NPD refuses a config or a flag with a klog fatal line ("F0102 15:04:05.000000 …"): put it first.
    const fatal = log()
      .split('\n')
      .filter((l) => /^F\d{4} /.test(l) || /^(?:Error|panic|unknown (?:shorthand )?flag|invalid argument)\b/.test(l));
    throw new Error(`${fatal.length > 0 ? `${opts.name}: ${fatal.join('\n')}\n` : ''}${(err as Error).message}`);
  }
  const failed = MONITOR_FAILED.exec(log());
  if (failed) {
    await child.stop(2_000);
    throw new Error(`${opts.name}: ${failed[0]}; last lines of ${opts.logFile}:\n${tailFile(opts.logFile)}`);
  }
  return {
    process: child,
    args: opts.args,
    logTail: (lines = 40) => tailFile(opts.logFile, lines),
    stop: () => child.stop(5_000),
  };
}
