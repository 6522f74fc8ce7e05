import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** A long-running server started by the harness, its output going to a log file. */
export interface ServerProcess {
  readonly name: string;
  readonly logFile: string;
  readonly pid: number;
  /** Resolves when the process has exited, for whatever reason. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  hasExited(): boolean;
  /** True when it exited without the harness asking it to. */
  diedUnexpectedly(): boolean;
  /** SIGTERM, then SIGKILL if it is still there after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

// Every child still running, so an exiting test runner can take them down with it.
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: a plain SIGKILL to each process group.
  // A runner killed by a signal never gets here: the Go side sets PR_SET_PDEATHSIG
  // so the kernel stops the servers then.
  process.on('exit', () => {
    for (const child of liveChildren) killGroup(child, 'SIGKILL');
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    // Negative pid: the whole process group the child leads (spawned detached).
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

export function startServerProcess(opts: { name: string; binary: string; args: string[]; logFile: string; env?: NodeJS.ProcessEnv }): ServerProcess {
  installExitHook();
  const logFd = openSync(opts.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(opts.binary, opts.args, {
      stdio: ['ignore', logFd, logFd],
      // Own process group: a Ctrl-C in the terminal reaches vitest, which then stops
      // the servers in order, instead of killing them mid-teardown.
      detached: true,
      env: opts.env ?? process.env,
    });
  } finally {
    closeSync(logFd);
  }
  if (child.pid === undefined) {
    throw new Error(`${opts.name}: could not start ${opts.binary}`);
  }
  liveChildren.add(child);
  let exitedFlag = false;
  let stopRequested = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => {
    child.once('exit', (code, signal) => {
      exitedFlag = true;
      liveChildren.delete(child);
      resolveExit({ code, signal });
    });
    child.once('error', () => {
      exitedFlag = true;
      liveChildren.delete(child);
      resolveExit({ code: null, signal: null });
    });
  });
  const pid = child.pid;
  return {
    name: opts.name,
    logFile: opts.logFile,
    pid,
    exited,
    hasExited: () => exitedFlag,
    diedUnexpectedly: () => exitedFlag && !stopRequested,
    async stop(graceMs = 15_000) {
      stopRequested = true;
      if (exitedFlag) return;
      killGroup(child, 'SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((r) => {
        timer = setTimeout(() => r('timeout'), graceMs);
      });
      const outcome = await Promise.race([exited, timedOut]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        killGroup(child, 'SIGKILL');
        await exited;
      }
    },
  };
}

/** The last `lines` lines of a log file, for error messages. */
export function tailFile(path: string, lines = 40): string {
  try {
    const text = readFileSync(path, 'utf8');
    return text
      .split('\n')
      .slice(-lines - 1)
      .join('\n');
  } catch (err) {
    return `(no log at ${path}: ${(err as Error).message})`;
  }
}

/**
 * Polls `probe` until it returns true. Fails early, with the server's last log lines,
 * if the server exits; fails after `timeoutMs` with the probe's last error.
 */
export async function waitUntilReady(server: ServerProcess, what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'not ready';
  while (Date.now() < deadline) {
    if (server.hasExited()) {
      const { code, signal } = await server.exited;
      throw new Error(`${server.name} exited (code ${code}, signal ${signal}) before ${what}; last lines of ${server.logFile}:\n${tailFile(server.logFile)}`);
    }
    try {
      if (await probe()) return;
    } catch (err) {
      lastError = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${server.name}: ${what} not reached after ${timeoutMs} ms (${lastError}); last lines of ${server.logFile}:\n${tailFile(server.logFile)}`);
}

/** A TCP port free on 127.0.0.1 right now (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}
