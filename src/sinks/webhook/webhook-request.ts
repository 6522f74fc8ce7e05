/**
 * One POST of a rendered body to a webhook: the DingTalk signature for this moment, the timeout,
 * the answer read as the receiver's service means it (robots answer 200 with an `errcode`).
 * Shared by the `webhook` receiver and `kube-eventline digest`. Errors never quote the URL: it
 * may hold a token.
 */
import { robotAnswer } from './answer.js';
import { signedDingtalkUrl } from './dingtalk-preset.js';
import type { AttemptOutcome } from './retry-policy.js';
import type { WebhookSecrets } from './secrets.js';
import type { WebhookReceiverConfig } from './webhook-schema.js';

const MAX_ANSWER_CHARS = 512;

async function answerText(response: Response): Promise<string> {
  try {
    const body = await response.text();
    return body.length > MAX_ANSWER_CHARS ? `${body.slice(0, MAX_ANSWER_CHARS)}…` : body;
  } catch {
    return '';
  }
}

export type WebhookAttempt = (payload: string, stop: AbortSignal) => Promise<AttemptOutcome>;

export function webhookAttempt(config: WebhookReceiverConfig, secrets: WebhookSecrets, now: () => number): WebhookAttempt {
  const robot = config.preset === 'dingtalk' || config.preset === 'wecom';
  // the configured headers replace these defaults, whatever their case
  const headers = new Headers({ 'content-type': 'application/json; charset=utf-8', 'user-agent': 'kube-eventline' });
  for (const [name, value] of Object.entries(secrets.headers)) headers.set(name, value);
  return async (payload, stop) => {
    const url = secrets.signingSecret ? signedDingtalkUrl(secrets.endpoint, secrets.signingSecret, now()) : secrets.endpoint;
    const signal = AbortSignal.any([stop, AbortSignal.timeout(config.timeoutSeconds * 1000)]);
    let response: Response;
    try {
      response = await fetch(url, { method: 'POST', headers, body: payload, signal, redirect: 'error' });
    } catch (err) {
      const error = err as Error;
      // fetch's own message is "fetch failed"; the cause says what happened. Never the URL: it may hold a token.
      const cause = (error.cause as Error | undefined)?.message;
      const timedOut = error.name === 'TimeoutError' || (error.name === 'AbortError' && !stop.aborted);
      return { error: new Error(timedOut ? `no answer within ${config.timeoutSeconds}s` : (cause ?? error.message)) };
    }
    const text = await answerText(response);
    if (robot) return robotAnswer(response.status, text);
    return { status: response.status, retryAfter: response.headers.get('retry-after'), body: text };
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
