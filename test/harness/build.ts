import { join, resolve } from 'node:path';
import { buildGoBinary as buildCached } from '../../scripts/go-build.mjs';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
export const CACHE_ROOT = join(REPO_ROOT, '.cache', 'harness');

/** What each harness binary is and how long its first build takes, for the announcement. */
const ABOUT: Record<string, { what: string; expect: string }> = {
  'kube-harness': { what: 'kube-harness (kube-apiserver, etcd and kubectl)', expect: '30–50 minutes on 2 cores together with Loki (it compiles Kubernetes)' },
  loki: { what: 'Loki', expect: '30–50 minutes on 2 cores together with kube-harness' },
};

/**
 * Builds `pkg` of the Go module in `moduleDir` once and caches the binary under
 * .cache/harness/<name>-<hash>; a cache hit costs only the hash of the sources and prints
 * nothing. A first build says what it builds and reports progress every 30 s on stderr
 * (scripts/go-build.mjs). A failed build throws with Go's own output.
 */
export function buildGoBinary(moduleDir: string, pkg: string, name: string): Promise<string> {
  return buildCached({ moduleDir, pkg, name, cacheDir: CACHE_ROOT, ...ABOUT[name] });
}
