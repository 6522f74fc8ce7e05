// The mixin as a library in someone else's monitoring repository: jsonnet/ vendored the way
// jsonnet-bundler lays it out, the docs/dashboards.md example rendered with the same command the
// docs give, through the same engine (go-jsonnet), and every override seen in the output.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { runTool } from '../../jsonnet/engine.mjs';
import { evaluateMixin, REPO_ROOT } from '../../jsonnet/render.mjs';
import { type Dashboard, dashboardQueries, ruleQueries } from '../support/corpus-logql.js';

const VENDORED = 'github.com/kube-eventline/kube-eventline/jsonnet';
const docs = readFileSync(join(REPO_ROOT, 'docs/dashboards.md'), 'utf8');

/** The fenced block of `lang` in docs/dashboards.md that contains `marker`. */
function docBlock(lang: string, marker: string): string {
  const blocks = [...docs.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, 'g'))].map((m) => m[1]!);
  const found = blocks.filter((b) => b.includes(marker));
  if (found.length !== 1) throw new Error(`docs/dashboards.md: expected one \`\`\`${lang} block containing ${marker}, found ${found.length}`);
  return found[0]!;
}

type Rules = { groups: Array<{ name: string; rules: Array<{ alert: string; expr: string; for: string; annotations: Record<string, string> }> }> };

let work: string;
let out: Record<string, string>;
let defaults: Awaited<ReturnType<typeof evaluateMixin>>;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kube-eventline-mixin-consumer-'));
  // Only jsonnet/ is copied: an import reaching outside it would fail here, as it would for a user.
  cpSync(join(REPO_ROOT, 'jsonnet'), join(work, 'vendor', VENDORED), { recursive: true });
  writeFileSync(join(work, 'kube-eventline.jsonnet'), docBlock('jsonnet', `import '${VENDORED}/mixin.libsonnet'`));
  const command = docBlock('sh', '-m out kube-eventline.jsonnet').trim();
  const args = command.replace(/\s+#.*$/, '').split(/\s+/);
  expect(args[0]).toBe('jsonnet');
  mkdirSync(join(work, 'out'));
  // The engine resolves paths from its working directory: run it with absolute ones.
  const absolute = args.slice(1).map((a) => (a === 'vendor' || a === 'out' || a.endsWith('.jsonnet') ? join(work, a) : a));
  await runTool('jsonnet', absolute);
  out = Object.fromEntries(readdirSync(join(work, 'out')).map((f) => [f, readFileSync(join(work, 'out', f), 'utf8')]));
  defaults = await evaluateMixin();
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('jsonnet/jsonnetfile.json', () => {
  it('is a jsonnet-bundler v1 file with no dependencies: jsonnet/ alone is the library', () => {
    const file = JSON.parse(readFileSync(join(REPO_ROOT, 'jsonnet/jsonnetfile.json'), 'utf8')) as Record<string, unknown>;
    expect(file).toEqual({ version: 1, dependencies: [], legacyImports: false });
  });

  it('the jb entry in the docs names this repository and the jsonnet/ subdir', () => {
    const entry = JSON.parse(docBlock('json', '"subdir"')) as { source: { git: { remote: string; subdir: string } }; version: string };
    expect(entry.source.git.subdir).toBe('jsonnet');
    expect(`${entry.source.git.remote.replace(/^https:\/\//, '').replace(/\.git$/, '')}/${entry.source.git.subdir}`).toBe(VENDORED);
  });
});

describe('the docs/dashboards.md example, rendered from a vendored copy', () => {
  const dashboards = () =>
    Object.entries(out)
      .filter(([f]) => f.endsWith('.json'))
      .map(([f, text]) => [f, JSON.parse(text) as Dashboard] as const);
  const rules = () => YAML.parse(out['kube-eventline-alerts.yaml']!) as Rules;
  const rule = (r: Rules, alert: string) => r.groups.flatMap((g) => g.rules).find((x) => x.alert === alert)!;

  it('writes every dashboard and the rules file', () => {
    expect(Object.keys(out).sort()).toEqual([...Object.keys(defaults.dashboards), 'kube-eventline-alerts.yaml'].sort());
  });

  it('extraSelector narrows every dashboard query and every alert', () => {
    const queries = [...dashboards().flatMap(([f, d]) => dashboardQueries(f, d)), ...ruleQueries(rules())];
    expect(queries.length).toBeGreaterThan(50);
    for (const q of queries) expect(q.expr, `${q.source} ${q.title}`).toContain('job="kube-eventline", cluster=~"prod-.*"');
    // Not there by default: the override put it there.
    const defaultQueries = [...Object.entries(defaults.dashboards).flatMap(([f, d]) => dashboardQueries(f, d as Dashboard)), ...ruleQueries(defaults.rules)];
    expect(defaultQueries.filter((q) => q.expr.includes('cluster=~"prod-.*"'))).toEqual([]);
  });

  it('the alert overrides take effect and leave the other fields alone', () => {
    const r = rules();
    expect(rule(r, 'KubeEventlineCrashLoopStorm').annotations.description).toMatch(/^More than 20 /);
    expect(rule(defaults.rules, 'KubeEventlineCrashLoopStorm').annotations.description).toMatch(/^More than 10 /);
    expect(rule(r, 'KubeEventlineNodeNotReady').for).toBe('5m');
    expect(rule(defaults.rules, 'KubeEventlineNodeNotReady').for).not.toBe('5m');
    // `alertFor+:` kept the durations it did not name.
    expect(rule(r, 'KubeEventlineOOMKills').for).toBe(rule(defaults.rules, 'KubeEventlineOOMKills').for);
    expect(rule(r, 'KubeEventlineStreamSilent').expr).toContain('cluster="prod-eu"');
    expect(rule(r, 'KubeEventlineStreamSilent').expr).toContain('cluster="prod-us"');
    for (const x of r.groups.flatMap((g) => g.rules)) {
      expect(x.annotations.runbook_url).toBe(`https://wiki.example.com/kube-eventline/runbook#${x.alert.toLowerCase()}`);
    }
  });

  it('dashboards take the uid prefix', () => {
    for (const [f, d] of dashboards()) expect(d.uid, f).toMatch(/^prod-events-/);
  });
});
