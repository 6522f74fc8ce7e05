import type { Logger } from 'pino';
import type { ReceiverConfig } from '../config/schema.js';
import { createFileSink } from './file-sink.js';
import type { Sink } from './sink.js';
import { createStdoutSink } from './stdout-sink.js';
import { createWebhookSink, type WebhookMetrics } from './webhook/webhook-sink.js';

/** What receivers other than stdout and file need: webhooks count and log their deliveries. */
export interface SinkContext {
  metrics: WebhookMetrics;
  log: Logger;
}

function createSink(receiver: ReceiverConfig, stdoutFd: number, context: SinkContext): Sink {
  switch (receiver.type) {
    case 'file':
      return createFileSink(receiver.name, { path: receiver.path, maxBytes: receiver.maxBytes, maxFiles: receiver.maxFiles, deDot: receiver.deDot });
    case 'webhook':
      return createWebhookSink(receiver, context.metrics, context.log);
    case 'stdout':
      return createStdoutSink(receiver.name, { deDot: receiver.deDot }, stdoutFd);
  }
}

/** One sink per configured receiver, by name. */
export function createSinks(receivers: readonly ReceiverConfig[], context: SinkContext, stdoutFd = 1): Map<string, Sink> {
  const sinks = new Map<string, Sink>();
  for (const receiver of receivers) sinks.set(receiver.name, createSink(receiver, stdoutFd, context));
  return sinks;
}
