import type { ContainerSummary, PodSummary, Termination } from './pod-summary.js';

/** Waiting reasons that are failures once the pod has had its grace period (kubelet's names). */
export const WAITING_FAILURE_REASONS: ReadonlySet<string> = new Set([
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'CreateContainerConfigError',
  'CreateContainerError',
  'InvalidImageName',
  'RunContainerError',
]);

/** One container failure, ready to become a line. */
export interface ContainerFailure {
  /**
   * What the tracker counts under: `<pod uid>/<container>` for terminations (one count per
   * container, so the terminated state and the lastState of the next instance are one failure),
   * `<pod uid>/<container>/waiting` for waiting failures (an image that never pulls is one line,
   * apart from the container's later crashes).
   */
  key: string;
  /** Failures of this kind so far, as far as the status tells (at least 1). */
  count: number;
  reason: string;
  container: ContainerSummary;
  /** The terminated instance, for a termination. */
  termination?: Termination;
  /** When it happened (RFC 3339): finishedAt of a termination; absent for a waiting failure (the time it was seen). */
  time?: string;
  /** Since when the container has been failing (ms): what a first start compares with maxEventAgeSeconds. */
  sinceMs: number;
}

export interface PodScan {
  failures: ContainerFailure[];
  /** A waiting failure still inside the grace period: look at the pod again at this time (ms). */
  recheckAtMs?: number;
  /** Every key this pod's containers may be tracked under (touched by lists, forgotten on deletion). */
  keys: string[];
}

export interface ScanOptions {
  nowMs: number;
  gracePeriodMs: number;
}

/**
 * The failures Pod status shows now. A container failed when an instance terminated with a
 * non-zero exit code or a reason other than `Completed` (a Job's containers exiting 0 never
 * fail; every container stopped by an eviction fails, with reason `Evicted`), or when it waits for a failure reason (`WAITING_FAILURE_REASONS`) after the grace
 * period from the pod's start. A pod being deleted has no failures: its containers are being
 * stopped. Pure: the caller decides what was written before (the tracker) and what is too old.
 */
export function scanPod(pod: PodSummary, options: ScanOptions): PodScan {
  const scan: PodScan = { failures: [], keys: [] };
  const startedMs = Date.parse(pod.startTime ?? pod.creationTimestamp ?? '');
  for (const container of pod.containers) {
    const key = `${pod.uid}/${container.name}`;
    const waitingKey = `${key}/waiting`;
    scan.keys.push(key, waitingKey);
    if (pod.deleting) continue;
    const terminated = terminationFailure(pod, container, key);
    if (terminated) scan.failures.push(terminated);
    const reason = container.waiting?.reason ?? '';
    if (!WAITING_FAILURE_REASONS.has(reason)) continue;
    // A crash loop after a failed instance is that failure's consequence: its line says it.
    if (reason === 'CrashLoopBackOff' && terminated) continue;
    const graceEndsMs = (Number.isFinite(startedMs) ? startedMs : options.nowMs) + options.gracePeriodMs;
    if (options.nowMs < graceEndsMs) {
      scan.recheckAtMs = Math.min(scan.recheckAtMs ?? Number.POSITIVE_INFINITY, graceEndsMs);
      continue;
    }
    const lastFinishedMs = Date.parse(container.lastTerminated?.finishedAt ?? '');
    scan.failures.push({
      key: waitingKey,
      count: Math.max(1, container.restartCount),
      reason,
      container,
      sinceMs: Number.isFinite(lastFinishedMs) ? lastFinishedMs : startedMs,
    });
  }
  return scan;
}

/**
 * The failed instance the status holds: the current one if it terminated and failed (it is
 * instance restartCount + 1), else the previous one (instance restartCount). Counting instances
 * this way, a failed instance keeps its number when the kubelet restarts the container and
 * moves it to lastState, so it is one failure, not two.
 */
function terminationFailure(pod: PodSummary, container: ContainerSummary, key: string): ContainerFailure | undefined {
  let termination: Termination | undefined;
  let count: number;
  // An evicted pod's containers were stopped by the kubelet, however they exited: that is the failure.
  if (container.terminated && pod.evicted) {
    termination = container.terminated;
    count = container.restartCount + 1;
  } else if (container.terminated && failed(container.terminated, pod)) {
    termination = container.terminated;
    count = container.restartCount + 1;
  } else if (container.lastTerminated && failed(container.lastTerminated, pod)) {
    termination = container.lastTerminated;
    count = Math.max(1, container.restartCount);
  } else {
    return undefined;
  }
  const failure: ContainerFailure = {
    key,
    count,
    reason: pod.evicted && termination === container.terminated ? 'Evicted' : termination.reason || 'Error',
    container,
    termination,
    sinceMs: Date.parse(termination.finishedAt ?? ''),
  };
  if (termination.finishedAt) failure.time = termination.finishedAt;
  return failure;
}

function failed(termination: Termination, pod: PodSummary): boolean {
  if (termination.exitCode !== 0) return true;
  if (pod.ownedByJob) return false;
  return termination.reason !== '' && termination.reason !== 'Completed';
}

/**
 * The signal that ended the process: the status's, else the one an exit code of 129–159 stands
 * for (container runtimes report a process killed by signal N as exit code 128 + N).
 */
export function terminationSignal(termination: Termination): number | undefined {
  if (termination.signal) return termination.signal;
  const code = termination.exitCode;
  return code > 128 && code < 160 ? code - 128 : undefined;
}
