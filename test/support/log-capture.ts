// A pino logger whose lines the test reads back, parsed. pino writes to its stream asynchronously:
// wait for a line before asserting on it.
import { Writable } from 'node:stream';
import pino, { type Level } from 'pino';

export function logCapture(level: Level = 'debug') {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level }, stream), lines };
}
