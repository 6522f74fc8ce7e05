import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { buildLine } from '../../src/line/build-line.js';
import { LineLogger } from '../../src/sinks/line-logger.js';
import { realEvents } from '../support/real-events.js';

type Destination = ReturnType<typeof pino.destination>;

/** Whether sonic-boom has a write system call in flight (its private `_writing`): only then can 'drain' or 'error' still come. */
const writeInFlight = (destination: Destination) => (destination as unknown as { _writing: boolean })._writing;

/**
 * What becomes of a write: 'written', the error it rejected with, or 'stuck': still waiting after a
 * turn of the event loop that left the destination with no write in flight, when nothing is left
 * that could ever emit the 'drain' or 'error' it waits for. Decided by the destination's state, not
 * by a clock. (No periodic flush here: none of these destinations is made with one.)
 */
async function outcomeOf(pending: void | Promise<void>, destination: Destination): Promise<unknown> {
  const waiting = Symbol('waiting');
  let outcome: unknown = waiting;
  Promise.resolve(pending).then(
    () => (outcome = 'written'),
    (err: unknown) => (outcome = err),
  );
  for (;;) {
    // A turn of the loop: the LineLogger's scheduled hand-over (setImmediate, queued before ours)
    // has run, and so has every I/O callback and promise reaction that was already due.
    await new Promise((resolve) => setImmediate(resolve));
    if (outcome !== waiting) return outcome;
    if (!writeInFlight(destination)) return 'stuck';
  }
}

describe('LineLogger backpressure', () => {
  it('takes lines only up to its high-water mark before asking to wait, and delivers every byte through a slow pipe', async () => {
    // A real pipe whose reader reads nothing until told to on fd 3 (once the writer has asked to
    // wait), then counts what it gets.
    const reader = spawn('sh', ['-c', 'read go <&3; exec wc -c'], { stdio: ['pipe', 'pipe', 'inherit', 'pipe'] });
    const startReading = () => (reader.stdio[3] as Writable).end('go\n');
    // Listened for from the start: closing the destination closes the pipe, and the reader may
    // exit before the test gets to wait for it (a listener added then would wait for ever).
    const exited = new Promise((r) => reader.on('close', r)); // 'close': after its stdout was read to the end
    let counted = '';
    reader.stdout!.setEncoding('utf8').on('data', (d: string) => (counted += d));
    const fd = (reader.stdin as unknown as { _handle: { fd: number } })._handle.fd;
    const logger = new LineLogger(pino.destination({ dest: fd, sync: false, minLength: 8192 }));
    const line = buildLine(realEvents()[0]!, 'info', 1, { clusterName: 'c', maxMessageBytes: 4096 });
    const lineBytes = Buffer.byteLength(`${JSON.stringify(line)}\n`);
    let acceptedBeforeWait = 0;
    let waits = 0;
    for (let i = 0; i < 3000; i++) {
      const pending = logger.write(line);
      if (pending) {
        if (waits === 0) {
          acceptedBeforeWait = i + 1;
          startReading();
        }
        waits++;
        await pending;
      }
    }
    if (waits === 0) startReading(); // so that a failure below is reported instead of close() waiting for ever
    // The first wait came once about 16 KiB were buffered, not after megabytes.
    expect(waits).toBeGreaterThan(0);
    expect(acceptedBeforeWait * lineBytes).toBeLessThan(64 * 1024);
    await logger.close();
    reader.stdin!.destroy();
    await exited;
    expect(Number(counted.trim())).toBe(3000 * lineBytes);
  });

  it('hands gathered lines to the destination when the event loop gets a turn, without a flush', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'line-logger-')), 'lines');
    // minLength 0: the destination writes whatever it is given at once, so the file shows what was handed over.
    const logger = new LineLogger(pino.destination({ dest: path, sync: true, minLength: 0 }));
    const line = buildLine(realEvents()[0]!, 'info', 1, { clusterName: 'c', maxMessageBytes: 4096 });
    expect(logger.write(line)).toBeUndefined();
    expect(readFileSync(path, 'utf8')).toBe(''); // gathered, not handed over yet
    await new Promise((resolve) => setImmediate(resolve));
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ level: 'info', delta: 1, metadata: { uid: line.metadata.uid } });
    await logger.close();
  });

  it('a chunk handed over between writes that passes the high-water mark does not leave the next write waiting for a drain that went by', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'line-logger-')), 'lines');
    // No periodic flush: nothing would ever emit another 'drain'.
    const destination = pino.destination({ dest: path, sync: false, minLength: 8192 });
    const logger = new LineLogger(destination);
    const big = buildLine({ ...realEvents()[0]!, message: 'x'.repeat(20_000) }, 'info', 1, { clusterName: 'c', maxMessageBytes: 64 * 1024 });
    // 20 KB is less than a chunk, so it is handed over on the next turn, and is over the 16 KiB mark.
    expect(logger.write(big)).toBeUndefined();
    await once(destination, 'drain'); // handed over, written, drained: all before the next write
    // A small line: handed over, it stays below minLength, so no write (and no 'drain') follows it.
    const small = buildLine(realEvents()[1]!, 'info', 1, { clusterName: 'c', maxMessageBytes: 4096 });
    expect(await outcomeOf(logger.write(small), destination)).toBe('written');
    await logger.close();
    expect(readFileSync(path, 'utf8').split('\n').filter(Boolean)).toHaveLength(2);
  });

  describe('write errors', () => {
    // Fault injection: the destination's descriptor is pointed at a closed one for one write, as a
    // full disk would fail it; a real ENOSPC cannot be produced on demand here.
    const failNextWrite = (destination: ReturnType<typeof pino.destination>) => {
      const handle = destination as unknown as { fd: number };
      const fd = handle.fd;
      handle.fd = 1_000_000;
      return () => (handle.fd = fd);
    };
    const line = (message: string, i: number) => buildLine({ ...realEvents()[i]!, message }, 'info', 1, { clusterName: 'c', maxMessageBytes: 64 * 1024 });
    const fileLoggerFailingOnce = async () => {
      const path = join(mkdtempSync(join(tmpdir(), 'line-logger-')), 'lines');
      const destination = pino.destination({ dest: path, sync: false, minLength: 8192 });
      await once(destination, 'ready');
      return { path, destination, logger: new LineLogger(destination), restore: failNextWrite(destination) };
    };
    const linesIn = (path: string) =>
      readFileSync(path, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).message as string);

    it('an error nobody waited for fails the next write without taking its line, and later writes go on; nothing is lost or doubled', async () => {
      const { path, destination, logger, restore } = await fileLoggerFailingOnce();
      expect(logger.write(line('a'.repeat(20_000), 0))).toBeUndefined(); // handed over on the next turn; that write fails
      await once(destination, 'error');
      restore();
      await expect(logger.write(line('b', 1))).rejects.toMatchObject({ code: 'EBADF' });
      for (const [i, m] of ['b', 'c', 'd'].entries()) await logger.write(line(m, i + 1));
      await logger.close();
      expect(linesIn(path)).toEqual(['a'.repeat(20_000), 'b', 'c', 'd']);
    });

    it('an error reaches the caller waiting for drain, once; later writes go on', async () => {
      const { path, logger, restore } = await fileLoggerFailingOnce();
      // Over a chunk: handed over at once, over the high-water mark, so this write waits, and hears of the error.
      await expect(logger.write(line('a'.repeat(40_000), 0))).rejects.toMatchObject({ code: 'EBADF' });
      restore();
      expect(await logger.write(line('b', 1))).toBeUndefined();
      await logger.close();
      // The waiting caller's line had been taken (the exporter writes it again: at-least-once on sink errors).
      expect(linesIn(path)).toEqual(['a'.repeat(40_000), 'b']);
    });

    it('flush() rejects on a write error instead of trying again for ever', async () => {
      const { destination, logger, restore } = await fileLoggerFailingOnce();
      // Trying again is seen by its act: a flush of the destination asked for after one had failed.
      const triedAgain = new Promise<string>((resolve) => {
        const flush = destination.flush.bind(destination);
        let failed = false;
        destination.flush = (cb) => {
          if (failed) resolve('tried again after a failed flush');
          flush((err) => {
            if (err) failed = true;
            cb?.(err);
          });
        };
      });
      logger.write(line('a', 0));
      const outcome = await Promise.race([
        logger.flush().then(
          () => 'flushed',
          (err: NodeJS.ErrnoException) => err.code,
        ),
        triedAgain,
      ]);
      expect(outcome).toBe('EBADF');
      restore();
      await logger.close();
    });

    it('a reader that went away (EPIPE) fails writes and flush with a clear error instead of waiting for ever', async () => {
      // The reader closes its end of the pipe, says so, and stays alive, so our end stays open.
      const reader = spawn('sh', ['-c', 'exec 0<&-; echo closed; exec sleep 30'], { stdio: ['pipe', 'pipe', 'ignore'] });
      const fd = (reader.stdin as unknown as { _handle: { fd: number } })._handle.fd;
      await once(reader.stdout!, 'data'); // 'closed': from now on a write to the pipe fails with EPIPE
      const destination = pino.destination({ dest: fd, sync: false, minLength: 8192 });
      const logger = new LineLogger(destination);
      let failure: unknown;
      for (let i = 0; i < 50 && !failure; i++) {
        const outcome = await outcomeOf(logger.write(line('x'.repeat(40_000), 0)), destination);
        expect(outcome).not.toBe('stuck');
        if (outcome !== 'written') failure = outcome;
      }
      expect(String(failure)).toMatch(/EPIPE/);
      // From then on every write and flush fails at once, saying why.
      await expect(logger.write(line('y', 1))).rejects.toThrow(/reader went away \(EPIPE\)/);
      await expect(logger.flush()).rejects.toThrow(/reader went away \(EPIPE\)/);
      reader.kill();
      reader.stdin!.destroy();
    });
  });
});
