/**
 * Shared by test/unit/deploy*.test.ts, test/unit/fluent-bit*.test.ts and
 * test/integration/deploy.test.ts: reading the bundle's kustomizations without kubectl, and the
 * checks every rendered object must pass (hardening, RBAC, pinned images).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { parseAllDocuments, parse as parseYaml } from 'yaml';

export const REPO = resolve(import.meta.dirname, '..', '..');

export type K8sObject = Record<string, any>;

export interface SourcedObject {
  obj: K8sObject;
  /** repository-relative file the object came from (or the generator's kustomization) */
  file: string;
}

export interface Rendered {
  objects: SourcedObject[];
  /** missing files, load-restriction violations, unreadable kustomizations */
  problems: string[];
}

export function readYaml<T = K8sObject>(path: string): T {
  return parseYaml(readFileSync(path, 'utf8')) as T;
}

const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'PriorityClass',
  'StorageClass',
  'PersistentVolume',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
]);

function kustomizationFile(dir: string): string | undefined {
  for (const name of ['kustomization.yaml', 'kustomization.yml', 'Kustomization']) {
    if (existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * Reads a kustomization the way `kubectl kustomize` would for what this bundle uses: resources
 * (files and directories), components (directories), configMapGenerator (files, `key=path`, `options.labels`), namespace, and kustomize's
 * refusal to include a directory that contains the including kustomization. Generated names
 * carry no hash here. Files a generator names must exist and lie inside the kustomization's
 * directory (kustomize's default load restrictor), else a problem is reported.
 */
export function renderKustomization(dir: string, visited: string[] = []): Rendered {
  const root = resolve(REPO, dir);
  const problems: string[] = [];
  const objects: SourcedObject[] = [];
  const file = kustomizationFile(root);
  const rel = (p: string) => relative(REPO, p) || '.';
  if (!file) return { objects, problems: [`${rel(root)}: no kustomization.yaml`] };
  // kustomize refuses to enter a directory that contains a kustomization it is already inside
  // ("cycle detected: candidate root ... contains visited root ...").
  const cycle = visited.find((v) => v !== root && inside(root, v));
  if (cycle) return { objects, problems: [`${rel(root)} contains ${rel(cycle)}, which includes it: kustomize reports a cycle`] };
  const k = readYaml(file) ?? {};

  // Components (kind: Component) are directories read like resources, after them.
  for (const entry of [...((k.resources ?? []) as string[]), ...((k.components ?? []) as string[])]) {
    const target = resolve(root, entry);
    if (!existsSync(target)) {
      problems.push(`${rel(file)}: resource ${entry} does not exist`);
      continue;
    }
    if (statSync(target).isDirectory()) {
      const child = renderKustomization(target, [...visited, root]);
      objects.push(...child.objects);
      problems.push(...child.problems);
      continue;
    }
    if (!inside(root, target)) problems.push(`${rel(file)}: resource file ${entry} is outside ${rel(root)}`);
    for (const doc of parseAllDocuments(readFileSync(target, 'utf8'))) {
      if (doc.errors.length > 0) problems.push(`${rel(target)}: ${doc.errors[0]?.message}`);
      const obj = doc.toJS() as K8sObject | null;
      if (obj) objects.push({ obj, file: rel(target) });
    }
  }

  for (const gen of (k.configMapGenerator ?? []) as K8sObject[]) {
    const data: Record<string, string> = {};
    for (const spec of (gen.files ?? []) as string[]) {
      const [key, path] = spec.includes('=') ? (spec.split('=', 2) as [string, string]) : [spec.split('/').pop()!, spec];
      const target = resolve(root, path);
      if (!inside(root, target)) {
        problems.push(`${rel(file)}: configMapGenerator ${gen.name} file ${path} is outside ${rel(root)} (kustomize's load restrictor refuses it)`);
      }
      if (!existsSync(target)) {
        problems.push(`${rel(file)}: configMapGenerator ${gen.name} file ${path} is missing`);
        continue;
      }
      data[key] = readFileSync(target, 'utf8');
    }
    objects.push({
      obj: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: gen.name,
          ...(gen.namespace ? { namespace: gen.namespace } : {}),
          ...(gen.options?.labels ? { labels: { ...gen.options.labels } } : {}),
        },
        data,
      },
      file: rel(file),
    });
  }

  if (k.namespace) {
    for (const { obj } of objects) {
      if (!CLUSTER_SCOPED.has(obj.kind)) obj.metadata = { ...obj.metadata, namespace: k.namespace };
    }
  }
  return { objects, problems };
}

export function find(objects: SourcedObject[], kind: string, name: string): K8sObject | undefined {
  return objects.find(({ obj }) => obj.kind === kind && nameMatches(obj.metadata?.name, name))?.obj;
}

/** kubectl kustomize appends a content hash to generated ConfigMap names. */
export function nameMatches(actual: string | undefined, base: string): boolean {
  return actual === base || (actual !== undefined && new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-[a-z0-9]{10}$`).test(actual));
}

const WORKLOAD_KINDS = new Set(['Deployment', 'DaemonSet', 'StatefulSet', 'Job', 'ReplicaSet']);

export function podSpecs(objects: SourcedObject[]): Array<{ id: string; file: string; spec: K8sObject }> {
  const out: Array<{ id: string; file: string; spec: K8sObject }> = [];
  for (const { obj, file } of objects) {
    if (WORKLOAD_KINDS.has(obj.kind)) out.push({ id: `${obj.kind}/${obj.metadata?.name}`, file, spec: obj.spec?.template?.spec ?? {} });
    if (obj.kind === 'CronJob') out.push({ id: `CronJob/${obj.metadata?.name}`, file, spec: obj.spec?.jobTemplate?.spec?.template?.spec ?? {} });
    if (obj.kind === 'Pod') out.push({ id: `Pod/${obj.metadata?.name}`, file, spec: obj.spec ?? {} });
  }
  return out;
}

export interface HardeningOptions {
  /** pods allowed to run as uid 0 (still without capabilities) */
  rootAllowed?: (podId: string) => boolean;
  /** host paths a pod may mount: path -> may it write */
  hostPaths?: (podId: string) => Record<string, 'ro' | 'rw'>;
}

/** Fluent Bit is the one pod allowed uid 0 and host paths (justified in fluent-bit/daemonset.yaml). */
export const BUNDLE_HARDENING: HardeningOptions = {
  rootAllowed: (id) => id === 'DaemonSet/kube-eventline-fluent-bit',
  hostPaths: (id): Record<string, 'ro' | 'rw'> =>
    id === 'DaemonSet/kube-eventline-fluent-bit' ? { '/var/log/containers': 'ro', '/var/log/pods': 'ro', '/var/lib/kube-eventline/fluent-bit': 'rw' } : {},
};

/** Every container: no privilege escalation, read-only root fs, all capabilities dropped, seccomp, limits. */
export function hardeningProblems(id: string, spec: K8sObject, opts: HardeningOptions = {}): string[] {
  const problems: string[] = [];
  const pod = spec.securityContext ?? {};
  if (spec.hostNetwork || spec.hostPID || spec.hostIPC) problems.push(`${id}: uses host namespaces`);
  const allowedHostPaths = opts.hostPaths?.(id) ?? {};
  const hostVolumes = new Map<string, string>();
  for (const volume of spec.volumes ?? []) {
    if (!volume.hostPath) continue;
    hostVolumes.set(volume.name, volume.hostPath.path);
    if (!(volume.hostPath.path in allowedHostPaths)) problems.push(`${id}: hostPath ${volume.hostPath.path} is not allowed`);
  }
  const containers = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
  if (containers.length === 0) problems.push(`${id}: no containers`);
  for (const c of containers) {
    const at = `${id} container ${c.name}`;
    const sc = c.securityContext ?? {};
    if (sc.privileged === true) problems.push(`${at}: privileged`);
    if (sc.allowPrivilegeEscalation !== false) problems.push(`${at}: allowPrivilegeEscalation is not false`);
    if (sc.readOnlyRootFilesystem !== true) problems.push(`${at}: readOnlyRootFilesystem is not true`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) problems.push(`${at}: capabilities.drop lacks ALL`);
    if ((sc.capabilities?.add ?? []).length > 0) problems.push(`${at}: adds capabilities ${sc.capabilities.add}`);
    const seccomp = sc.seccompProfile?.type ?? pod.seccompProfile?.type;
    if (seccomp !== 'RuntimeDefault') problems.push(`${at}: seccompProfile is not RuntimeDefault`);
    const runAsNonRoot = sc.runAsNonRoot ?? pod.runAsNonRoot;
    const uid = sc.runAsUser ?? pod.runAsUser;
    if (opts.rootAllowed?.(id)) {
      if (uid !== 0) problems.push(`${at}: expected the documented uid 0, got ${uid}`);
    } else {
      if (runAsNonRoot !== true) problems.push(`${at}: runAsNonRoot is not true`);
      if (uid === 0) problems.push(`${at}: runs as uid 0`);
    }
    const res = c.resources ?? {};
    for (const key of ['cpu', 'memory']) {
      if (res.requests?.[key] === undefined) problems.push(`${at}: no ${key} request`);
    }
    if (res.limits?.memory === undefined) problems.push(`${at}: no memory limit`);
    for (const mount of c.volumeMounts ?? []) {
      const hostPath = hostVolumes.get(mount.name);
      if (hostPath === undefined) continue;
      const mode = allowedHostPaths[hostPath];
      if (mode === 'ro' && mount.readOnly !== true) problems.push(`${at}: hostPath ${hostPath} must be mounted readOnly`);
    }
  }
  return problems;
}

/** RBAC: never Secrets, never a wildcard, never escalate/bind/impersonate. */
export function rbacProblems(objects: SourcedObject[]): string[] {
  const problems: string[] = [];
  for (const { obj } of objects) {
    if (obj.kind !== 'Role' && obj.kind !== 'ClusterRole') continue;
    const id = `${obj.kind}/${obj.metadata?.name}`;
    if (obj.aggregationRule) problems.push(`${id}: aggregationRule`);
    for (const rule of obj.rules ?? []) {
      const fields = ['apiGroups', 'resources', 'verbs', 'resourceNames', 'nonResourceURLs'] as const;
      for (const field of fields) {
        for (const value of (rule[field] ?? []) as string[]) {
          if (value.includes('*')) problems.push(`${id}: wildcard ${field} ${JSON.stringify(value)}`);
        }
      }
      for (const resource of (rule.resources ?? []) as string[]) {
        if (resource === 'secrets' || resource.startsWith('secrets/')) problems.push(`${id}: grants ${rule.verbs} on secrets`);
      }
      for (const verb of (rule.verbs ?? []) as string[]) {
        if (['escalate', 'bind', 'impersonate'].includes(verb)) problems.push(`${id}: verb ${verb}`);
      }
    }
  }
  return problems;
}

/** Every image carries an explicit tag (or digest) that is not `latest`. */
export function imageProblem(image: string): string | undefined {
  if (image.includes('@sha256:')) return undefined;
  const lastSegment = image.split('/').pop() ?? image;
  const colon = lastSegment.lastIndexOf(':');
  if (colon < 0) return `${image}: no tag`;
  const tag = lastSegment.slice(colon + 1);
  if (tag === '' || tag === 'latest') return `${image}: tag ${JSON.stringify(tag)} is not a pinned version`;
  return undefined;
}

/**
 * Images a manifest may name by tag alone, each with the reason. Everything else must be pinned by
 * digest too. Digests come from published sources (a registry's promotion manifest, other projects'
 * pinned references): no registry is reachable from here to look one up, and an image whose digest
 * could not be verified stays tag-only rather than carry an invented one.
 */
export const UNPINNED_IMAGES: ReadonlyMap<string, string> = new Map([
  // The project's own image, built from the Dockerfile and not published yet: there is no digest.
  ['ghcr.io/kube-eventline/kube-eventline:0.1.0', 'the exporter image, built from this repository and not yet published'],
  // No published digest for this exact tag was found to check against; pin it when one is.
  ['cr.fluentbit.io/fluent/fluent-bit:4.2.2', 'no verified digest for the tag'],
  // The Dockerfile's build-arg default, a moving tag; `--build-arg NODE_IMAGE=node:20-alpine@sha256:…`
  // pins a build (docs/bundle.md).
  ['node:20-alpine', 'Dockerfile build-arg default, pinned per build with --build-arg'],
]);

/** `repo:tag@sha256:<64 hex>`: the readable tag and the content address both. */
export function digestProblem(image: string): string | undefined {
  const at = image.indexOf('@');
  if (at < 0) return `${image}: not pinned by digest (repo:tag@sha256:...)`;
  const tagProblem = imageProblem(image.slice(0, at));
  if (tagProblem) return `${image}: ${tagProblem.slice(tagProblem.indexOf(': ') + 2)} (keep the tag next to the digest)`;
  if (!/^sha256:[0-9a-f]{64}$/.test(image.slice(at + 1))) return `${image}: the digest is not sha256: and 64 hex digits`;
  return undefined;
}

/** Pinned by digest, or tag-only with a reason in UNPINNED_IMAGES. */
export function pinProblem(image: string): string | undefined {
  if (UNPINNED_IMAGES.has(image)) return imageProblem(image);
  return digestProblem(image);
}

export function images(objects: SourcedObject[]): Array<{ where: string; image: string }> {
  const out: Array<{ where: string; image: string }> = [];
  for (const { id, spec } of podSpecs(objects)) {
    for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) out.push({ where: `${id}/${c.name}`, image: c.image });
  }
  return out;
}

/** Shell-style glob (`*`, `?`) to an anchored RegExp, as Fluent Bit's tail `path` uses it. */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (const ch of glob) {
    if (ch === '*') source += '[^/]*';
    else if (ch === '?') source += '[^/]';
    else source += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

export const relPath = (p: string) => relative(REPO, p).split(sep).join('/');
export const repoPath = (...parts: string[]) => join(REPO, ...parts);
export const dirOf = dirname;
