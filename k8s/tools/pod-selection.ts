import type { V1Pod, V1Service } from '@kubernetes/client-node';

/** A Service's selector as a label selector string for listing its pods; a Service without one selects no pod. */
export function serviceLabelSelector(service: V1Service): string {
  const selector = service.spec?.selector ?? {};
  const entries = Object.entries(selector);
  if (entries.length === 0) {
    throw new Error(`service ${service.metadata?.name ?? '?'} has no selector, so no pod stands behind it`);
  }
  return entries.map(([k, v]) => `${k}=${v}`).join(',');
}

function matchesSelector(pod: V1Pod, selector: Record<string, string>): boolean {
  const labels = pod.metadata?.labels ?? {};
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function isReady(pod: V1Pod): boolean {
  return pod.status?.phase === 'Running'
    && !pod.metadata?.deletionTimestamp
    && (pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/**
 * Picks the pod `kubectl port-forward svc/NAME` would: one that the Service selects and that is Running, Ready and
 * not terminating. Sorted by name so the choice is stable between runs.
 */
export function pickServicePod(service: V1Service, pods: readonly V1Pod[]): V1Pod {
  const selector = service.spec?.selector ?? {};
  serviceLabelSelector(service);
  const candidates = pods
    .filter((p) => matchesSelector(p, selector) && isReady(p))
    .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  const pod = candidates[0];
  if (!pod) {
    throw new Error(`no ready pod behind service ${service.metadata?.name ?? '?'} (selector ${serviceLabelSelector(service)})`);
  }
  return pod;
}

/**
 * The container port a Service port reaches on the pod: a numeric targetPort as is, a named one looked up among the
 * pod's container ports, none at all meaning the Service port number (Kubernetes' default).
 */
export function resolveTargetPort(service: V1Service, pod: V1Pod, servicePortName?: string): number {
  const ports = service.spec?.ports ?? [];
  const port = servicePortName ? ports.find((p) => p.name === servicePortName) : ports[0];
  if (!port) throw new Error(`service ${service.metadata?.name ?? '?'} has no port ${servicePortName ?? ''}`.trim());
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  for (const c of pod.spec?.containers ?? []) {
    const found = (c.ports ?? []).find((p) => p.name === target);
    if (found) return found.containerPort;
  }
  throw new Error(`pod ${pod.metadata?.name ?? '?'} has no container port named "${target}"`);
}
