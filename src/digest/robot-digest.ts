/**
 * The digest for the DingTalk and WeCom robots, whose markdown has no tables: each list is a
 * heading and one line per row, `count · cell · cell`, every cell escaped (escapeMarkdown). The
 * robots cap a message (DingTalk about 20,000 bytes, WeCom 4096): rows are taken off the end of
 * the lists until it fits, and the message says so.
 */
import { escapeMarkdown } from '../sinks/webhook/escape.js';
import type { Digest } from './digest.js';
import { digestLists, digestTitle, listHeading, listTable, rangeSentence } from './digest-text.js';

const DINGTALK_MAX_BYTES = 18_000;
const WECOM_MAX_BYTES = 4096 - 64;

function robotMarkdown(digest: Digest, heading: (escapedTitle: string) => string, listStart: string, maxBytes: number): string {
  const render = (rowsPerList: number) => {
    const out = [heading(escapeMarkdown(digestTitle(digest))), '', escapeMarkdown(rangeSentence(digest))];
    for (const list of digestLists(digest)) {
      const table = listTable(list, rowsPerList);
      const shortened = table.rows.length < list.rows.length ? `${table.rows.length} rows here to fit the robot's message size` : undefined;
      out.push('', `**${escapeMarkdown(listHeading(digest, list, shortened))}**`, '');
      if (table.rows.length === 0) out.push(list.rows.length === 0 ? 'none' : '…');
      for (const cells of table.rows) {
        const count = cells[cells.length - 1]!;
        out.push(`${listStart}**${count}** · ${cells.slice(0, -1).map(escapeMarkdown).join(' · ')}`);
      }
    }
    return out.join('\n');
  };
  const most = Math.max(...digestLists(digest).map((l) => l.rows.length));
  for (let rows = most; rows > 0; rows--) {
    const text = render(rows);
    if (Buffer.byteLength(text) <= maxBytes) return text;
  }
  return render(0);
}

export function dingtalkDigest(digest: Digest): unknown {
  return {
    msgtype: 'markdown',
    markdown: { title: digestTitle(digest).slice(0, 100), text: robotMarkdown(digest, (t) => `#### ${t}`, '- ', DINGTALK_MAX_BYTES) },
  };
}

export function wecomDigest(digest: Digest): unknown {
  // WeCom's markdown has no lists either: one row a line.
  return { msgtype: 'markdown', markdown: { content: robotMarkdown(digest, (t) => `### ${t}`, '', WECOM_MAX_BYTES) } };
}
