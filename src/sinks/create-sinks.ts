import type { ReceiverConfig } from '../config/schema.js';
import { createFileSink } from './file-sink.js';
import type { Sink } from './sink.js';
import { createStdoutSink } from './stdout-sink.js';

/** One sink per configured receiver, by name. */
export function createSinks(receivers: readonly ReceiverConfig[], stdoutFd = 1): Map<string, Sink> {
  const sinks = new Map<string, Sink>();
  for (const receiver of receivers) {
    sinks.set(
      receiver.name,
      receiver.type === 'file'
        ? createFileSink(receiver.name, { path: receiver.path, maxBytes: receiver.maxBytes, maxFiles: receiver.maxFiles, deDot: receiver.deDot })
        : createStdoutSink(receiver.name, { deDot: receiver.deDot }, stdoutFd),
    );
  }
  return sinks;
}
