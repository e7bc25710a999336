import type { V1Deployment, V1StatefulSet } from '@kubernetes/client-node';

/** Whether a workload has finished rolling out, and if not, what it is waiting for (as `kubectl rollout status`). */
export interface Readiness {
  readonly ready: boolean;
  readonly message: string;
  /** True when waiting longer cannot help (the rollout exceeded its progress deadline). */
  readonly failed: boolean;
}

const waiting = (message: string): Readiness => ({ ready: false, failed: false, message });

/** Mirrors kubectl's DeploymentStatusViewer so "ready" here means what it means to `kubectl rollout status`. */
export function deploymentReadiness(d: V1Deployment): Readiness {
  const name = d.metadata?.name ?? '(unnamed)';
  const generation = d.metadata?.generation ?? 0;
  const status = d.status ?? {};
  if (generation > (status.observedGeneration ?? 0)) {
    return waiting(`deployment ${name}: waiting for the spec update to be observed`);
  }
  const progressing = status.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return { ready: false, failed: true, message: `deployment ${name} exceeded its progress deadline` };
  }
  const desired = d.spec?.replicas ?? 1;
  const updated = status.updatedReplicas ?? 0;
  const total = status.replicas ?? 0;
  const available = status.availableReplicas ?? 0;
  if (updated < desired) {
    return waiting(`deployment ${name}: ${updated} of ${desired} new replicas updated`);
  }
  if (total > updated) {
    return waiting(`deployment ${name}: ${total - updated} old replicas pending termination`);
  }
  if (available < updated) {
    return waiting(`deployment ${name}: ${available} of ${updated} updated replicas available`);
  }
  return { ready: true, failed: false, message: `deployment ${name}: ${available}/${desired} available` };
}

/** Mirrors kubectl's StatefulSetStatusViewer (RollingUpdate strategy, the one the chart and cdk8s app use). */
export function statefulSetReadiness(s: V1StatefulSet): Readiness {
  const name = s.metadata?.name ?? '(unnamed)';
  const status = s.status;
  const generation = s.metadata?.generation ?? 0;
  if (!status?.observedGeneration || generation > status.observedGeneration) {
    return waiting(`statefulset ${name}: waiting for the spec update to be observed`);
  }
  const desired = s.spec?.replicas ?? 1;
  const ready = status.readyReplicas ?? 0;
  if (ready < desired) {
    return waiting(`statefulset ${name}: ${ready} of ${desired} pods ready`);
  }
  const partition = s.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
  if (partition > 0) {
    const expected = desired - partition;
    if ((status.updatedReplicas ?? 0) < expected) {
      return waiting(`statefulset ${name}: ${status.updatedReplicas ?? 0} of ${expected} pods updated (partitioned roll out)`);
    }
    return { ready: true, failed: false, message: `statefulset ${name}: partitioned roll out complete` };
  }
  if (status.updateRevision !== status.currentRevision) {
    return waiting(`statefulset ${name}: rolling update to ${status.updateRevision ?? '?'} in progress`);
  }
  return { ready: true, failed: false, message: `statefulset ${name}: ${ready}/${desired} ready` };
}
