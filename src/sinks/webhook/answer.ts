/**
 * Reading a chat service's answer. DingTalk and WeCom robots answer HTTP 200 with an `errcode`
 * in the body: 0 is success; their "too many messages" codes are treated as a 429 (wait a
 * minute), any other code as a refusal.
 */
import type { AttemptOutcome } from './retry-policy.js';

/** DingTalk 130101 (send too fast), WeCom 45009 (api freq out of limit). */
const TOO_FAST = new Set([130101, 45009]);

export function robotAnswer(status: number, body: string): AttemptOutcome {
  if (status < 200 || status >= 300) return { status, body };
  let errcode: unknown;
  try {
    errcode = (JSON.parse(body) as { errcode?: unknown }).errcode;
  } catch {
    return { status: 502, body: `not the robot's JSON answer: ${body}` };
  }
  if (errcode === 0 || errcode === undefined) return { status };
  if (typeof errcode === 'number' && TOO_FAST.has(errcode)) return { status: 429, retryAfter: '60', body };
  return { status: 400, body };
}
