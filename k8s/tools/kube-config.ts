import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

/** In-cluster credentials, as client-node looks for them. */
const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** Where a kubeconfig would come from; `exists` is injectable so the rule is testable without touching $HOME. */
export function findKubeconfigSource(
  env: NodeJS.ProcessEnv,
  home: string,
  exists: (path: string) => boolean = existsSync,
): { kind: 'file'; path: string } | { kind: 'in-cluster' } {
  const fromEnv = (env.KUBECONFIG ?? '').split(delimiter).filter(Boolean);
  if (fromEnv.length > 0) {
    const missing = fromEnv.filter((p) => !exists(p));
    if (missing.length === fromEnv.length) {
      throw new Error(`no cluster reachable: KUBECONFIG names ${missing.join(', ')}, which does not exist`);
    }
    return { kind: 'file', path: fromEnv.find((p) => exists(p)) as string };
  }
  const defaultPath = join(home, '.kube', 'config');
  if (exists(defaultPath)) return { kind: 'file', path: defaultPath };
  if (exists(SERVICE_ACCOUNT_TOKEN)) return { kind: 'in-cluster' };
  // client-node would fall back to http://localhost:8080 here and fail later with a confusing ECONNREFUSED.
  throw new Error(
    `no cluster reachable: no kubeconfig (KUBECONFIG is unset and ${defaultPath} does not exist). ` +
      'Start a cluster (`kind create cluster` or `minikube start` write one) or set KUBECONFIG.',
  );
}

/** Loads the current context the way kubectl does, failing with a message that says what is missing. */
export function loadKubeConfig(env: NodeJS.ProcessEnv = process.env): KubeConfig {
  findKubeconfigSource(env, homedir());
  const kc = new KubeConfig();
  kc.loadFromDefault();
  const context = kc.getCurrentContext();
  const cluster = kc.getCurrentCluster();
  if (!context || !cluster) {
    throw new Error('no cluster reachable: the kubeconfig has no current context (`kubectl config use-context NAME`)');
  }
  return kc;
}

function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Turns a failed first API call into a sentence naming the problem and the server it tried. */
export function describeClusterError(err: unknown, server: string): string {
  const code = errorCode(err);
  const hints: Record<string, string> = {
    ECONNREFUSED: 'connection refused: is the cluster running (`kind get clusters`, `minikube status`)?',
    ENOTFOUND: 'host not found: the kubeconfig names a server that does not resolve',
    EHOSTUNREACH: 'host unreachable',
    ETIMEDOUT: 'connection timed out',
    ECONNRESET: 'connection reset by the server',
    DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS: the server certificate is not trusted by the kubeconfig',
  };
  const status = (err as { code?: unknown }).code;
  if (typeof status === 'number') {
    if (status === 401 || status === 403) return `no access to ${server}: HTTP ${status} (check the kubeconfig user)`;
    return `API server ${server} answered HTTP ${status}`;
  }
  const why = (code && hints[code]) ?? (err instanceof Error ? err.message : String(err));
  return `no cluster reachable at ${server}: ${why}`;
}
