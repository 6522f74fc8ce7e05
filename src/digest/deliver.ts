/**
 * Sends the digest to a `webhook` receiver of the config with the receiver's own delivery: its
 * request (signing, timeout, robot answers), rate limit and retry policy (DeliveryQueue), and
 * waits for the outcome, which a daily job must know: a digest that finally fails is an error.
 */

import { DeliveryQueue, type DropReason } from '../sinks/webhook/delivery-queue.js';
import { readWebhookSecrets } from '../sinks/webhook/secrets.js';
import { retryOptionsOf, webhookAttempt } from '../sinks/webhook/webhook-request.js';
import type { WebhookReceiverConfig } from '../sinks/webhook/webhook-schema.js';
import { TokenBucket } from '../token-bucket.js';
import type { Digest } from './digest.js';
import { digestJson } from './digest-text.js';
import { dingtalkDigest, wecomDigest } from './robot-digest.js';
import { slackDigest } from './slack-digest.js';
import { teamsDigest } from './teams-digest.js';

export class DigestDeliveryError extends Error {}

/** The request body: the preset's format, or the digest's JSON for a webhook without preset. */
export function digestBody(receiver: WebhookReceiverConfig, digest: Digest): string {
  const body = {
    slack: slackDigest,
    teams: teamsDigest,
    dingtalk: dingtalkDigest,
    wecom: wecomDigest,
  }[receiver.preset ?? ('none' as never)] as ((d: Digest) => unknown) | undefined;
  return JSON.stringify(body ? body(digest) : digestJson(digest));
}

type Outcome = { sent: true } | { sent: false; why: DropReason; detail?: string };

export async function deliverDigest(
  receiver: WebhookReceiverConfig,
  payload: string,
  onRetry: (why: string, afterMs: number) => void,
  now: () => number = Date.now,
): Promise<void> {
  const secrets = readWebhookSecrets(receiver);
  let settle!: (outcome: Outcome) => void;
  const outcome = new Promise<Outcome>((resolve) => {
    settle = resolve;
  });
  const queue = new DeliveryQueue<string>(
    { capacity: 1, retry: retryOptionsOf(receiver), now },
    new TokenBucket(receiver.rateLimit.perMinute / 60, receiver.rateLimit.burst, now),
    webhookAttempt(receiver, secrets, now),
    {
      sent: () => settle({ sent: true }),
      retried: (_payload, why, afterMs) => onRetry(why, afterMs),
      dropped: (why, _count, detail) => settle({ sent: false, why, ...(detail !== undefined ? { detail } : {}) }),
      queueLength: () => undefined,
    },
  );
  queue.push(payload);
  const result = await outcome;
  await queue.stop(0);
  if (!result.sent) {
    const what = result.why === 'rejected' ? 'refused it' : 'kept failing';
    throw new DigestDeliveryError(`receiver "${receiver.name}": the digest was not delivered, the endpoint ${what}: ${result.detail ?? result.why}`);
  }
}
