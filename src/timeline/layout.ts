import { type Group, reasonCounts } from './group.js';

/** Monospace text, so that a label's width is known without a font engine. */
export const FONT_SIZE = 11;
export const CHAR_WIDTH = 6.7;
const LABEL_CHARS = 50;
const LINE_HEIGHT = 14;
const LANE_HEIGHT = 2 * LINE_HEIGHT + 10;
const LABEL_GAP = 10;
const MIN_TARGET_WIDTH = 1100;
const QUIET_WIDTH = 70;
/** A gap is quiet (drawn compressed and marked) from this many steps and this share of the span. */
const QUIET_STEPS = 5;
const QUIET_SHARE = 0.05;

export interface PlacedGroup {
  group: Group;
  /** 1-based, the footnote number. */
  number: number;
  x: number;
  radius: number;
  side: 'above' | 'below';
  lane: number;
  label: [string, string];
  labelWidth: number;
}

export interface QuietGap {
  /** Axis x of the break mark. */
  x: number;
  durationMs: number;
}

export interface Layout {
  groups: PlacedGroup[];
  quiet: QuietGap[];
  /** Axis extent, relative to the picture's left margin. */
  width: number;
  lanesAbove: number;
  lanesBelow: number;
  laneHeight: number;
  lineHeight: number;
}

/** Circle area grows with Σdelta, slowly enough that 10,000 occurrences still fit. */
export const radiusFor = (delta: number) => Math.min(16, 4 + 2.2 * Math.log2(delta));

/**
 * Places groups along a horizontal axis: proportional to time, except that groups keep their
 * circles apart and quiet gaps take a fixed width. Labels go on alternating sides, each into the
 * lane nearest the axis where it overlaps no other label, so labels never collide.
 */
export function layoutGroups(groups: Group[], stepMs: number, timeLabel: (group: Group, previous: Group | undefined) => string): Layout {
  const spanMs = groups.length ? groups[groups.length - 1]!.startMs - groups[0]!.startMs : 0;
  const quietFromMs = Math.max(QUIET_STEPS * stepMs, QUIET_SHARE * spanMs);
  const gaps = groups.slice(1).map((g, i) => g.startMs - groups[i]!.startMs);
  const isQuiet = (gap: number) => gap >= quietFromMs && gap > stepMs;
  const activeMs = gaps.filter((g) => !isQuiet(g)).reduce((a, g) => a + g, 0);
  const targetWidth = Math.max(MIN_TARGET_WIDTH, groups.length * 24);
  const pxPerMs = activeMs > 0 ? targetWidth / activeMs : 0;

  const placed: PlacedGroup[] = [];
  const quiet: QuietGap[] = [];
  const laneEnds = { above: [] as number[], below: [] as number[] };
  let x = 0;
  groups.forEach((group, i) => {
    const radius = radiusFor(group.delta);
    if (i > 0) {
      const gap = gaps[i - 1]!;
      const apart = placed[i - 1]!.radius + radius + 10;
      if (isQuiet(gap)) {
        const advance = Math.max(QUIET_WIDTH, apart + 30);
        quiet.push({ x: x + advance / 2, durationMs: gap });
        x += advance;
      } else {
        x += Math.max(apart, gap * pxPerMs);
      }
    }
    const label = labelOf(group, i + 1, timeLabel(group, groups[i - 1]));
    const labelWidth = Math.max(label[0].length, label[1].length) * CHAR_WIDTH + 8;
    const side = i % 2 === 0 ? 'above' : 'below';
    const ends = laneEnds[side];
    let lane = ends.findIndex((end) => end + LABEL_GAP <= x - 4);
    if (lane === -1) lane = ends.length;
    ends[lane] = x - 4 + labelWidth;
    placed.push({ group, number: i + 1, x, radius, side, lane, label, labelWidth });
  });
  const right = Math.max(x, ...placed.map((p) => p.x - 4 + p.labelWidth));
  return {
    groups: placed,
    quiet,
    width: right,
    lanesAbove: laneEnds.above.length,
    lanesBelow: laneEnds.below.length,
    laneHeight: LANE_HEIGHT,
    lineHeight: LINE_HEIGHT,
  };
}

/** Two lines: time, reasons with counts and the footnote number; then the message or a count. */
function labelOf(group: Group, number: number, time: string): [string, string] {
  const reasons = reasonCounts(group);
  const shown = reasons
    .slice(0, 2)
    .map(([reason, n]) => `${reason} ×${n}`)
    .join(', ');
  const more = reasons.length > 2 ? ` +${reasons.length - 2} more` : '';
  const ref = ` [${number}]`;
  const first = `${clip(`${time} ${shown}${more}`, LABEL_CHARS - ref.length)}${ref}`;
  const second = group.entries.length === 1 ? group.entries[0]!.message : `${group.delta} occurrences, ${group.entries.length} distinct events`;
  return [first, clip(second)];
}

export const clip = (text: string, max = LABEL_CHARS) => {
  const flat = text.replace(/\s+/g, ' ');
  const chars = Array.from(flat);
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : flat;
};
