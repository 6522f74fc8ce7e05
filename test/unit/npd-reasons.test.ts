// Keeps npd/ and the exporter's built-in grading in step, and the kustomize
// bundle complete: every reason an NPD monitor can put on an Event has a level in
// DEFAULT_REASON_LEVELS, and every config and script in npd/ is shipped.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_REASON_LEVELS } from '../../src/grade/default-levels.js';
import { levelRank } from '../../src/grade/levels.js';
import { emittedReasons, loadKustomization, loadMonitors, npdDir, repoRoot } from './npd-support.js';

const monitors = loadMonitors();

describe('NPD reasons', () => {
  const cases = monitors.flatMap((m) => emittedReasons(m).map((reason) => [m.file, reason, m] as const));

  it('covers the reasons the rest of the product expects', () => {
    const all = new Set(cases.map(([, r]) => r));
    for (const r of ['OOMKilling', 'TaskHung', 'KernelOops', 'FilesystemIsReadOnly', 'ConntrackFull', 'DNSResolutionFailed', 'ClockNotSynchronized']) {
      expect(all.has(r), r).toBe(true);
    }
  });

  it.each(cases)('%s: %s has a level in DEFAULT_REASON_LEVELS', (file, reason) => {
    expect(DEFAULT_REASON_LEVELS[reason], `add ${reason} (from npd/config/${file}) to src/grade/default-levels.ts`).toBeDefined();
  });

  it.each(cases)('%s: %s is graded as a problem or as a recovery, consistently', (_file, reason, m) => {
    const level = DEFAULT_REASON_LEVELS[reason];
    if (level === undefined) return; // reported by the test above
    const isRule = m.config.rules.some((r) => r.reason === reason);
    if (isRule) {
      // NPD reports every rule as a Warning Event: never grade it below warning.
      expect(levelRank(level)).toBeGreaterThanOrEqual(levelRank('warning'));
    } else {
      // The default reason of a custom-plugin condition: the check came back OK or Unknown.
      expect(levelRank(level)).toBeLessThanOrEqual(levelRank('normal'));
    }
  });
});

describe('npd/kustomization.yaml', () => {
  const k = loadKustomization();
  const generated = (k.configMapGenerator ?? []).flatMap((g) => g.files ?? []);

  it('generates a ConfigMap from every config and script file in npd/', () => {
    const onDisk = ['config', 'plugin'].flatMap((dir) => readdirSync(join(npdDir, dir)).map((f) => `${dir}/${f}`));
    expect(onDisk.length).toBeGreaterThan(0);
    expect([...generated].sort()).toEqual([...onDisk].sort());
  });

  it('lists only files that exist, each once', () => {
    for (const f of generated) expect(existsSync(join(npdDir, f)), f).toBe(true);
    expect(new Set(generated).size).toBe(generated.length);
    const keys = generated.map((f) => f.split('/').pop());
    expect(new Set(keys).size, 'ConfigMap keys are base names and must not collide').toBe(keys.length);
  });

  it('lists every manifest in npd/ as a resource', () => {
    const manifests = readdirSync(npdDir).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml');
    expect([...(k.resources ?? [])].sort()).toEqual(manifests.sort());
  });

  it('puts everything in kube-eventline-node, the Pod Security `privileged` namespace of the node agents', () => {
    expect(k.namespace).toBe('kube-eventline-node');
  });
});

describe('docs/npd.md', () => {
  const doc = readFileSync(join(repoRoot, 'docs', 'npd.md'), 'utf8');

  it.each(monitors.flatMap((m) => emittedReasons(m).map((r) => [r, m.file] as const)))('documents %s with its level', (reason) => {
    const row = doc.split('\n').find((l) => l.startsWith(`| ${reason} |`));
    expect(row, `add ${reason} to the reasons table in docs/npd.md`).toBeDefined();
    expect(row!.trim().endsWith(`| ${DEFAULT_REASON_LEVELS[reason]} |`), row).toBe(true);
  });

  it.each(monitors.map((m) => [m.file] as const))('describes %s', (file) => {
    expect(doc).toContain(`\`${file}\``);
  });
});
