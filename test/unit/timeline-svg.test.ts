// `kube-eventline timeline`'s SVG: well-formed, every occurrence of the input in it, coloured by
// level, tenant text escaped, and a golden file for a fixed scenario
// (UPDATE_TIMELINE_GOLDEN=1 npx vitest run test/unit/timeline-svg.test.ts rewrites it).
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { repoPath } from '../support/real-events.js';
import { eventLinesOf, FIXTURE, FIXTURE_POD, timeline } from '../support/timeline.js';
import { byClass, parseXml, type XmlElement } from '../support/xml-tree.js';

const GOLDEN = repoPath('test', 'fixtures', 'timeline', 'crashloop-pod.svg');
/** The colours, stated here rather than imported: info grey, normal green, warning orange, error red, fatal dark red. */
const COLOURS: Record<string, string> = { info: '#9e9e9e', normal: '#2e7d32', warning: '#f57c00', error: '#d32f2f', fatal: '#7f0000' };
const RANK = ['info', 'normal', 'warning', 'error', 'fatal'];

const lines = eventLinesOf(FIXTURE);
const podLines = lines.filter((l) => l.involvedObject.kind === 'Pod' && l.involvedObject.name === FIXTURE_POD);
const sum = (ls: Array<Record<string, any>>) => ls.reduce((a, l) => a + Number(l.delta), 0);
const deltaOf = (els: XmlElement[]) => els.reduce((a, e) => a + Number(e.attrs['data-delta']), 0);

function perLevel(pairs: Array<[string, number]>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [level, n] of pairs) out[level] = (out[level] ?? 0) + n;
  return out;
}

describe('timeline SVG', () => {
  it('is well-formed XML holding every occurrence of the pod, in groups and again in the footnotes', async () => {
    const r = await timeline(['--file', FIXTURE, '--pod', FIXTURE_POD, '--namespace', 'shop']);
    expect(r.code, r.stderr).toBe(0);
    const els = parseXml(r.output);
    expect(els.find((e) => e.tag === 'svg')?.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
    expect(podLines.length).toBeGreaterThan(50);
    const groups = byClass(els, 'group');
    const entries = byClass(els, 'entry');
    expect(deltaOf(groups)).toBe(sum(podLines));
    expect(deltaOf(entries)).toBe(sum(podLines));
    // Per level too: an occurrence counted under the wrong level is not "held".
    expect(perLevel(entries.map((e) => [e.attrs['data-level']!, Number(e.attrs['data-delta'])]))).toEqual(perLevel(podLines.map((l) => [l.level, l.delta])));
    // Every message is there in full (the footnotes wrap long ones over several lines).
    const footnoteText = byClass(els, 'footnotes')[0]!
      .children.map((c) => c.text)
      .join(' ');
    for (const l of podLines)
      expect(footnoteText.replace(/\s+/g, ' ')).toContain(
        String(l.message)
          // biome-ignore lint/suspicious/noControlCharactersInRegex: the control character the SVG must have replaced
          .replace(/\u0007/g, '\ufffd')
          .replace(/\s+/g, ' '),
      );
    // The other pod of the Deployment is not in a pod's picture.
    expect(r.output).not.toContain('api-7d9c5b-m8kzt');
    expect(r.stderr).toContain('skipped 2 of 69 lines that are not event lines (first: ');
    expect(r.stderr).toMatch(/crashloop\.jsonl:\d+: not JSON\)/);
  });

  it('colours each group by its highest level, and the legend lists only the levels drawn', async () => {
    const r = await timeline(['--file', FIXTURE, '--workload', 'deployment/api']);
    const els = parseXml(r.output);
    const groups = byClass(els, 'group');
    const entries = byClass(els, 'entry');
    expect(groups.length).toBeGreaterThan(10);
    const seen = new Set<string>();
    for (const g of groups) {
      const own = entries.filter((e) => e.attrs['data-group'] === g.attrs['data-group']).map((e) => e.attrs['data-level']!);
      const highest = own.reduce((a, b) => (RANK.indexOf(b) > RANK.indexOf(a) ? b : a));
      expect(g.attrs['data-level']).toBe(highest);
      const circle = g.children.find((c) => c.tag === 'circle')!;
      expect(circle.attrs.fill, `group ${g.attrs['data-group']}`).toBe(COLOURS[highest]);
      seen.add(highest);
    }
    expect([...seen].sort()).toEqual(['error', 'info', 'normal', 'warning']);
    const legend = byClass(els, 'legend-swatch').map((s) => [s.attrs['data-level'], s.attrs.fill]);
    expect(legend).toEqual([
      ['info', COLOURS.info],
      ['normal', COLOURS.normal],
      ['warning', COLOURS.warning],
      ['error', COLOURS.error],
    ]);
    expect(r.output).not.toContain(COLOURS.fatal);
    // A workload's picture: its own Events, its ReplicaSet's and every pod's it owned.
    expect(deltaOf(groups)).toBe(sum(lines));
  });

  it('escapes what tenants write: markup in a message is text, a control character becomes U+FFFD', async () => {
    const r = await timeline(['--file', FIXTURE, '--pod', FIXTURE_POD]);
    const els = parseXml(r.output);
    expect(els.some((e) => e.tag === 'script')).toBe(false);
    expect(r.output).not.toContain('<script');
    expect(r.output).not.toContain('\u0007');
    const evicted = byClass(els, 'group').find((g) => g.children.find((c) => c.tag === 'title')?.text.includes('Evicted'))!;
    expect(evicted.children.find((c) => c.tag === 'title')!.text).toContain('memory. <script>alert("x")</script> & \'quoted\' \ufffd bell;');
  });

  it('compresses a quiet gap and marks it, and coarsens groups past 120', async () => {
    const r = await timeline(['--file', FIXTURE, '--pod', FIXTURE_POD]);
    expect(byClass(parseXml(r.output), 'quiet').some((e) => e.text === '≈ 4h 41m quiet')).toBe(true);

    // 3,000 lines one second apart: grouped per second that would be 3,000 groups.
    const base = podLines[0]!;
    const many = Array.from({ length: 3000 }, (_, i) =>
      JSON.stringify({ ...base, time: new Date(Date.parse('2026-11-22T00:00:00.5Z') + i * 1000).toISOString(), delta: 1 + (i % 4) }),
    );
    const file = repoPath('.cache', 'timeline-many.jsonl');
    writeFileSync(file, `${many.join('\n')}\n`);
    const coarse = await timeline(['--file', file, '--pod', FIXTURE_POD]);
    const els = parseXml(coarse.output);
    const groups = byClass(els, 'group');
    expect(groups.length).toBeLessThanOrEqual(120);
    expect(groups.length).toBeGreaterThan(40);
    expect(els.find((e) => e.tag === 'svg')!.attrs['data-step']).toBe('30s');
    expect(coarse.output).toContain('groups per 30s (coarsened from 1s');
    expect(deltaOf(groups)).toBe(many.reduce((a, _, i) => a + 1 + (i % 4), 0));
  });

  it('places labels so that none overlaps another', async () => {
    const base = podLines[0]!;
    // Dense and sparse stretches, long and short labels.
    const mixed = Array.from({ length: 400 }, (_, i) =>
      JSON.stringify({
        ...base,
        time: new Date(Date.parse('2026-11-22T00:00:00.5Z') + (i < 300 ? i * 1000 : 300_000 + i * 97_000)).toISOString(),
        reason: `Reason${i % 7}`,
        message: 'x'.repeat(i % 90),
      }),
    );
    const file = repoPath('.cache', 'timeline-labels.jsonl');
    writeFileSync(file, `${mixed.join('\n')}\n`);
    for (const args of [
      ['--file', file, '--pod', FIXTURE_POD],
      ['--file', FIXTURE, '--workload', 'deployment/api'],
    ]) {
      const boxes = byClass(parseXml((await timeline(args)).output), 'group').map((g) => {
        const r = g.children.find((c) => c.tag === 'rect')!.attrs;
        return { n: g.attrs['data-group'], x: Number(r.x), y: Number(r.y), w: Number(r.width), h: Number(r.height) };
      });
      expect(boxes.length).toBeGreaterThan(20);
      for (const a of boxes) {
        for (const b of boxes) {
          if (a === b) continue;
          const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
          expect(overlap, `labels of groups ${a.n} and ${b.n}`).toBe(false);
        }
      }
    }
  });

  it('matches the golden file for the fixed crash-loop scenario', async () => {
    const r = await timeline(['--file', FIXTURE, '--pod', FIXTURE_POD, '--namespace', 'shop']);
    if (process.env.UPDATE_TIMELINE_GOLDEN === '1') writeFileSync(GOLDEN, r.output);
    expect(r.output).toBe(readFileSync(GOLDEN, 'utf8'));
  });
});
