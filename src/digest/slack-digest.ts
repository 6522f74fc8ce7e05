/**
 * The digest for a Slack incoming webhook: Block Kit, each list a monospace table in a
 * `rich_text_preformatted` element, whose text Slack shows as written (no mrkdwn, no links, no
 * mentions); headings in `plain_text`. The notification fallback `text` is escaped as Slack
 * says (escapeSlack). Slack's limits: header 150 characters, section text 3000, 50 blocks; a
 * table is kept within 3000 characters too (rows come off its end, said in its heading), so that
 * the message stays well under Slack's 40,000.
 */
import { escapeSlack } from '../sinks/webhook/escape.js';
import type { Digest } from './digest.js';
import { digestLists, digestTitle, listHeading, listTable, rangeSentence } from './digest-text.js';

const MAX_TABLE = 3000;

// Wide enough for real names (a pod name is at most 253 characters, most are under 100).
const MAX_CELL = 100;

function cut(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

const plain = (text: string, max: number) => ({ type: 'plain_text', text: cut(text === '' ? ' ' : text, max), emoji: false });

/** Columns padded to their widest cell; numbers right-aligned. */
export function monospaceTable(header: string[], rows: string[][]): string {
  const all = [header, ...rows].map((cells) => cells.map((c) => cut(c, MAX_CELL)));
  const width = header.map((_, i) => Math.max(...all.map((cells) => Array.from(cells[i] ?? '').length)));
  const pad = (text: string, i: number) => {
    const gap = ' '.repeat(width[i]! - Array.from(text).length);
    return i === header.length - 1 ? gap + text : text + gap;
  };
  return all.map((cells) => cells.map(pad).join('  ').trimEnd()).join('\n');
}

export function slackDigest(digest: Digest): unknown {
  const title = digestTitle(digest);
  const sentence = rangeSentence(digest);
  const blocks: unknown[] = [
    { type: 'header', text: plain(title, 150) },
    { type: 'section', text: plain(sentence, 3000) },
  ];
  for (const list of digestLists(digest)) {
    let rows = list.rows.length;
    let table = listTable(list, rows);
    while (rows > 1 && Array.from(monospaceTable(table.header, table.rows)).length > MAX_TABLE) table = listTable(list, --rows);
    const shortened = rows < list.rows.length ? `${rows} rows here to fit Slack's block size` : undefined;
    blocks.push({ type: 'section', text: plain(listHeading(digest, list, shortened), 3000) });
    blocks.push({
      type: 'rich_text',
      elements: [
        {
          type: 'rich_text_preformatted',
          elements: [{ type: 'text', text: table.rows.length === 0 ? 'none' : monospaceTable(table.header, table.rows) }],
        },
      ],
    });
  }
  return { text: escapeSlack(cut(`${title}: ${sentence}`, 3000)), blocks };
}
