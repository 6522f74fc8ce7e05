/**
 * WeCom group robot (企业微信群机器人): `msgtype: markdown`, `markdown.content` at most 4096 UTF-8
 * bytes; the level is coloured with the `<font color>` tag WeCom's markdown has. A robot
 * accepts 20 messages a minute.
 */
import type { Level } from '../../grade/levels.js';
import { markdownNotice } from './markdown-notice.js';
import type { Notice } from './notice.js';
import type { Preset } from './preset.js';

const MAX_CONTENT_BYTES = 4096;
const FONT: Record<Level, string> = { info: 'comment', normal: 'comment', warning: 'warning', error: 'warning', fatal: 'warning' };

export const wecomPreset: Preset = {
  name: 'wecom',
  rateLimit: { perMinute: 19, burst: 1 },
  body(notice: Notice) {
    const color = FONT[notice.line.level];
    return {
      msgtype: 'markdown',
      markdown: { content: markdownNotice(notice, MAX_CONTENT_BYTES - 64, (title) => `### <font color="${color}">${title}</font>`) },
    };
  },
};
