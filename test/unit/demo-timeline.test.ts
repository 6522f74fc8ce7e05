import { describe, expect, it } from 'vitest';
import { playTimeline, type TimelineStep } from '../../src/demo/timeline.js';

describe('playTimeline', () => {
  it('runs steps in order of their time, narrating those that have a narration', async () => {
    const ran: string[] = [];
    const said: string[] = [];
    const steps: TimelineStep[] = [
      { atMs: 300, run: () => ran.push('c'), narration: 'third' },
      { atMs: 0, run: () => ran.push('a') },
      { atMs: 100, run: () => ran.push('b'), narration: 'second' },
    ];
    const completed = await playTimeline(steps, { speed: 1000, log: (m) => said.push(m), signal: new AbortController().signal });
    expect(completed).toBe(true);
    expect(ran).toEqual(['a', 'b', 'c']);
    expect(said).toEqual(['second', 'third']);
  });

  it('stops at an abort and reports that it did not finish', async () => {
    const stop = new AbortController();
    const ran: string[] = [];
    const steps: TimelineStep[] = [
      {
        atMs: 0,
        run: () => {
          ran.push('first');
          stop.abort();
        },
      },
      { atMs: 1, run: () => ran.push('never') },
    ];
    expect(await playTimeline(steps, { speed: 1, log: () => {}, signal: stop.signal })).toBe(false);
    expect(ran).toEqual(['first']);
  });

  it('refuses a speed that is not a positive number', async () => {
    const options = { log: () => {}, signal: new AbortController().signal };
    await expect(playTimeline([], { ...options, speed: 0 })).rejects.toThrow(/speed/);
    await expect(playTimeline([], { ...options, speed: Number.NaN })).rejects.toThrow(/speed/);
  });
});
