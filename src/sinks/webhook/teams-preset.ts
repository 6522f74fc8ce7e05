/**
 * Microsoft Teams Workflows webhook ("Post to a channel when a webhook request is received"):
 * a message with one Adaptive Card 1.4 attachment. Event text goes into RichTextBlock TextRuns,
 * which render no markdown (a TextBlock or a Fact would).
 */
import type { Level } from '../../grade/levels.js';
import { escapeAdaptiveCardText } from './escape.js';
import { type Notice, noticeFacts, noticeTitle } from './notice.js';
import type { Preset } from './preset.js';

const COLOR: Record<Level, string> = { info: 'Default', normal: 'Default', warning: 'Warning', error: 'Attention', fatal: 'Attention' };

const run = (text: string, style: Record<string, string> = {}) => ({ type: 'TextRun', text: escapeAdaptiveCardText(text), ...style });

export const teamsPreset: Preset = {
  name: 'teams',
  rateLimit: { perMinute: 60, burst: 1 },
  body(notice: Notice) {
    return {
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          contentUrl: null,
          content: {
            $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
            type: 'AdaptiveCard',
            version: '1.4',
            body: [
              { type: 'RichTextBlock', inlines: [run(noticeTitle(notice), { weight: 'Bolder', size: 'Medium', color: COLOR[notice.line.level] })] },
              { type: 'RichTextBlock', inlines: [run(notice.line.message)] },
              ...noticeFacts(notice).map((fact) => ({
                type: 'RichTextBlock',
                spacing: 'None',
                inlines: [run(`${fact.title}: `, { weight: 'Bolder' }), run(fact.value)],
              })),
            ],
          },
        },
      ],
    };
  },
};
