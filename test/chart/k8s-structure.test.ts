import { expect } from 'chai';
import type { K8sObject } from '../../hack/lib/helm.js';
import {
  checkNames,
  checkNetworkPolicies,
  checkPortReferences,
  checkRestrictedPodSecurity,
  checkSelectors,
  checkUrlTargetsService,
  networkPolicyAdmits,
  podTemplates,
  selectorMatches,
} from '../helpers/k8s-structure.js';
import { CHART_CASES, renderCase } from './chart-cases.js';

/* Each check runs on the chart's default render (clean, asserted in chart-render.test.ts) with one deliberate breakage. */

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function edit(objects: readonly K8sObject[], kind: string, name: string, change: (object: Any) => void): K8sObject[] {
  const copy = structuredClone(objects) as K8sObject[];
  const target = copy.find((object) => object.kind === kind && object.metadata.name === name);
  if (target === undefined) throw new Error(`no ${kind}/${name}`);
  change(target as Any);
  return copy;
}

const apiContainer = (deployment: Any): Any => deployment.spec.template.spec.containers[0];
const redisContainer = (statefulSet: Any): Any => statefulSet.spec.template.spec.containers[0];

describe('k8s-structure checks (test/helpers/k8s-structure.ts)', function () {
  this.timeout(30_000);
  let objects: K8sObject[];
  before(async () => {
    objects = await renderCase(CHART_CASES[0] as (typeof CHART_CASES)[number]);
  });

  describe('selectorMatches', () => {
    it('follows matchLabels and every matchExpressions operator', () => {
      const labels = { a: '1', b: '2' };
      expect(selectorMatches({ matchLabels: { a: '1' } }, labels)).to.equal(true);
      expect(selectorMatches({ matchLabels: { a: '2' } }, labels)).to.equal(false);
      expect(selectorMatches({ matchExpressions: [{ key: 'a', operator: 'In', values: ['1', '3'] }] }, labels)).to.equal(true);
      expect(selectorMatches({ matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['1'] }] }, labels)).to.equal(false);
      expect(selectorMatches({ matchExpressions: [{ key: 'c', operator: 'Exists' }] }, labels)).to.equal(false);
      expect(selectorMatches({ matchExpressions: [{ key: 'c', operator: 'DoesNotExist' }] }, labels)).to.equal(true);
    });
  });

  describe('checkSelectors', () => {
    it('reports a Service whose selector matches no pod template', () => {
      const broken = edit(objects, 'Service', 'reas-redis', (service) => {
        service.spec.selector['app.kubernetes.io/name'] = 'redis-typo';
      });
      expect(checkSelectors(broken)).to.deep.equal(['Service/reas-redis: selector {"app.kubernetes.io/name":"redis-typo","app.kubernetes.io/instance":"reas"} matches no pod template']);
    });

    it('reports a workload whose selector does not match its own template', () => {
      const broken = edit(objects, 'Deployment', 'reas-api', (deployment) => {
        deployment.spec.template.metadata.labels['app.kubernetes.io/instance'] = 'other';
      });
      expect(checkSelectors(broken)).to.include('Deployment/reas-api: spec.selector does not match its own pod template');
    });
  });

  describe('checkPortReferences', () => {
    it('reports a probe that names an undeclared port', () => {
      const broken = edit(objects, 'Deployment', 'reas-api', (deployment) => {
        apiContainer(deployment).readinessProbe.httpGet.port = 'htp';
      });
      expect(checkPortReferences(broken)).to.deep.equal(['Deployment/reas-api container api: readinessProbe port "htp" is not a declared container port']);
    });

    it('reports a Service targetPort that no selected pod declares', () => {
      const broken = edit(objects, 'StatefulSet', 'reas-redis', (sts) => {
        redisContainer(sts).ports[0].name = 'redis-main';
        redisContainer(sts).readinessProbe = undefined;
      });
      const issues = checkPortReferences(broken);
      expect(issues).to.include('Service/reas-redis: targetPort "redis" is not a container port of StatefulSet/reas-redis');
      expect(issues).to.include('Service/reas-redis-headless: targetPort "redis" is not a container port of StatefulSet/reas-redis');
      expect(issues).to.include('NetworkPolicy/reas-redis: port "redis" is not a container port of StatefulSet/reas-redis');
    });

    it('reports numeric probe and target ports when names are required', () => {
      const broken = edit(objects, 'Deployment', 'reas-api', (deployment) => {
        apiContainer(deployment).livenessProbe.httpGet.port = 5000;
      });
      expect(checkPortReferences(broken)).to.deep.equal([]);
      expect(checkPortReferences(broken, { requireNamedPorts: true })).to.deep.equal(['Deployment/reas-api container api: livenessProbe uses port number 5000, not a name']);
    });

    it("reports an Ingress backend port the Service lacks and a ServiceMonitor port the Service lacks", () => {
      const ingress = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'x' }, spec: { rules: [{ http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'reas-api', port: { name: 'web' } } } }] } }] } };
      const monitor = { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name: 'x' }, spec: { selector: { matchLabels: { 'app.kubernetes.io/name': 'api' } }, endpoints: [{ port: 'metrics' }] } };
      expect(checkPortReferences([...objects, ingress, monitor])).to.deep.equal([
        'Ingress/x: backend port {"name":"web"} is not a port of Service/reas-api',
        'ServiceMonitor/x: endpoint port "metrics" is not a port of Service/reas-api',
      ]);
    });
  });

  describe('checkUrlTargetsService', () => {
    it('accepts the short and the fully qualified Service DNS name', () => {
      expect(checkUrlTargetsService(objects, 'redis://reas-redis:6379')).to.deep.equal([]);
      expect(checkUrlTargetsService(objects, 'redis://reas-redis.default.svc.cluster.local:6379')).to.deep.equal([]);
    });

    it('reports a host that is no rendered Service, a wrong port and a foreign namespace', () => {
      expect(checkUrlTargetsService(objects, 'redis://reas-redis-master:6379')).to.deep.equal(['redis://reas-redis-master:6379: no rendered Service default/reas-redis-master']);
      expect(checkUrlTargetsService(objects, 'redis://reas-redis:6380')).to.deep.equal(['redis://reas-redis:6380: port 6380 is not a port of Service/reas-redis']);
      expect(checkUrlTargetsService(objects, 'redis://reas-redis.other:6379')).to.deep.equal(['redis://reas-redis.other:6379: no rendered Service other/reas-redis']);
    });
  });

  describe('networkPolicyAdmits and checkNetworkPolicies', () => {
    const owner = (objectsIn: readonly K8sObject[], ref: string) => {
      const found = podTemplates(objectsIn).find((template) => template.owner === ref);
      if (found === undefined) throw new Error(ref);
      return found;
    };

    it('denies the API once the policy stops listing it, and a port the policy does not open', () => {
      const broken = edit(objects, 'NetworkPolicy', 'reas-redis', (policy) => {
        policy.spec.ingress[0].from = policy.spec.ingress[0].from.filter((peer: Any) => peer.podSelector.matchLabels['app.kubernetes.io/name'] !== 'api');
      });
      const redis = owner(broken, 'StatefulSet/reas-redis');
      expect(networkPolicyAdmits(broken, owner(broken, 'Deployment/reas-api'), redis, 6379)).to.equal(false);
      expect(networkPolicyAdmits(broken, owner(broken, 'Pod/reas-test'), redis, 6379)).to.equal(true);
      expect(networkPolicyAdmits(objects, owner(objects, 'Deployment/reas-api'), owner(objects, 'StatefulSet/reas-redis'), 6380)).to.equal(false);
    });

    it('admits everyone when no policy selects the target (so a missing policy is caught)', () => {
      const without = objects.filter((object) => object.kind !== 'NetworkPolicy');
      expect(networkPolicyAdmits(without, { namespace: 'default', labels: { app: 'stranger' } }, owner(without, 'StatefulSet/reas-redis'), 6379)).to.equal(true);
    });

    it('reports a policy whose podSelector matches no pod', () => {
      const broken = edit(objects, 'NetworkPolicy', 'reas-redis', (policy) => {
        policy.spec.podSelector.matchLabels['app.kubernetes.io/name'] = 'redsi';
      });
      expect(checkNetworkPolicies(broken)).to.deep.equal(['NetworkPolicy/reas-redis: podSelector matches no pod template']);
    });
  });

  describe('checkRestrictedPodSecurity', () => {
    const cases: [string, string, string, (object: Any) => void, string][] = [
      ['allowPrivilegeEscalation left unset', 'Deployment', 'reas-api', (d) => delete apiContainer(d).securityContext.allowPrivilegeEscalation, 'Deployment/reas-api: container api: allowPrivilegeEscalation is not false'],
      ['capabilities not dropped', 'StatefulSet', 'reas-redis', (s) => (redisContainer(s).securityContext.capabilities.drop = ['NET_RAW']), 'StatefulSet/reas-redis: container redis: capabilities.drop lacks ALL'],
      ['a capability added', 'Deployment', 'reas-api', (d) => (apiContainer(d).securityContext.capabilities.add = ['CHOWN']), 'Deployment/reas-api: container api: adds capability CHOWN (baseline only)'],
      ['runAsNonRoot missing', 'Pod', 'reas-test', (j) => delete j.spec.securityContext.runAsNonRoot, 'Pod/reas-test: container test: runAsNonRoot is not true'],
      ['seccomp unset', 'StatefulSet', 'reas-redis', (s) => delete s.spec.template.spec.securityContext.seccompProfile, 'StatefulSet/reas-redis: container redis: seccompProfile is not RuntimeDefault or Localhost'],
      ['root uid', 'Deployment', 'reas-api', (d) => (d.spec.template.spec.securityContext.runAsUser = 0), 'Deployment/reas-api: pod runAsUser is 0'],
      ['a hostPath volume', 'StatefulSet', 'reas-redis', (s) => s.spec.template.spec.volumes.push({ name: 'host', hostPath: { path: '/' } }), 'StatefulSet/reas-redis: volume host of type hostPath is not allowed'],
      ['a writable root filesystem', 'Deployment', 'reas-api', (d) => (apiContainer(d).securityContext.readOnlyRootFilesystem = false), 'Deployment/reas-api: container api: readOnlyRootFilesystem is not true'],
      ['a mounted token', 'Pod', 'reas-test', (j) => delete j.spec.automountServiceAccountToken, 'Pod/reas-test: mounts a service account token (automountServiceAccountToken is not false)'],
      ['host networking', 'Deployment', 'reas-api', (d) => (d.spec.template.spec.hostNetwork = true), 'Deployment/reas-api: uses host namespaces'],
      [
        'an initContainer without a security context',
        'StatefulSet',
        'reas-redis',
        (s) => (s.spec.template.spec.initContainers = [{ name: 'init', image: 'busybox' }]),
        'StatefulSet/reas-redis: container init: allowPrivilegeEscalation is not false',
      ],
    ];
    for (const [what, kind, name, change, expected] of cases) {
      it(`reports ${what}`, () => {
        expect(checkRestrictedPodSecurity(edit(objects, kind, name, change))).to.include(expected);
      });
    }

    it('accepts a pod whose only token opt-out is on its rendered ServiceAccount', () => {
      const viaAccount = edit(objects, 'Deployment', 'reas-api', (d) => delete d.spec.template.spec.automountServiceAccountToken);
      expect(checkRestrictedPodSecurity(viaAccount)).to.deep.equal([]);
    });
  });

  describe('checkNames', () => {
    it('reports a name over 63, a StatefulSet over 52, a bad label value and a duplicate', () => {
      const long = 'x'.repeat(60);
      const broken = edit(objects, 'StatefulSet', 'reas-redis', (s) => {
        s.metadata.name = long.slice(0, 53);
        s.metadata.labels['app.kubernetes.io/version'] = '7.4.2 bookworm';
      });
      broken.push(structuredClone(broken.find((object) => object.kind === 'Service') as K8sObject));
      const service = edit(objects, 'Service', 'reas-api', (s) => (s.metadata.name = `a${long.repeat(2)}`));
      expect(checkNames(broken)).to.include.members([
        `StatefulSet/${long.slice(0, 53)}: name is 53 characters, more than 52`,
        `StatefulSet/${long.slice(0, 53)}: label app.kubernetes.io/version="7.4.2 bookworm" is not a valid label value`,
        'Service/reas-api: rendered twice',
      ]);
      expect(checkNames(service)).to.include(`Service/a${long.repeat(2)}: name is 121 characters, more than 63`);
    });
  });
});
