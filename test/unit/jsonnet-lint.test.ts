// The mixin's sources are formatted by jsonnetfmt and clean for jsonnet-lint (go-jsonnet's own
// tools, default options), as kubernetes-mixin's `make lint` checks its own.
// `npm run fmt:jsonnet` formats them.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { jsonnetFiles, lintFindings, unformatted } from '../../jsonnet/engine.mjs';
import { REPO_ROOT } from '../../jsonnet/render.mjs';

const TIMEOUT = 120_000;
const files = jsonnetFiles();
const scratch = mkdtempSync(join(tmpdir(), 'kube-eventline-jsonnet-lint-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('jsonnet/ sources', () => {
  it('finds every .jsonnet and .libsonnet file of the mixin', () => {
    const names = files.map((f) => relative(REPO_ROOT, f));
    expect(names).toEqual(
      expect.arrayContaining(['jsonnet/mixin.libsonnet', 'jsonnet/render.jsonnet', 'jsonnet/lib/panels.libsonnet', 'jsonnet/alerts/alerts.libsonnet']),
    );
    expect(names.length).toBeGreaterThanOrEqual(20);
  });

  it(
    'are formatted as jsonnetfmt formats them (fix: npm run fmt:jsonnet)',
    async () => {
      expect((await unformatted(files)).map((f) => relative(REPO_ROOT, f))).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    'give jsonnet-lint nothing to report',
    async () => {
      expect(await lintFindings(files)).toEqual([]);
    },
    TIMEOUT,
  );
});

describe('the checks themselves', () => {
  it(
    'report a file jsonnetfmt would change, and one with an unused local',
    async () => {
      const messy = join(scratch, 'messy.libsonnet');
      writeFileSync(messy, '{ a:   1, "b": \'x\' }\n');
      const unused = join(scratch, 'unused.libsonnet');
      writeFileSync(unused, 'local never = 1;\n{ a: 1 }\n');
      expect(await unformatted([messy, unused])).toEqual([messy]);
      const findings = await lintFindings([messy, unused]);
      expect(findings).toHaveLength(1);
      expect(findings[0]).toContain(`${unused}:1:7-`);
      expect(findings[0]).toContain('Unused variable: never');
    },
    TIMEOUT,
  );
});
