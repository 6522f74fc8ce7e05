import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { CACHE_ROOT } from './build.js';
import { startControlServer } from './control.js';
import { pruneRunDirs, type RunningKube, startKube } from './kube.js';
import { type RunningLoki, startLoki } from './loki.js';
import './provided.js';
import { tailFile } from './server-process.js';

// Old runs hold etcd data and Loki chunks; keep a few for post-mortems.
const RUNS_KEPT = 3;

/**
 * vitest global setup of the `integration` project: builds and starts a real
 * etcd + kube-apiserver and a real Loki once for all test files, and stops them
 * at the end, failed tests or not. A server that cannot be built or started
 * fails the whole run with the reason; nothing is ever skipped.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  pruneRunDirs(CACHE_ROOT, RUNS_KEPT - 1);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const runDir = join(CACHE_ROOT, `run-${stamp}-${process.pid}`);
  mkdirSync(runDir, { recursive: true });

  const startedAt = Date.now();
  // Both builds and starts at once: on a warm cache each is mostly waiting.
  const [kubeResult, lokiResult] = await Promise.allSettled([startKube({ workDir: join(runDir, 'kube') }), startLoki({ workDir: join(runDir, 'loki') })]);
  const failures = [kubeResult, lokiResult].filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failures.length > 0) {
    if (kubeResult.status === 'fulfilled') await kubeResult.value.stop();
    if (lokiResult.status === 'fulfilled') await lokiResult.value.stop();
    const reasons = failures.map((f) => (f.reason instanceof Error ? f.reason.message : String(f.reason)));
    throw new Error(`integration harness could not start (logs in ${runDir}):\n\n${reasons.join('\n\n')}`);
  }
  const kube = (kubeResult as PromiseFulfilledResult<RunningKube>).value;
  const loki = (lokiResult as PromiseFulfilledResult<RunningLoki>).value;
  const control = await startControlServer(kube);
  console.log(
    `[harness] kube-apiserver ${kube.info.server} and Loki ${loki.info.url} ready in ${Date.now() - startedAt} ms ` +
      `(kube: build/cache check ${kube.startupMs.build} ms, etcd ${kube.startupMs.etcd} ms, apiserver ${kube.startupMs.apiServer} ms); logs in ${runDir}`,
  );

  project.provide('harness', { kube: kube.info, loki: loki.info, control: control.info, runDir });

  return async () => {
    // A server that died mid-run explains failed tests better than anything else.
    for (const dead of kube.unexpectedExits()) {
      console.error(`[harness] ${dead.name} exited during the run; last lines of ${dead.logFile}:\n${tailFile(dead.logFile)}`);
    }
    await control.close();
    await Promise.allSettled([kube.stop(), loki.stop()]);
  };
}
