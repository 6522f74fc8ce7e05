import { readFileSync, writeFileSync } from 'node:fs';
import { stringify as stringifyYaml } from 'yaml';

/** Credentials for a kubeconfig: a client certificate or a bearer token. */
export type KubeCredentials = { clientCertFile: string; clientKeyFile: string } | { token: string };

const base64 = (file: string) => readFileSync(file).toString('base64');

/**
 * Writes a self-contained kubeconfig (certificates embedded, so the file can be
 * copied or mounted anywhere) and returns its path.
 */
export function writeKubeconfig(opts: {
  path: string;
  server: string;
  caFile: string;
  user: string;
  credentials: KubeCredentials;
  namespace?: string;
}): string {
  const user =
    'token' in opts.credentials
      ? { token: opts.credentials.token }
      : {
          'client-certificate-data': base64(opts.credentials.clientCertFile),
          'client-key-data': base64(opts.credentials.clientKeyFile),
        };
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'harness', cluster: { server: opts.server, 'certificate-authority-data': base64(opts.caFile) } }],
    users: [{ name: opts.user, user }],
    contexts: [
      {
        name: opts.user,
        context: { cluster: 'harness', user: opts.user, ...(opts.namespace ? { namespace: opts.namespace } : {}) },
      },
    ],
    'current-context': opts.user,
  };
  writeFileSync(opts.path, stringifyYaml(config), { mode: 0o600 });
  return opts.path;
}
