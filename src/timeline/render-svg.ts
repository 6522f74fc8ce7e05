import { LEVELS, type Level } from '../grade/levels.js';
import { formatStep, type Grouping } from './group.js';
import { CHAR_WIDTH, FONT_SIZE, type Layout, layoutGroups } from './layout.js';
import { LEVEL_COLOURS } from './level-colours.js';
import { formatDuration, groupTime, isoMilli, isoSecond } from './time-format.js';
import { xmlText } from './xml-text.js';

export interface PictureHeading {
  /** "Pod shop/api-1". */
  subject: string;
  clusters: string[];
  fromMs: number;
  toMs: number;
  lines: number;
}

const MARGIN = 24;
const HEADER_HEIGHT = 84;
const FOOTNOTE_CHARS = 150;
const MESSAGE_INDENT = 6;

/**
 * The timeline as one SVG document that needs nothing else: every occurrence is in a group
 * (data-delta, a <title> tooltip listing its events) and again in the footnotes, so nothing is
 * lost when the file is shared. All text that comes from Events is escaped.
 * Written in pieces to `emit`: 100,000 lines make megabytes of footnotes, which are never held
 * whole (they are generated twice: once to measure the picture, once to write it).
 */
export function writeSvg(heading: PictureHeading, grouping: Grouping, emit: (chunk: string) => void, options: { declaration?: boolean } = {}): void {
  const { stepMs, groups } = grouping;
  const layout = layoutGroups(groups, stepMs, (g, prev) => groupTime(g.startMs, prev?.startMs, stepMs));
  const total = groups.reduce((a, g) => a + g.delta, 0);
  const present = LEVELS.filter((level) => groups.some((g) => g.entries.some((e) => e.level === level)));

  const axisY = HEADER_HEIGHT + 16 + layout.lanesAbove * layout.laneHeight + 24;
  const belowEnd = axisY + 24 + layout.lanesBelow * layout.laneHeight + 16;
  let footnoteCount = 0;
  let footnoteChars = 0;
  for (const f of footnoteLines(grouping)) {
    footnoteCount++;
    footnoteChars = Math.max(footnoteChars, f.text.length + f.indent);
  }
  const footTop = belowEnd + 24;
  const height = Math.ceil(footTop + 20 + footnoteCount * 14 + MARGIN);
  const title = pictureTitle(heading);
  const coarsened =
    grouping.stepMs !== grouping.requestedStepMs ? ` (coarsened from ${formatStep(grouping.requestedStepMs)} to keep the picture readable)` : '';
  const subtitle = `${total} occurrences in ${heading.lines} lines, ${groups.length} groups per ${formatStep(stepMs)}${coarsened}${layout.quiet.length ? '; quiet gaps compressed (≈)' : ''}`;
  const textWidth = Math.max(title.length, subtitle.length, footnoteChars) * CHAR_WIDTH;
  const width = Math.ceil(Math.max(layout.width + 2 * MARGIN + 20, textWidth + 2 * MARGIN, 600));

  const out = { push: (line: string) => emit(`${line}\n`) };
  if (options.declaration ?? true) out.push('<?xml version="1.0" encoding="UTF-8"?>');
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="${FONT_SIZE}" data-occurrences="${total}" data-step="${formatStep(stepMs)}" data-timeline-height="${Math.ceil(belowEnd)}">`,
  );
  out.push(`<title>${xmlText(title)}</title>`);
  out.push(`<rect class="background" x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${MARGIN}" y="${MARGIN + 8}" font-size="15" font-weight="bold" fill="#212121">${xmlText(title)}</text>`);
  out.push(`<text x="${MARGIN}" y="${MARGIN + 28}" fill="#424242">${xmlText(subtitle)}</text>`);
  out.push(legend(present, MARGIN, MARGIN + 50));
  out.push(`<g class="timeline" transform="translate(${MARGIN + 10} 0)">`);
  out.push(axis(layout, axisY));
  for (const p of layout.groups) {
    const labelY = labelTop(p.side, p.lane, axisY, layout.laneHeight);
    const leaderTo = p.side === 'above' ? labelY + layout.laneHeight - 10 : labelY;
    const from = p.side === 'above' ? axisY - p.radius : axisY + p.radius;
    out.push(
      `<line class="leader" data-group="${p.number}" x1="${fmt(p.x)}" y1="${fmt(from)}" x2="${fmt(p.x)}" y2="${fmt(leaderTo)}" stroke="#bdbdbd" stroke-width="1"/>`,
    );
  }
  for (const p of layout.groups) {
    const g = p.group;
    const colour = LEVEL_COLOURS[g.level];
    const labelY = labelTop(p.side, p.lane, axisY, layout.laneHeight);
    out.push(
      `<g class="group" id="group-${p.number}" data-group="${p.number}" data-level="${g.level}" data-delta="${g.delta}" data-start="${new Date(g.startMs).toISOString()}">`,
    );
    out.push(`<title>${xmlText(tooltip(p.number, g, stepMs))}</title>`);
    out.push(`<circle cx="${fmt(p.x)}" cy="${axisY}" r="${fmt(p.radius)}" fill="${colour}" stroke="#ffffff" stroke-width="1.5"/>`);
    out.push(
      `<rect x="${fmt(p.x - 4)}" y="${fmt(labelY)}" width="${fmt(p.labelWidth)}" height="${layout.laneHeight - 10}" rx="3" fill="#ffffff" stroke="${colour}" stroke-width="1"/>`,
    );
    out.push(`<rect x="${fmt(p.x - 4)}" y="${fmt(labelY)}" width="4" height="${layout.laneHeight - 10}" fill="${colour}"/>`);
    out.push(`<text x="${fmt(p.x + 4)}" y="${fmt(labelY + layout.lineHeight - 2)}" fill="#212121">${xmlText(p.label[0])}</text>`);
    out.push(`<text x="${fmt(p.x + 4)}" y="${fmt(labelY + 2 * layout.lineHeight - 2)}" fill="#616161">${xmlText(p.label[1])}</text>`);
    out.push('</g>');
  }
  out.push('</g>');
  out.push(`<g class="footnotes" transform="translate(${MARGIN} ${footTop})">`);
  out.push(`<text x="0" y="0" font-weight="bold" fill="#212121">Every occurrence, by group (the [n] of the labels)</text>`);
  let i = 0;
  for (const f of footnoteLines(grouping)) {
    const attrs = f.entry
      ? ` class="entry" data-group="${f.group}" data-level="${f.entry.level}" data-delta="${f.entry.delta}"`
      : f.group
        ? ` class="group-note" data-group="${f.group}"`
        : '';
    const fill = f.entry ? LEVEL_COLOURS[f.entry.level] : f.group ? '#212121' : '#616161';
    out.push(`<text${attrs} x="${fmt(f.indent * CHAR_WIDTH)}" y="${20 + i++ * 14}" fill="${fill}" xml:space="preserve">${xmlText(f.text)}</text>`);
  }
  out.push('</g>');
  out.push('</svg>');
}

/** Object, namespace, cluster and time range. */
export const pictureTitle = (heading: PictureHeading) =>
  `${heading.subject} · cluster ${heading.clusters.join(', ') || '(none)'} · ${isoSecond(heading.fromMs)} → ${isoSecond(heading.toMs)} UTC`;

const fmt = (n: number) => (Math.round(n * 10) / 10).toString();

function labelTop(side: 'above' | 'below', lane: number, axisY: number, laneHeight: number): number {
  return side === 'above' ? axisY - 24 - (lane + 1) * laneHeight + 10 : axisY + 24 + lane * laneHeight;
}

function legend(present: Level[], x: number, y: number): string {
  const parts = ['<g class="legend">'];
  let at = x;
  for (const level of present) {
    parts.push(`<circle class="legend-swatch" data-level="${level}" cx="${at + 6}" cy="${y - 4}" r="6" fill="${LEVEL_COLOURS[level]}"/>`);
    parts.push(`<text x="${at + 16}" y="${y}" fill="#424242">${level}</text>`);
    at += 16 + level.length * CHAR_WIDTH + 18;
  }
  parts.push(`<text x="${at}" y="${y}" fill="#757575">colour: highest level in the group; size: occurrences</text>`);
  parts.push('</g>');
  return parts.join('\n');
}

/** The axis, broken at each quiet gap with a ≈ mark and the gap's length. */
function axis(layout: Layout, y: number): string {
  const left = -10;
  const right = (layout.groups[layout.groups.length - 1]?.x ?? 0) + 10;
  const parts = ['<g class="axis">'];
  let from = left;
  for (const q of layout.quiet) {
    parts.push(`<line x1="${fmt(from)}" y1="${y}" x2="${fmt(q.x - 8)}" y2="${y}" stroke="#616161" stroke-width="2"/>`);
    parts.push(`<path class="quiet" d="M${fmt(q.x - 11)} ${y + 6} l6 -12 M${fmt(q.x + 5)} ${y + 6} l6 -12" stroke="#616161" stroke-width="1.5" fill="none"/>`);
    parts.push(
      `<text class="quiet" x="${fmt(q.x)}" y="${y + 18}" font-size="9" text-anchor="middle" fill="#757575">≈ ${xmlText(formatDuration(q.durationMs))} quiet</text>`,
    );
    from = q.x + 8;
  }
  parts.push(`<line x1="${fmt(from)}" y1="${y}" x2="${fmt(right)}" y2="${y}" stroke="#616161" stroke-width="2"/>`);
  parts.push('</g>');
  return parts.join('\n');
}

interface FootnoteLine {
  text: string;
  indent: number;
  group?: number;
  entry?: { level: Level; delta: number };
}

/** The footnotes: per group a heading, then each distinct event with its occurrences and full message. */
function* footnoteLines(grouping: Grouping): Generator<FootnoteLine> {
  for (const [i, g] of grouping.groups.entries()) {
    const number = i + 1;
    yield {
      text: `[${number}] ${isoSecond(g.startMs)} UTC +${formatStep(grouping.stepMs)}: ${g.delta} occurrences, highest level ${g.level}`,
      indent: 0,
      group: number,
    };
    for (const e of g.entries) {
      const when = e.firstMs === e.lastMs ? isoMilli(e.firstMs).slice(11) : `${isoMilli(e.firstMs).slice(11)}–${isoMilli(e.lastMs).slice(11)}`;
      yield { text: `×${e.delta} ${e.level} ${e.reason} ${e.kind}/${e.name} at ${when}`, indent: 4, group: number, entry: { level: e.level, delta: e.delta } };
      for (const chunk of wrap(e.message, FOOTNOTE_CHARS)) yield { text: chunk, indent: 4 + MESSAGE_INDENT };
    }
  }
}

/** A message in chunks of at most `width` characters, breaking at spaces where it can; never empty. */
export function wrap(text: string, width: number): string[] {
  const chars = Array.from(text.replace(/[\r\n\t]+/g, ' '));
  const out: string[] = [];
  while (chars.length > width) {
    let cut = chars.lastIndexOf(' ', width);
    if (cut < width / 2) cut = width;
    out.push(chars.splice(0, cut).join('').trimEnd());
    while (chars[0] === ' ') chars.shift();
  }
  out.push(chars.join(''));
  return out;
}

function tooltip(number: number, g: Grouping['groups'][number], stepMs: number): string {
  const head = `[${number}] ${isoSecond(g.startMs)} UTC +${formatStep(stepMs)}: ${g.delta} occurrences, highest level ${g.level}`;
  return [head, ...g.entries.map((e) => `×${e.delta} ${e.level} ${e.reason} ${e.kind}/${e.name}: ${e.message}`)].join('\n');
}
