/** The markdown text DingTalk's and WeCom's presets send: a heading, the message, the facts; all event text escaped. */
import { escapeMarkdown, fitEscaped } from './escape.js';
import { type Notice, noticeFacts, noticeTitle } from './notice.js';

export function markdownNotice(notice: Notice, maxBytes: number, heading: (escapedTitle: string) => string): string {
  const head = `${heading(escapeMarkdown(noticeTitle(notice)))}\n\n`;
  const facts = `\n\n${noticeFacts(notice)
    .map((fact) => `- **${fact.title}:** ${escapeMarkdown(fact.value)}`)
    .join('\n')}`;
  const room = maxBytes - Buffer.byteLength(head) - Buffer.byteLength(facts);
  return `${head}${fitEscaped(notice.line.message, escapeMarkdown, Math.max(room, 64))}${facts}`;
}
