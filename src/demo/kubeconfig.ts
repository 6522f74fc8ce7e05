/** The kubeconfig's names, so a user reading it (or `kubectl config view`) sees it is the simulated cluster. */
export const SIMULATED_CONTEXT = 'kube-eventline-simulated';

/**
 * A kubeconfig that @kubernetes/client-node (and kubectl) accept for the plain-HTTP simulated
 * server: client-node refuses an http:// server unless TLS verification is marked as skipped.
 * Written as JSON, which is YAML too: the demo's code then needs no YAML library of its own.
 */
export function simulatedKubeconfigYaml(serverUrl: string, token: string): string {
  return JSON.stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: SIMULATED_CONTEXT, cluster: { server: serverUrl, 'insecure-skip-tls-verify': true } }],
      users: [{ name: `${SIMULATED_CONTEXT}-user`, user: { token } }],
      contexts: [
        {
          name: SIMULATED_CONTEXT,
          context: { cluster: SIMULATED_CONTEXT, user: `${SIMULATED_CONTEXT}-user`, namespace: 'default' },
        },
      ],
      'current-context': SIMULATED_CONTEXT,
      preferences: {},
    },
    null,
    2,
  );
}
