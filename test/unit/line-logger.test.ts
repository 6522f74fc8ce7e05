import { spawn } from 'node:child_process';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { buildLine } from '../../src/line/build-line.js';
import { LineLogger } from '../../src/sinks/line-logger.js';
import { realEvents } from '../support/real-events.js';

describe('LineLogger backpressure', () => {
  it('takes lines only up to its high-water mark before asking to wait, and delivers every byte through a slow pipe', async () => {
    // A real pipe whose reader sleeps before reading, then counts what it gets.
    const reader = spawn('sh', ['-c', 'sleep 1; wc -c'], { stdio: ['pipe', 'pipe', 'inherit'] });
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
        if (waits === 0) acceptedBeforeWait = i + 1;
        waits++;
        await pending;
      }
    }
    // The first wait came once about 16 KiB were buffered, not after megabytes.
    expect(waits).toBeGreaterThan(0);
    expect(acceptedBeforeWait * lineBytes).toBeLessThan(64 * 1024);
    await logger.close();
    reader.stdin!.destroy();
    await new Promise((r) => reader.on('exit', r));
    expect(Number(counted.trim())).toBe(3000 * lineBytes);
  });
});
