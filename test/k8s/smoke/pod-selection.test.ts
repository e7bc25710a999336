import { expect } from 'chai';
import type { V1Pod, V1Service } from '@kubernetes/client-node';
import { pickServicePod, resolveTargetPort, serviceLabelSelector } from '../../../k8s/tools/pod-selection.js';

const selector = { 'app.kubernetes.io/name': 'api', 'app.kubernetes.io/instance': 'reas' };
const service: V1Service = {
  metadata: { name: 'reas-api' },
  spec: { selector, ports: [{ name: 'http', port: 5000, targetPort: 'http' }] },
};

function pod(name: string, opts: { labels?: Record<string, string>; ready?: boolean; phase?: string; deleting?: boolean } = {}): V1Pod {
  return {
    metadata: { name, labels: opts.labels ?? selector, ...(opts.deleting ? { deletionTimestamp: new Date() } : {}) },
    spec: { containers: [{ name: 'api', ports: [{ name: 'http', containerPort: 5000 }] }] },
    status: { phase: opts.phase ?? 'Running', conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }] },
  };
}

describe('service pod selection', () => {
  it('turns the service selector into a label selector string', () => {
    expect(serviceLabelSelector(service)).to.equal('app.kubernetes.io/name=api,app.kubernetes.io/instance=reas');
  });

  it('refuses a service without a selector', () => {
    expect(() => serviceLabelSelector({ metadata: { name: 'x' }, spec: {} })).to.throw(/has no selector/);
  });

  it('picks a running, ready pod the selector matches, the first by name', () => {
    const pods = [pod('reas-api-b'), pod('reas-api-a'), pod('other', { labels: { 'app.kubernetes.io/name': 'redis' } })];
    expect(pickServicePod(service, pods).metadata?.name).to.equal('reas-api-a');
  });

  it('skips pods that are not ready, not running or terminating', () => {
    const pods = [pod('a', { ready: false }), pod('b', { phase: 'Pending' }), pod('c', { deleting: true }), pod('d')];
    expect(pickServicePod(service, pods).metadata?.name).to.equal('d');
  });

  it('fails naming the service and selector when no pod is ready', () => {
    expect(() => pickServicePod(service, [pod('a', { ready: false })])).to.throw(/no ready pod behind service reas-api \(selector app.kubernetes.io\/name=api/);
  });

  it('resolves a named targetPort through the pod container ports', () => {
    expect(resolveTargetPort(service, pod('a'), 'http')).to.equal(5000);
  });

  it('uses a numeric targetPort as is and the service port when targetPort is unset', () => {
    expect(resolveTargetPort({ spec: { ports: [{ port: 80, targetPort: 8080 }] } }, pod('a'))).to.equal(8080);
    expect(resolveTargetPort({ spec: { ports: [{ port: 81 }] } }, pod('a'))).to.equal(81);
  });

  it('fails when the named port is on no container', () => {
    const svc: V1Service = { spec: { selector, ports: [{ port: 1, targetPort: 'metrics' }] } };
    expect(() => resolveTargetPort(svc, pod('p'))).to.throw(/no container port named "metrics"/);
  });
});
