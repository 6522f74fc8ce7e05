/**
 * Slack incoming webhook: `text` (the notification fallback, mrkdwn off) and Block Kit blocks.
 * Event text goes into `plain_text` objects (emoji off), where nothing is markup; Slack's
 * limits are kept (header 150 characters, section text 3000, at most 10 fields of 2000).
 * Slack accepts about one message a second per webhook.
 */
import { escapeSlack } from './escape.js';
import { type Notice, noticeFacts, noticeTitle } from './notice.js';
import type { Preset } from './preset.js';

function cut(text: string, max: number): string {
  // no more UTF-16 units than `max` is no more characters than `max`: most texts need no splitting
  if (text.length <= max) return text;
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

const plain = (text: string, max: number) => ({ type: 'plain_text', text: cut(text === '' ? ' ' : text, max), emoji: false });

export const slackPreset: Preset = {
  name: 'slack',
  rateLimit: { perMinute: 60, burst: 1 },
  body(notice: Notice) {
    const title = noticeTitle(notice);
    const message = notice.line.message;
    return {
      text: escapeSlack(cut(`${title}: ${message}`, 3000)),
      mrkdwn: false,
      blocks: [
        { type: 'header', text: plain(title, 150) },
        { type: 'section', text: plain(message, 3000) },
        {
          type: 'section',
          fields: noticeFacts(notice)
            .slice(0, 10)
            .map((fact) => plain(`${fact.title}: ${fact.value}`, 2000)),
        },
      ],
    };
  },
};
