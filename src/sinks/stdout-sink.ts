import pino from 'pino';
import type { EventLine } from '../line/event-line.js';
import { deDotLine } from './de-dot.js';
import { BATCHING, BUFFER_CONTENT, LineLogger } from './line-logger.js';
import type { Sink } from './sink.js';

export interface StdoutSinkOptions {
  deDot?: boolean;
}

/** The default receiver: one JSON line per occurrence on stdout, which carries nothing else. */
export function createStdoutSink(name: string, options: StdoutSinkOptions = {}, fd = 1): Sink {
  const destination = pino.destination({ dest: fd, sync: false, ...BATCHING, ...BUFFER_CONTENT });
  const lines = new LineLogger(destination, { buffers: true });
  return {
    name,
    write: options.deDot ? (line: EventLine) => lines.write(deDotLine(line)) : (line: EventLine) => lines.write(line),
    flush: () => lines.flush(),
    close: async () => {
      await lines.flush();
    },
    brokenBy: () => lines.brokenBy,
    onLineWritten: (listener) => lines.onLineWritten(listener),
    waiting: () => lines.waiting,
  };
}
