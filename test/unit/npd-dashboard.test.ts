// Keeps npd/ and the node problems dashboard in step: every problem a monitor can report
// (a reason graded warning or worse) is charted on dashboards/node-problems.json.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_REASON_LEVELS } from '../../src/grade/default-levels.js';
import { levelRank } from '../../src/grade/levels.js';
import { emittedReasons, loadMonitors, repoRoot } from './npd-support.js';

interface Panel {
  title: string;
  targets?: Array<{ expr: string }>;
  panels?: Panel[];
}

const dashboard = JSON.parse(readFileSync(join(repoRoot, 'dashboards', 'node-problems.json'), 'utf8')) as { panels: Panel[] };
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const problemsByNode = panels.find((p) => p.title === 'Node problems by node');

const problems = [
  ...new Set(loadMonitors().flatMap((m) => emittedReasons(m).filter((r) => levelRank(DEFAULT_REASON_LEVELS[r] ?? 'warning') >= levelRank('warning')))),
].sort();

describe('node problems dashboard and npd/', () => {
  it('has the per-node problems panel', () => {
    expect(problemsByNode?.targets?.[0]?.expr).toBeTruthy();
  });

  it.each(problems)('charts %s', (reason) => {
    // The reasons sit in a `reason=~"A|B|…"` structured-metadata filter.
    const filter = /reason=~"([^"]+)"/.exec(problemsByNode!.targets![0]!.expr)?.[1] ?? '';
    expect(filter.split('|'), `add ${reason} to nodeProblemReasons in jsonnet/config.libsonnet and npm run build:dashboards`).toContain(reason);
  });
});
