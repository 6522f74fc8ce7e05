/**
 * The digest for a Microsoft Teams Workflows webhook: one Adaptive Card 1.4, each list a
 * ColumnSet per row (1.4 has no Table), every text in a RichTextBlock TextRun, which renders no
 * markdown; escapeAdaptiveCardText keeps `{{DATE(…)}}` text.
 */
import { escapeAdaptiveCardText } from '../sinks/webhook/escape.js';
import type { Digest } from './digest.js';
import { digestLists, digestTitle, listHeading, listTable, rangeSentence } from './digest-text.js';

const run = (text: string, style: Record<string, string> = {}) => ({ type: 'TextRun', text: escapeAdaptiveCardText(text), ...style });
const text = (value: string, style: Record<string, string> = {}, block: Record<string, unknown> = {}) => ({
  type: 'RichTextBlock',
  inlines: [run(value, style)],
  ...block,
});

function row(cells: string[], style: Record<string, string> = {}) {
  return {
    type: 'ColumnSet',
    spacing: 'None',
    columns: cells.map((cell, i) => ({
      type: 'Column',
      width: i === cells.length - 1 ? 'auto' : 'stretch',
      items: [text(cell, style, i === cells.length - 1 ? { horizontalAlignment: 'Right' } : {})],
    })),
  };
}

export function teamsDigest(digest: Digest): unknown {
  const body: unknown[] = [text(digestTitle(digest), { weight: 'Bolder', size: 'Medium' }), text(rangeSentence(digest))];
  for (const list of digestLists(digest)) {
    const table = listTable(list);
    body.push(text(listHeading(digest, list), { weight: 'Bolder' }, { spacing: 'Medium' }));
    if (table.rows.length === 0) body.push(text('none'));
    else body.push(row(table.header, { weight: 'Bolder' }), ...table.rows.map((cells) => row(cells)));
  }
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: { $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', type: 'AdaptiveCard', version: '1.4', body },
      },
    ],
  };
}
