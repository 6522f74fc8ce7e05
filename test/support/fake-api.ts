import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { simulatedKubeconfigYaml } from '../../src/demo/kubeconfig.js';
import { KubeHttp } from '../../src/watch/kube-http.js';

/** A client of the plain-HTTP API server at `url`: the demo's simulated one, or a test's fault server. */
export function kubeHttpAt(url: string, token = 'test-token'): KubeHttp {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(simulatedKubeconfigYaml(url, token));
  return new KubeHttp(kubeConfig);
}

/**
 * A plain-HTTP server on 127.0.0.1 that answers as `handle` says. For faults the real API server
 * (and the demo's simulated one) cannot be made to produce; each test says which fault it injects.
 */
export async function startFaultServer(handle: http.RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
