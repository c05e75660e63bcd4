/** How Hoist reaches a cluster, as a `kubernetes` target of hoist.yaml says. */
import type { KubeConfig } from '@kubernetes/client-node';

/** Where the cluster is: a ready KubeConfig, a kubeconfig file (and context), or in-cluster. */
export interface KubeConnection {
  kubeConfig?: KubeConfig;
  /** A kubeconfig path (or several joined by the path delimiter, as in KUBECONFIG). Default: client-node's own lookup. */
  kubeconfigPath?: string;
  /** The kubeconfig context to use; default the file's current-context. */
  context?: string;
  /** Use the pod's service account (when Hoist itself runs in the cluster). */
  inCluster?: boolean;
}

/**
 * How a `kubernetes` target of hoist.yaml reaches its cluster, given the KUBECONFIG path
 * (null: unset), and how to name that in a message (`KUBECONFIG /path with context "prod"`).
 */
export function targetConnection(
  target: { context?: string | undefined; inCluster?: boolean | undefined },
  kubeconfigPath: string | null,
): { connection: KubeConnection; where: string } {
  if (target.inCluster) return { connection: { inCluster: true }, where: 'the in-cluster service account' };
  const file = kubeconfigPath === null ? 'the default kubeconfig (set KUBECONFIG)' : `KUBECONFIG ${kubeconfigPath}`;
  return {
    connection: { ...(kubeconfigPath === null ? {} : { kubeconfigPath }), ...(target.context ? { context: target.context } : {}) },
    where: target.context ? `${file} with context "${target.context}"` : file,
  };
}
