import { expect } from 'chai';
import type { V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import { deploymentReadiness, statefulSetReadiness } from '../../../k8s/tools/readiness.js';

function deployment(spec: number, status: V1Deployment['status'], generation = 2): V1Deployment {
  return { metadata: { name: 'reas-api', generation }, spec: { replicas: spec, selector: {}, template: {} }, status };
}

describe('deployment readiness', () => {
  it('is ready when every desired replica is updated and available and no old one is left', () => {
    const r = deploymentReadiness(deployment(2, { observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2 }));
    expect(r).to.deep.include({ ready: true, failed: false });
  });

  it('waits while the controller has not observed the latest generation', () => {
    const r = deploymentReadiness(deployment(2, { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2 }));
    expect(r.ready).to.equal(false);
    expect(r.message).to.match(/spec update to be observed/);
  });

  it('waits for new replicas to be updated', () => {
    const r = deploymentReadiness(deployment(2, { observedGeneration: 2, replicas: 2, updatedReplicas: 1, availableReplicas: 2 }));
    expect(r).to.deep.include({ ready: false, message: 'deployment reas-api: 1 of 2 new replicas updated' });
  });

  it('waits for old replicas to terminate', () => {
    const r = deploymentReadiness(deployment(2, { observedGeneration: 2, replicas: 3, updatedReplicas: 2, availableReplicas: 2 }));
    expect(r.message).to.equal('deployment reas-api: 1 old replicas pending termination');
  });

  it('waits for updated replicas to become available', () => {
    const r = deploymentReadiness(deployment(2, { observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 0 }));
    expect(r.message).to.equal('deployment reas-api: 0 of 2 updated replicas available');
  });

  it('fails without waiting once the progress deadline is exceeded', () => {
    const r = deploymentReadiness(deployment(2, {
      observedGeneration: 2, replicas: 2, updatedReplicas: 1,
      conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }],
    }));
    expect(r).to.deep.include({ ready: false, failed: true });
  });
});

function statefulSet(spec: number, status: Partial<NonNullable<V1StatefulSet['status']>>, partition = 0): V1StatefulSet {
  return {
    metadata: { name: 'reas-redis', generation: 1 },
    spec: { replicas: spec, selector: {}, serviceName: 'reas-redis-headless', template: {}, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition } } },
    status: { replicas: spec, ...status },
  };
}

describe('statefulset readiness', () => {
  it('is ready when all pods are ready at the current revision', () => {
    const r = statefulSetReadiness(statefulSet(1, { observedGeneration: 1, readyReplicas: 1, currentRevision: 'a', updateRevision: 'a' }));
    expect(r.ready).to.equal(true);
  });

  it('waits before the controller reports any observed generation', () => {
    expect(statefulSetReadiness(statefulSet(1, { readyReplicas: 1 })).ready).to.equal(false);
  });

  it('waits for pods to become ready', () => {
    const r = statefulSetReadiness(statefulSet(1, { observedGeneration: 1, readyReplicas: 0, currentRevision: 'a', updateRevision: 'a' }));
    expect(r.message).to.equal('statefulset reas-redis: 0 of 1 pods ready');
  });

  it('waits while a rolling update moves pods to the new revision', () => {
    const r = statefulSetReadiness(statefulSet(1, { observedGeneration: 1, readyReplicas: 1, currentRevision: 'a', updateRevision: 'b' }));
    expect(r).to.deep.include({ ready: false, message: 'statefulset reas-redis: rolling update to b in progress' });
  });

  it('counts only the pods above the partition during a partitioned roll out', () => {
    const s = statefulSet(3, { observedGeneration: 1, readyReplicas: 3, updatedReplicas: 0, currentRevision: 'a', updateRevision: 'b' }, 2);
    expect(statefulSetReadiness(s).ready).to.equal(false);
    s.status!.updatedReplicas = 1;
    expect(statefulSetReadiness(s).ready).to.equal(true);
  });
});
