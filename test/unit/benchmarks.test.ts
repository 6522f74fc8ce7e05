// Every benchmark script still runs, at a tiny size: a benchmark is run by hand, so one that an
// import or a config change broke (as RE2's removal of the regexp flag module and the range
// checks on config values did) would otherwise only be found by the next person measuring.
// The figures here mean nothing; only that each run ends and prints its table.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoPath } from '../support/real-events.js';

const run = promisify(execFile);

async function bench(args: string[], env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await run(process.execPath, ['--expose-gc', ...args], {
    cwd: repoPath(),
    env: { ...process.env, ...env },
    maxBuffer: 64 * 1024 * 1024,
    timeout: 240_000,
  });
  return stdout;
}

describe('every benchmark runs (tiny sizes; dist/ built by npm test)', () => {
  it('npm run bench: pipeline, ceiling and checkpoint restore', async () => {
    const out = await bench(['bench/run.mjs'], { BENCH_EVENTS: '3000', BENCH_ROUNDS: '1' });
    expect(out).toMatch(/^\| median \(RSS: highest\) \| [\d,]+ \| [\d,]+ \|/m);
    expect(out).toMatch(/^\| 100,000 \| format 2 \(packed\) \|/m);
  }, 240_000);

  it('npm run bench:compare: the same build against itself', async () => {
    const out = await bench(['bench/compare.mjs', repoPath('dist')], { COMPARE_CHUNK: '1000', COMPARE_ROUNDS: '3' });
    expect(out).toMatch(/median/);
  }, 240_000);

  it('npm run bench:webhook', async () => {
    const out = await bench(['bench/webhook.mjs'], { BENCH_EVENTS: '2000', BENCH_ROUNDS: '1' });
    expect(out).toMatch(/every line on stdout yes \(2,000 each run\)/);
  }, 240_000);

  it('npm run bench:timeline', async () => {
    const out = await bench(['bench/timeline.mjs'], { BENCH_TIMELINE_LINES: '2000' });
    expect(out).toMatch(/^\| workload .*SVG \|/m);
  }, 240_000);

  it('npm run bench:tracker', async () => {
    const out = await bench(['bench/tracker.mjs', '5000'], { TRACKER_ROUNDS: '1' });
    expect(out).toMatch(/^\| OccurrenceTracker/m);
  }, 240_000);

  it('npm run bench:pods: the pod watch, podFailures off and on', async () => {
    const out = await bench(['bench/pods.mjs'], { BENCH_PODS: '300', BENCH_ROUNDS: '1' });
    expect(out).toMatch(/^\| podFailures on \| 300 \| \d+ \([\d.]+ MB\) \| 30 \| [\d.]+ \| [\d.]+ \|/m);
  }, 240_000);

  it('bench/list-pages.mjs', async () => {
    const out = await bench(['bench/list-pages.mjs']);
    expect(out).toMatch(/EventJsonDecoder/);
  }, 240_000);
});
