import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { inject } from 'vitest';
import { callControl } from './control.js';
import { writeKubeconfig } from './kubeconfig.js';
import { type LokiClient, lokiClient } from './loki.js';
import type { HarnessInfo } from './provided.js';
import './provided.js';

export type { HarnessInfo } from './provided.js';

/** The real servers, as seen from a test file of the `integration` project. */
export interface Harness {
  kube: {
    /** https://127.0.0.1:<port> */
    server: string;
    adminKubeconfigPath: string;
    /** A kubectl built by the harness from Go modules. */
    kubectl: string;
    /** Admin (system:masters) client config. */
    kubeConfig(): KubeConfig;
    /** Token (TokenRequest) for an existing ServiceAccount; returns a kubeconfig file path. */
    serviceAccountKubeconfig(namespace: string, name: string): Promise<string>;
    /** TCP proxy in front of the API server; cut() closes every live connection and says how many. */
    proxy: {
      server: string;
      kubeconfigPath: string;
      cut(): Promise<number>;
      /** Cuts every live connection and refuses new ones until release(): the client is away meanwhile. */
      hold(): Promise<number>;
      release(): Promise<void>;
    };
    /** etcd compaction at the current revision: watches from older resourceVersions get 410 Gone. */
    compact(): Promise<void>;
    /** Stops and starts the API server on the same address with the same etcd data. */
    restartApiServer(): Promise<void>;
  };
  loki: LokiClient;
  /** Raw connection facts, e.g. the log folder of this run. */
  info: HarnessInfo;
}

const TOKEN_SECONDS = 3600;
let tokenFiles = 0;

function providedInfo(): HarnessInfo {
  let info: HarnessInfo | undefined;
  try {
    info = inject('harness');
  } catch (err) {
    throw new Error(`harness(): vitest inject failed (${(err as Error).message}); harness() works only in tests of the "integration" project`);
  }
  if (!info?.kube || !info.loki || !info.control) {
    throw new Error(
      'harness(): the integration servers were not provided. Run the test through the "integration" vitest project ' +
        '(npx vitest run --project integration <file>), whose global setup test/harness/global-setup.ts starts them.',
    );
  }
  return info;
}

function loadKubeConfig(path: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

export async function harness(): Promise<Harness> {
  const info = providedInfo();
  const { kube, control } = info;
  return {
    info,
    kube: {
      server: kube.server,
      adminKubeconfigPath: kube.adminKubeconfigPath,
      kubectl: kube.kubectl,
      kubeConfig: () => loadKubeConfig(kube.adminKubeconfigPath),
      async serviceAccountKubeconfig(namespace, name) {
        const core = loadKubeConfig(kube.adminKubeconfigPath).makeApiClient(CoreV1Api);
        let token: string | undefined;
        try {
          const request = await core.createNamespacedServiceAccountToken({
            namespace,
            name,
            body: { spec: { audiences: [], expirationSeconds: TOKEN_SECONDS } },
          });
          token = request.status?.token;
        } catch (err) {
          throw new Error(`serviceAccountKubeconfig(${namespace}, ${name}): TokenRequest failed: ${(err as Error).message}`);
        }
        if (!token) throw new Error(`serviceAccountKubeconfig(${namespace}, ${name}): TokenRequest returned no token`);
        const dir = join(kube.workDir, 'kubeconfigs');
        mkdirSync(dir, { recursive: true });
        return writeKubeconfig({
          path: join(dir, `sa-${namespace}-${name}-${process.pid}-${++tokenFiles}.yaml`),
          server: kube.server,
          caFile: kube.caFile,
          user: `${namespace}-${name}`,
          credentials: { token },
          namespace,
        });
      },
      proxy: {
        server: kube.proxyServer,
        kubeconfigPath: kube.proxyKubeconfigPath,
        cut: async () => (await callControl<{ cut: number }>(control, '/kube/proxy/cut')).cut,
        hold: async () => (await callControl<{ cut: number }>(control, '/kube/proxy/hold')).cut,
        release: async () => {
          await callControl(control, '/kube/proxy/release');
        },
      },
      compact: async () => {
        await callControl(control, '/kube/compact');
      },
      restartApiServer: async () => {
        await callControl(control, '/kube/restart-apiserver');
      },
    },
    loki: lokiClient(info.loki),
  };
}
