/**
 * The `webhook` receiver as a Sink. `write` never makes the pipeline wait: the line goes through
 * the collapse window into a bounded queue and `write` returns at once (a full queue drops and
 * counts). `flush` does not wait for the endpoint either (a periodic checkpoint save must not
 * hang on a chat service, and a webhook is best effort: Loki is the record); `close`, at stop,
 * sends the held repeat summaries and gives the queue `stopTimeoutSeconds` to go out, then
 * drops what is left, counted.
 */
import type { Logger } from 'pino';
import type { EventLine } from '../../line/event-line.js';
import { TokenBucket } from '../../token-bucket.js';
import type { Sink } from '../sink.js';
import { bodyBuilder } from './body.js';
import { CollapseWindow } from './collapse-window.js';
import { DeliveryQueue, type DropReason } from './delivery-queue.js';
import { DropLog } from './drop-log.js';
import type { Notice } from './notice.js';
import { PRESETS } from './presets.js';
import { readWebhookSecrets } from './secrets.js';
import { retryOptionsOf, webhookAttempt } from './webhook-request.js';
import type { WebhookReceiverConfig } from './webhook-schema.js';

/** What a webhook counts (serve/metrics.ts implements it). */
export interface WebhookMetrics {
  webhookSent(receiver: string): void;
  webhookRetried(receiver: string): void;
  /** The count of one receiver's drops for one reason, looked up once: a full queue drops every line. */
  webhookDropCounter(receiver: string, why: DropReason): { inc(count: number): void };
  webhookCollapsed(receiver: string, occurrences: number): void;
  webhookQueueLength(receiver: string, length: number): void;
}

export interface WebhookSink extends Sink {
  /** notices waiting or in flight (tests and the benchmark read it) */
  readonly queued: number;
}

export function createWebhookSink(config: WebhookReceiverConfig, metrics: WebhookMetrics, log: Logger, clock: { now?: () => number } = {}): WebhookSink {
  const secrets = readWebhookSecrets(config);
  const preset = config.preset ? PRESETS[config.preset] : undefined;
  const body = bodyBuilder({ ...(preset ? { preset } : {}), ...(config.layout ? { layout: config.layout } : {}) });
  const dropLog = new DropLog(config.name, log);
  const dropCounters: Record<DropReason, { inc(count: number): void }> = {
    queue_full: metrics.webhookDropCounter(config.name, 'queue_full'),
    rejected: metrics.webhookDropCounter(config.name, 'rejected'),
    failed: metrics.webhookDropCounter(config.name, 'failed'),
    stopped: metrics.webhookDropCounter(config.name, 'stopped'),
  };
  const now = clock.now ?? Date.now;

  const attempt = webhookAttempt(config, secrets, now);

  // The queue holds rendered bodies, one flat string each: what waits is exactly what will be sent,
  // and the garbage collector has one object per notice to trace, not a line's whole tree.
  const queue = new DeliveryQueue<string>(
    {
      capacity: config.queueSize,
      retry: retryOptionsOf(config),
      now,
    },
    new TokenBucket(config.rateLimit.perMinute / 60, config.rateLimit.burst, now),
    attempt,
    {
      sent: () => metrics.webhookSent(config.name),
      retried: (_notice, why, afterMs) => {
        metrics.webhookRetried(config.name);
        log.debug({ receiver: config.name, why, afterMs }, 'webhook retrying');
      },
      dropped: (why, count, detail) => {
        dropCounters[why].inc(count);
        dropLog.dropped(why, count, detail);
      },
      queueLength: (length) => metrics.webhookQueueLength(config.name, length),
    },
  );
  const collapse = new CollapseWindow(
    { windowMs: config.collapseSeconds * 1000, now },
    (notice: Notice) => {
      if (queue.hasRoom()) queue.push(body(notice));
      else queue.push(undefined); // counted as dropped, nothing rendered
    },
    (occurrences) => metrics.webhookCollapsed(config.name, occurrences),
  );

  let closed = false;
  return {
    name: config.name,
    get queued() {
      return queue.length;
    },
    write(line: EventLine): void {
      if (closed) return;
      collapse.offer(line);
    },
    flush: () => Promise.resolve(),
    async close() {
      if (closed) return;
      closed = true;
      collapse.drain();
      await queue.stop(config.stopTimeoutSeconds * 1000);
      dropLog.flush();
    },
  };
}
