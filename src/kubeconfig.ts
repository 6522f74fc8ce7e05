/**
 * The kubeconfig the command connects with. A kubeconfig holds credentials (tokens, passwords,
 * client keys), so no error about one quotes its content: a YAML fault is told by file, line and
 * column, never with the lines around it.
 */
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';

/** The kubeconfig cannot be used: the message says what to fix, and quotes nothing from the file. */
export class KubeconfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KubeconfigError';
  }
}

interface YamlFault {
  name: string;
  reason?: unknown;
  mark?: { line?: unknown; column?: unknown };
}

// js-yaml's reasons are fixed phrases ("bad indentation of a mapping entry"); a few quote a tag or
// a key from the file, and those are left out.
const PLAIN_REASON = /^[a-z][a-z ,()-]*$/i;

function describeFault(source: string, error: unknown): string {
  const fault = error as YamlFault;
  if (fault?.name === 'YAMLException') {
    const line = typeof fault.mark?.line === 'number' ? fault.mark.line + 1 : undefined;
    const column = typeof fault.mark?.column === 'number' ? fault.mark.column + 1 : undefined;
    const reason = typeof fault.reason === 'string' && PLAIN_REASON.test(fault.reason) ? `: ${fault.reason}` : '';
    return `${source}${line === undefined ? '' : `:${line}:${column ?? 1}`}: not valid YAML${reason}`;
  }
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return `${source}: file not found`;
  if (code === 'EACCES') return `${source}: permission denied`;
  if (code === 'EISDIR') return `${source}: is a directory`;
  if (error instanceof TypeError) return `${source}: not a kubeconfig (empty, or not a YAML mapping)`;
  // client-node's own checks name the entry (`clusters[0].cluster.server is missing`), not its value.
  return `${source}: ${(error as Error)?.message ?? String(error)}`;
}

/** `--kubeconfig FILE`, else `$KUBECONFIG`, else in-cluster or ~/.kube/config, as client-node finds them. */
export function loadKubeConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): KubeConfig {
  const source = file ?? (env.KUBECONFIG ? env.KUBECONFIG : 'the default kubeconfig');
  const kubeConfig = new KubeConfig();
  try {
    if (file) kubeConfig.loadFromFile(file);
    else kubeConfig.loadFromDefault();
  } catch (error) {
    throw new KubeconfigError(`cannot load the kubeconfig ${describeFault(source, error)}`);
  }
  const context = kubeConfig.getCurrentContext();
  if (!kubeConfig.getCurrentCluster()) {
    const why = !context
      ? 'it sets no current-context'
      : kubeConfig.getContextObject(context)
        ? `the cluster of its current-context "${context}" is not defined`
        : `its current-context "${context}" is not defined`;
    throw new KubeconfigError(`cannot use the kubeconfig ${source}: no current cluster (${why})`);
  }
  return kubeConfig;
}
