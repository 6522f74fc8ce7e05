/** One moment of a scenario: what happens `atMs` after the start (at speed 1), and how to tell it. */
export interface TimelineStep {
  atMs: number;
  /** Told to the log before the step runs; steps without it happen silently. */
  narration?: string;
  run(): void;
}

export interface TimelineOptions {
  /** 2 plays twice as fast; the order of steps never changes. */
  speed: number;
  log: (message: string) => void;
  signal: AbortSignal;
}

/**
 * Plays steps in order of `atMs`, each at its scaled time after the start.
 * Resolves true when all ran, false when aborted first (the rest then never run).
 */
export async function playTimeline(steps: readonly TimelineStep[], options: TimelineOptions): Promise<boolean> {
  if (!(options.speed > 0) || !Number.isFinite(options.speed)) throw new Error(`speed must be a positive number, got ${options.speed}`);
  const ordered = [...steps].sort((a, b) => a.atMs - b.atMs);
  const start = Date.now();
  for (const step of ordered) {
    const due = start + step.atMs / options.speed;
    if (!(await sleepUntil(due, options.signal))) return false;
    if (step.narration) options.log(step.narration);
    step.run();
  }
  return true;
}

function sleepUntil(due: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      },
      Math.max(0, due - Date.now()),
    );
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
