/**
 * One POST of a rendered body to a webhook: the DingTalk signature for this moment, the timeout,
 * the answer read as the receiver's service means it (robots answer 200 with an `errcode`).
 * Shared by the `webhook` receiver and `kube-eventline digest`. Errors never quote the URL: it
 * may hold a token.
 */
import { validateHeaderName, validateHeaderValue } from 'node:http';
import { robotAnswer } from './answer.js';
import { signedDingtalkUrl } from './dingtalk-preset.js';
import { type PostAnswer, PostConnections, post } from './http-post.js';
import type { AttemptOutcome } from './retry-policy.js';
import type { WebhookSecrets } from './secrets.js';
import type { WebhookReceiverConfig } from './webhook-schema.js';

const MAX_ANSWER_CHARS = 512;

/** Leading and trailing spaces, tabs and line breaks, which `fetch`'s Headers dropped from values. */
const EDGE_WHITESPACE = /^[\t\n\r ]+|[\t\n\r ]+$/g;

export type WebhookAttempt = (payload: string, stop: AbortSignal) => Promise<AttemptOutcome>;

export function webhookAttempt(config: WebhookReceiverConfig, secrets: WebhookSecrets, now: () => number): WebhookAttempt {
  const robot = config.preset === 'dingtalk' || config.preset === 'wecom';
  // the configured headers replace these defaults, whatever their case; a bad one fails here, at start
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'kube-eventline' };
  for (const [name, written] of Object.entries(secrets.headers)) {
    const value = written.replace(EDGE_WHITESPACE, '');
    validateHeaderName(name);
    validateHeaderValue(name, value);
    headers[name.toLowerCase()] = value;
  }
  const connections = new PostConnections();
  return async (payload, stop) => {
    const url = new URL(secrets.signingSecret ? signedDingtalkUrl(secrets.endpoint, secrets.signingSecret, now()) : secrets.endpoint);
    const signal = AbortSignal.any([stop, AbortSignal.timeout(config.timeoutSeconds * 1000)]);
    let answer: PostAnswer;
    try {
      answer = await post(url, headers, payload, signal, connections, MAX_ANSWER_CHARS);
    } catch (err) {
      // the transport's own message says what happened; never the URL: it may hold a token
      const timedOut = signal.aborted && !stop.aborted;
      return { error: new Error(timedOut ? `no answer within ${config.timeoutSeconds}s` : (err as Error).message) };
    }
    const text = answer.text.length > MAX_ANSWER_CHARS ? `${answer.text.slice(0, MAX_ANSWER_CHARS)}…` : answer.text;
    if (robot) return robotAnswer(answer.status, text);
    return { status: answer.status, retryAfter: answer.retryAfter, body: text };
  };
}

/** The delivery settings of a receiver, as the delivery queue takes them. */
export function retryOptionsOf(config: WebhookReceiverConfig) {
  return {
    maxRetries: config.retries.max,
    minBackoffMs: config.retries.minBackoffSeconds * 1000,
    maxBackoffMs: config.retries.maxBackoffSeconds * 1000,
    maxRetryAfterMs: config.retries.maxRetryAfterSeconds * 1000,
  };
}
