/**
 * deploy/components/digest (the optional daily digest CronJob) and deploy/with-digest, read
 * straight from the files; test/integration/deploy.test.ts renders them with a real kubectl and
 * dry-runs them against a real API server under Pod Security.
 */

import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { runDigest } from '../../src/digest/command.js';
import { find, hardeningProblems, type K8sObject, pinProblem, podSpecs, readYaml, renderKustomization, repoPath } from './deploy-checks.js';

const NS = 'kube-eventline';
const SA = 'kube-eventline-digest';
const bundle = renderKustomization('deploy/bundle');
const withDigest = renderKustomization('deploy/with-digest');
const cronJob = find(withDigest.objects, 'CronJob', 'kube-eventline-digest');
const podSpec = (cronJob?.spec?.jobTemplate?.spec?.template?.spec ?? {}) as K8sObject;
const container = (podSpec.containers ?? [])[0] as K8sObject;

describe('deploy/components/digest (optional)', () => {
  it('is a kustomize Component; deploy/with-digest is the bundle plus it, and nothing of the bundle changes', () => {
    expect(readYaml(repoPath('deploy', 'components', 'digest', 'kustomization.yaml')).kind).toBe('Component');
    expect(readYaml(repoPath('deploy', 'with-digest', 'kustomization.yaml')).components).toEqual(['../components/digest']);
    expect(withDigest.problems, withDigest.problems.join('\n')).toEqual([]);
    const added = withDigest.objects.slice(bundle.objects.length).map(({ obj }) => `${obj.kind}/${obj.metadata.namespace}/${obj.metadata.name}`);
    expect(added.sort()).toEqual([`ConfigMap/${NS}/kube-eventline-digest-config`, `CronJob/${NS}/kube-eventline-digest`, `ServiceAccount/${NS}/${SA}`]);
    expect(withDigest.objects.slice(0, bundle.objects.length).map(({ obj }) => obj)).toEqual(bundle.objects.map(({ obj }) => obj));
    // The default bundle does not include it.
    expect(find(renderKustomization('deploy').objects, 'CronJob', 'kube-eventline-digest')).toBeUndefined();
  });

  it('a CronJob with schedule and timeZone, one run at a time, in the namespace that enforces `restricted`', () => {
    expect(cronJob?.metadata.namespace).toBe(NS);
    expect(cronJob!.spec.schedule).toMatch(/^(\S+ ){4}\S+$/);
    expect(cronJob!.spec.timeZone).toMatch(/^[A-Za-z_]+\/[A-Za-z_]+$/);
    expect(cronJob!.spec.concurrencyPolicy).toBe('Forbid');
    expect(podSpec.restartPolicy).toBe('Never');
    expect(cronJob!.spec.jobTemplate.spec.activeDeadlineSeconds).toBeGreaterThan(0);
  });

  it('the same hardening as the exporter: non-root, read-only root fs, no capabilities, seccomp, limits, pinned image', () => {
    const [pod] = podSpecs([{ obj: cronJob!, file: 'deploy/components/digest/cronjob.yaml' }]);
    expect(pod?.id).toBe('CronJob/kube-eventline-digest');
    expect(hardeningProblems(pod!.id, pod!.spec)).toEqual([]);
    expect(pinProblem(container.image)).toBeUndefined();
    const exporter = find(bundle.objects, 'Deployment', 'kube-eventline')!.spec.template.spec;
    expect(container.image).toBe(exporter.containers[0].image);
    expect(podSpec.securityContext).toEqual(exporter.securityContext);
  });

  it('no API server permissions: its own ServiceAccount, no token mounted, no Role or binding names it', () => {
    expect(podSpec.serviceAccountName).toBe(SA);
    expect(podSpec.automountServiceAccountToken).toBe(false);
    expect(find(withDigest.objects, 'ServiceAccount', SA)?.automountServiceAccountToken).toBe(false);
    for (const { obj } of withDigest.objects) {
      if (!obj.kind.endsWith('Binding')) continue;
      for (const subject of obj.subjects ?? []) expect(`${obj.kind}/${obj.metadata.name}: ${subject.name}`).not.toMatch(new RegExp(`: ${SA}$`));
    }
    expect(withDigest.objects.filter(({ obj }) => /Role/.test(obj.kind)).length).toBe(bundle.objects.filter(({ obj }) => /Role/.test(obj.kind)).length);
    // Nothing else mounted but the config.
    expect(podSpec.volumes.map((v: K8sObject) => Object.keys(v).filter((k) => k !== 'name'))).toEqual([['configMap']]);
  });

  it('Loki and webhook URL and credentials come from the Secret; the ConfigMap holds none', () => {
    const env = container.env as K8sObject[];
    const secretish = env.filter((e) => /URL|TOKEN|AUTH|SECRET|TENANT/.test(e.name));
    expect(secretish.map((e) => e.name).sort()).toEqual(
      ['DIGEST_WEBHOOK_SECRET', 'DIGEST_WEBHOOK_URL', 'LOKI_BASIC_AUTH', 'LOKI_BEARER_TOKEN', 'LOKI_TENANT', 'LOKI_URL'].sort(),
    );
    for (const e of secretish) {
      expect(e.value, e.name).toBeUndefined();
      expect(e.valueFrom?.secretKeyRef?.name, e.name).toBe('kube-eventline-digest');
    }
    const text = find(withDigest.objects, 'ConfigMap', 'kube-eventline-digest-config')!.data['config.yaml'] as string;
    const content = text
      .split('\n')
      .filter((l) => !l.trim().startsWith('#'))
      .join('\n');
    expect(content).not.toMatch(/https?:|password|token|apikey/i);
    expect(content).toContain('${DIGEST_WEBHOOK_URL}');
    const { config, warnings } = loadConfig(text, 'deploy/components/digest/config.yaml', { DIGEST_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/x' });
    expect(warnings).toEqual([]);
    const receiver = container.args[container.args.indexOf('--receiver') + 1];
    expect(config.receivers.find((r) => r.name === receiver)?.type).toBe('webhook');
  });

  it("the container's command line runs: config, receiver and flags accepted, it gets as far as asking Loki", async () => {
    // A closed port on 127.0.0.1 stands for the Secret's Loki URL.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(container.command).toEqual(['kube-eventline']);
    expect(container.args[0]).toBe('digest');
    const mount = container.volumeMounts.find((m: K8sObject) => m.name === 'config').mountPath as string;
    const env = Object.fromEntries((container.env as K8sObject[]).filter((e) => 'value' in e).map((e) => [e.name, e.value as string]));
    const args = (container.args.slice(1) as string[]).map((a) =>
      a.replace(/^\$\((\w+)\)$/, (_, name: string) => env[name] ?? a).replace(`${mount}/`, `${repoPath('deploy', 'components', 'digest')}/`),
    );
    let stderr = '';
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr += String(chunk);
      return true;
    });
    try {
      const code = await runDigest(args, { LOKI_URL: `http://127.0.0.1:${port}`, DIGEST_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/x' });
      expect(stderr).toBe(`kube-eventline digest: cannot reach Loki at http://127.0.0.1:${port}/loki/api/v1/query: ECONNREFUSED\n`);
      expect(code).toBe(1);
    } finally {
      spy.mockRestore();
    }
    expect(readFileSync(repoPath('deploy', 'components', 'digest', 'config.yaml'), 'utf8')).toContain('preset:');
  });
});

/** The Dockerfile's instructions, continuation lines joined, comments left out. */
const dockerfile = readFileSync(repoPath('Dockerfile'), 'utf8')
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));

/** .dockerignore's answer for a context path: the last pattern that names it or a parent wins (`!` re-includes). */
function dockerIgnored(path: string): boolean {
  const patterns = readFileSync(repoPath('.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  let ignored = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    const p = negated ? pattern.slice(1) : pattern;
    const re = new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}(/|$)`);
    if (re.test(path)) ignored = !negated;
  }
  return ignored;
}

describe('the image holds the digest', () => {
  it("the Dockerfile's build context builds it, and the runtime stage copies its file", () => {
    // The build stage, replayed: only what COPY takes from the context (and .dockerignore lets
    // through) goes into an empty directory; node_modules stands for `npm ci`.
    const work = mkdtempSync(join(tmpdir(), 'kube-eventline-image-'));
    const froms = dockerfile.flatMap((l, i) => (/^FROM /.test(l) ? [i] : []));
    expect(froms).toHaveLength(2);
    const buildStage = dockerfile.slice(froms[0], froms[1]);
    for (const line of buildStage.filter((l) => /^COPY (?!--from)/.test(l))) {
      const parts = line.split(/\s+/).slice(1);
      const target = parts.pop()!;
      for (const source of parts) {
        expect(dockerIgnored(source), `${source} is left out by .dockerignore`).toBe(false);
        const to = target.endsWith('/') ? join(work, target, source.split('/').pop()!) : join(work, target === './' ? source : target);
        mkdirSync(dirname(to), { recursive: true });
        cpSync(repoPath(source), to, { recursive: true });
      }
    }
    symlinkSync(repoPath('node_modules'), join(work, 'node_modules'), 'dir');
    const build = spawnSync('npm', ['run', 'build'], { cwd: work, encoding: 'utf8', timeout: 300_000 });
    expect(build.status, build.stderr + build.stdout).toBe(0);
    const runtimeCopies = dockerfile
      .filter((l) => l.startsWith('COPY --from=build '))
      .flatMap((l) => l.split(/\s+/).slice(2, -1))
      .map((p) => p.replace(/^\/src\//, ''));
    expect(runtimeCopies).toContain('dist/kube-eventline-digest.mjs');
    for (const file of runtimeCopies) expect(existsSync(join(work, file)), file).toBe(true);
  }, 300_000);
});
