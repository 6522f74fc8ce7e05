/**
 * DingTalk custom robot (自定义机器人): `msgtype: markdown` with a `title` (the notification
 * text, plain) and markdown `text`. A robot accepts 20 messages a minute, then refuses for ten
 * minutes: at most 19 a minute after one at once. With a signing secret, every request carries
 * `timestamp` (ms) and `sign` = base64(HMAC-SHA256(key: secret, `${timestamp}\n${secret}`)),
 * URL-encoded, as DingTalk's robot security settings describe.
 */
import { createHmac } from 'node:crypto';
import { markdownNotice } from './markdown-notice.js';
import { type Notice, noticeTitle } from './notice.js';
import type { Preset } from './preset.js';

/** DingTalk's markdown messages: the text is limited to about 20,000 bytes. */
const MAX_TEXT_BYTES = 18_000;

export const dingtalkPreset: Preset = {
  name: 'dingtalk',
  rateLimit: { perMinute: 19, burst: 1 },
  body(notice: Notice) {
    return {
      msgtype: 'markdown',
      markdown: { title: noticeTitle(notice).slice(0, 100), text: markdownNotice(notice, MAX_TEXT_BYTES, (title) => `#### ${title}`) },
    };
  },
};

export function dingtalkSignature(secret: string, timestampMs: number): string {
  return createHmac('sha256', secret).update(`${timestampMs}\n${secret}`, 'utf8').digest('base64');
}

/** The endpoint with `timestamp` and `sign` for this moment (the robot refuses a timestamp over an hour off). */
export function signedDingtalkUrl(endpoint: string, secret: string, timestampMs: number): string {
  const url = new URL(endpoint);
  url.searchParams.set('timestamp', String(timestampMs));
  url.searchParams.set('sign', dingtalkSignature(secret, timestampMs));
  return url.toString();
}
