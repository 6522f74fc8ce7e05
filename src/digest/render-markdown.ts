/** The digest as CommonMark with GitHub tables, for stdout: every cell escaped (escape.ts). */
import { escapeMarkdown } from '../sinks/webhook/escape.js';
import type { Digest } from './digest.js';
import { digestLists, digestTitle, listHeading, listTable, rangeSentence } from './digest-text.js';

export function digestMarkdown(digest: Digest): string {
  const out = [`# ${escapeMarkdown(digestTitle(digest))}`, '', `${escapeMarkdown(rangeSentence(digest))}.`];
  for (const list of digestLists(digest)) {
    out.push('', `## ${escapeMarkdown(listHeading(digest, list))}`, '');
    const table = listTable(list);
    if (table.rows.length === 0) {
      out.push('None.');
      continue;
    }
    const row = (cells: string[]) => `| ${cells.map(escapeMarkdown).join(' | ')} |`;
    out.push(row(table.header), `|${table.header.map((_, i) => (i === table.header.length - 1 ? ' ---: |' : ' --- |')).join('')}`);
    for (const cells of table.rows) out.push(row(cells));
  }
  return `${out.join('\n')}\n`;
}
