// `kube-eventline timeline --loki` against the real Loki on a seeded corpus: the same picture,
// byte for byte, as `--file` on the same lines with the same --from/--to, also when the lines
// come in many query_range pages.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EventLine } from '../../src/line/event-line.js';
import { type Harness, harness } from '../harness/index.js';
import { type Corpus, makeCorpus, pushAndAwaitCorpus } from '../support/corpus.js';
import { eventLinesOf, FIXTURE, timeline } from '../support/timeline.js';
import { byClass, parseXml } from '../support/xml-tree.js';

const HOURS = 26;
let h: Harness;
let corpus: Corpus;
let file: string;
let range: string[];
let fixture: { cluster: string; file: string; lines: EventLine[] };

const occurrences = (svg: string) => byClass(parseXml(svg), 'group').reduce((a, g) => a + Number(g.attrs['data-delta']), 0);
const sum = (ls: EventLine[]) => ls.reduce((a, l) => a + l.delta, 0);

beforeAll(async () => {
  h = await harness();
  const end = Math.floor(Date.now() / 60_000) * 60_000;
  corpus = makeCorpus({ cluster: `timeline-${randomBytes(4).toString('hex')}`, seed: 23, end: new Date(end), hours: HOURS });
  const dir = mkdtempSync(join(tmpdir(), 'timeline-loki-'));
  file = join(dir, 'corpus.jsonl');
  writeFileSync(file, `${corpus.lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  range = ['--cluster', corpus.cluster, '--from', corpus.start.toISOString(), '--to', corpus.end.toISOString()];
  await pushAndAwaitCorpus(h.loki, corpus.lines, corpus.cluster, end, HOURS);

  // The crash-loop fixture too (hostile message, 40 lines in one second), under a cluster of its own.
  const cluster = `timeline-fixture-${randomBytes(4).toString('hex')}`;
  const lines = eventLinesOf(FIXTURE).map((l) => ({ ...l, clusterName: cluster }) as EventLine);
  fixture = { cluster, file: join(dir, 'fixture.jsonl'), lines };
  writeFileSync(fixture.file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  const last = Math.max(...lines.map((l) => Date.parse(l.time)));
  await pushAndAwaitCorpus(h.loki, lines, cluster, last + 60_000, 24);
});

describe('timeline --loki', () => {
  const cases: Array<[string, () => string[], () => EventLine[]]> = [
    [
      'a pod',
      () => ['--pod', corpus.forty.name, '--namespace', corpus.forty.namespace],
      () => corpus.lines.filter((l) => l.involvedObject.kind === 'Pod' && l.involvedObject.name === corpus.forty.name),
    ],
    [
      'a workload and what it owned',
      () => ['--workload', 'deployment/api', '--namespace', 'shop'],
      () =>
        corpus.lines.filter(
          (l) =>
            l.namespace === 'shop' &&
            (l.involvedObject.workload?.name === 'api' || (l.involvedObject.kind === 'Deployment' && l.involvedObject.name === 'api')),
        ),
    ],
    [
      'a node, filtered by level',
      () => ['--kind', 'node', '--name', 'node-1', '--levels', 'error,fatal'],
      () => corpus.lines.filter((l) => l.involvedObject.kind === 'Node' && l.involvedObject.name === 'node-1' && (l.level === 'error' || l.level === 'fatal')),
    ],
  ];

  it.each(cases)('draws %s as --file does, byte for byte', async (_, subject, expected) => {
    const fromFile = await timeline(['--file', file, ...subject(), ...range]);
    const fromLoki = await timeline(['--loki', h.loki.url, ...subject(), ...range]);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(fromLoki.code, fromLoki.stderr).toBe(0);
    expect(fromLoki.stderr.replace(/^.*?wrote \S+/, '')).toBe(fromFile.stderr.replace(/^.*?wrote \S+/, '')); // the same counts
    expect(sum(expected())).toBeGreaterThan(0);
    expect(occurrences(fromLoki.output)).toBe(sum(expected()));
    expect(fromLoki.output).toBe(fromFile.output);
  });

  it('reads every page when the lines need many query_range calls', async () => {
    const [, subject, expected] = cases[1]!;
    expect(expected().length).toBeGreaterThan(5 * 5); // six pages or more
    const fromFile = await timeline(['--file', file, ...subject(), ...range]);
    const paged = await timeline(['--loki', h.loki.url, '--limit', '5', ...subject(), ...range]);
    expect(paged.code, paged.stderr).toBe(0);
    expect(paged.output).toBe(fromFile.output);
  });

  it('draws the crash-loop fixture as --file does, as SVG and as HTML', async () => {
    const times = fixture.lines.map((l) => Date.parse(l.time));
    const window = [
      '--cluster',
      fixture.cluster,
      '--from',
      new Date(Math.min(...times) - 1000).toISOString(),
      '--to',
      new Date(Math.max(...times) + 1000).toISOString(),
    ];
    for (const ext of ['svg', 'html'] as const) {
      const fromFile = await timeline(['--file', fixture.file, '--workload', 'Deployment/api', ...window], { ext });
      const fromLoki = await timeline(['--loki', h.loki.url, '--limit', '10', '--workload', 'Deployment/api', ...window], { ext });
      expect(fromLoki.code, fromLoki.stderr).toBe(0);
      expect(fromLoki.output).toBe(fromFile.output);
    }
    const svg = (await timeline(['--loki', h.loki.url, '--workload', 'Deployment/api', ...window])).output;
    expect(occurrences(svg)).toBe(sum(fixture.lines));
  });

  it('says plainly when Loki holds nothing for the selection, exit 1', async () => {
    const r = await timeline(['--loki', h.loki.url, '--pod', 'no-such-pod', '--namespace', 'shop', ...range]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `kube-eventline timeline: nothing to draw: none of the 0 lines read from Loki at ${h.loki.url}/ is about Pod shop/no-such-pod (cluster ${corpus.cluster}) between ${corpus.start.toISOString()} and ${corpus.end.toISOString()}\n`,
    );
  });
});
