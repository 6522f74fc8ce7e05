/**
 * The log of a webhook's dropped notices: one line per reason at the first drop, then at most one
 * every interval with the count since the last line. A hanging endpoint drops every line, so the
 * count per drop must be cheap: it does not even read the clock while a line is already due.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DropLog } from '../../src/sinks/webhook/drop-log.js';
import { logCapture } from '../support/log-capture.js';

/** pino writes to its stream asynchronously */
const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('webhook drop log', () => {
  let t = 1_000_000;
  let clockReads = 0;
  const now = () => {
    clockReads++;
    return t;
  };
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    clockReads = 0;
  });
  afterEach(() => vi.useRealTimers());

  it('logs the first drop at once, then sums the drops of the interval into one line with the last detail', async () => {
    const { log, lines } = logCapture('warn');
    const drops = new DropLog('hook', log, 10_000, now);
    drops.dropped('queue_full', 1);
    for (let i = 0; i < 5_000; i++) drops.dropped('queue_full', 1);
    drops.dropped('queue_full', 3, 'the last one');
    await settled();
    expect(lines.map((l) => [l.why, l.dropped])).toEqual([['queue_full', 1]]);
    t += 10_000;
    vi.advanceTimersByTime(10_000);
    await settled();
    expect(lines.map((l) => [l.why, l.dropped, l.last])).toEqual([
      ['queue_full', 1, undefined],
      ['queue_full', 5_003, 'the last one'],
    ]);
    expect(lines[1]!.receiver).toBe('hook');
  });

  it('a reason not logged before is logged at once even while another reason waits for its line', async () => {
    const { log, lines } = logCapture('warn');
    const drops = new DropLog('hook', log, 10_000, now);
    drops.dropped('queue_full', 1);
    drops.dropped('queue_full', 1); // a line for queue_full is now due in 10 s
    drops.dropped('rejected', 1, 'HTTP 400: no');
    await settled();
    expect(lines.map((l) => [l.why, l.dropped])).toEqual([
      ['queue_full', 1],
      ['rejected', 1],
    ]);
    drops.flush();
    await settled();
    expect(lines.map((l) => [l.why, l.dropped])).toEqual([
      ['queue_full', 1],
      ['rejected', 1],
      ['queue_full', 1],
    ]);
    drops.flush(); // nothing new: nothing written
    await settled();
    expect(lines).toHaveLength(3);
  });

  it('while a line is due, a drop only counts: the clock is not read per drop', () => {
    const { log } = logCapture('warn');
    const drops = new DropLog('hook', log, 10_000, now);
    drops.dropped('queue_full', 1);
    drops.dropped('queue_full', 1);
    const readsOnceDue = clockReads;
    for (let i = 0; i < 100_000; i++) drops.dropped('queue_full', 1);
    expect(clockReads).toBe(readsOnceDue);
  });
});
