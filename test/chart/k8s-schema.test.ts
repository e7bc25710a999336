import { expect } from 'chai';
import type { K8sObject } from '../../hack/lib/helm.js';
import { K8sSchemaValidator, strictenSchema } from '../helpers/k8s-schema.js';
import { loadK8sSchemaSnapshot, withoutDescriptions } from '../../hack/tools/k8s-schema-cache.js';
import { NEWEST_K8S_SCHEMA_VERSION, OLDEST_K8S_SCHEMA_VERSION } from '../../hack/tools/k8s-versions.js';
import { CHART_CASES, CRD_SKIPS, findObject, renderCase } from './chart-cases.js';

type Mutable = Record<string, unknown> & K8sObject;

function deployment(objects: readonly K8sObject[]): Mutable {
  return structuredClone(findObject(objects, 'Deployment', 'reas-api')) as Mutable;
}

function container(object: Mutable): Record<string, unknown> {
  return ((object.spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec.containers[0]) as Record<string, unknown>;
}

describe('k8s-schema validator (test/helpers/k8s-schema.ts)', function () {
  this.timeout(60_000);
  const oldest = OLDEST_K8S_SCHEMA_VERSION;
  const newest = NEWEST_K8S_SCHEMA_VERSION;
  let objects: K8sObject[];
  before(async () => {
    objects = await renderCase(CHART_CASES[0] as (typeof CHART_CASES)[number]);
  });

  it('accepts the untouched Deployment, so the failures below come from the breakage alone', () => {
    expect(K8sSchemaValidator.forVersion(oldest).validate(deployment(objects))).to.deep.equal([]);
  });

  it('rejects an unknown field deep inside a pod template', () => {
    const broken = deployment(objects);
    container(broken).imagePullPolicyy = 'Always';
    const issues = K8sSchemaValidator.forVersion(oldest).validate(broken);
    expect(issues.map((issue) => [issue.path, issue.message])).to.deep.equal([['/spec/template/spec/containers/0', 'unknown field "imagePullPolicyy"']]);
  });

  it('rejects an unknown top-level field', () => {
    const broken = deployment(objects);
    broken.specs = {};
    expect(K8sSchemaValidator.forVersion(newest).validate(broken).map((issue) => issue.message)).to.deep.equal(['unknown field "specs"']);
  });

  it('rejects a wrong type', () => {
    const broken = deployment(objects);
    (broken.spec as Record<string, unknown>).replicas = 'two';
    const issues = K8sSchemaValidator.forVersion(newest).validate(broken);
    expect(issues.map((issue) => [issue.path, issue.message])).to.deep.equal([['/spec/replicas', 'must be integer']]);
  });

  it('rejects an int32 out of range', () => {
    const broken = deployment(objects);
    (broken.spec as Record<string, unknown>).replicas = 2 ** 31;
    expect(K8sSchemaValidator.forVersion(oldest).validate(broken).map((issue) => issue.path)).to.deep.equal(['/spec/replicas']);
  });

  it('accepts both forms of an int-or-string and rejects anything else there', () => {
    const validator = K8sSchemaValidator.forVersion(oldest);
    const rollingUpdate = (object: Mutable) => (object.spec as { strategy: { rollingUpdate: Record<string, unknown> } }).strategy.rollingUpdate;
    const asPercent = deployment(objects);
    rollingUpdate(asPercent).maxSurge = '25%';
    expect(validator.validate(asPercent)).to.deep.equal([]);
    const asBoolean = deployment(objects);
    rollingUpdate(asBoolean).maxSurge = true;
    expect(validator.validate(asBoolean).map((issue) => issue.path)).to.include('/spec/strategy/rollingUpdate/maxSurge');
  });

  it('rejects duplicate entries of a list-map (two ports with the same containerPort and protocol)', () => {
    const broken = deployment(objects);
    (container(broken).ports as unknown[]).push({ name: 'again', containerPort: 5000, protocol: 'TCP' });
    const messages = K8sSchemaValidator.forVersion(newest).validate(broken).map((issue) => issue.message);
    expect(messages).to.deep.equal(['has duplicate entries for list-map key (containerPort, protocol) = [5000,"TCP"]']);
  });

  it('rejects Secret data that is not base64', () => {
    const secret = structuredClone(findObject(objects, 'Secret', 'reas-redis')) as Mutable;
    secret.data = { 'redis-password': 'not base64!' };
    expect(K8sSchemaValidator.forVersion(oldest).validate(secret).map((issue) => issue.path)).to.deep.equal(['/data/redis-password']);
  });

  it('rejects a kind the version does not serve, unless it is on the explicit CRD skip list', () => {
    const validator = K8sSchemaValidator.forVersion(newest);
    const monitor = { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name: 'x' } };
    const removed = { apiVersion: 'policy/v1beta1', kind: 'PodDisruptionBudget', metadata: { name: 'x' } };
    expect(validator.validateAll([monitor, removed], CRD_SKIPS).map((issue) => issue.message)).to.deep.equal([
      `Kubernetes ${newest} has no schema for policy/v1beta1 PodDisruptionBudget`,
    ]);
    expect(validator.validateAll([monitor]).map((issue) => issue.message)).to.deep.equal([`Kubernetes ${newest} has no schema for monitoring.coreos.com/v1 ServiceMonitor`]);
  });

  it('rejects a field the oldest supported version does not know yet', () => {
    // PodSpec.resources (pod-level resources) appeared after 1.30: the oldest version must catch it.
    const broken = deployment(objects);
    (broken.spec as { template: { spec: Record<string, unknown> } }).template.spec.resources = { limits: { memory: '1Gi' } };
    expect(K8sSchemaValidator.forVersion(oldest).validate(broken).map((issue) => issue.message)).to.deep.equal(['unknown field "resources"']);
    expect(K8sSchemaValidator.forVersion(newest).validate(broken)).to.deep.equal([]);
  });

  it('names the snapshot and how to make it for a version that has none', () => {
    expect(() => K8sSchemaValidator.forVersion('0.0.0-none')).to.throw(/no Kubernetes 0\.0\.0-none schema snapshot .*npm run schemas:update/);
  });

  it('keeps in its snapshots what validation reads and drops only prose', () => {
    const schemas = loadK8sSchemaSnapshot(oldest).documents['apis__apps__v1_openapi.json'] ?? {};
    const text = JSON.stringify(schemas);
    expect(text).to.include('"x-kubernetes-group-version-kind"').and.include('"x-kubernetes-list-map-keys"');
    expect(schemas).to.have.property('io.k8s.api.apps.v1.Deployment');
    // A property called "description" (PriorityClass has one) is data, not prose: it stays.
    expect(withoutDescriptions({ description: 'prose', properties: { description: { type: 'string', description: 'prose' } } })).to.deep.equal({
      properties: { description: { type: 'string' } },
    });
  });

  describe('strictenSchema', () => {
    it('closes objects with fixed properties, keeps preserve-unknown-fields open, and maps int-or-string', () => {
      expect(strictenSchema({ type: 'object', properties: { a: { type: 'string' } } })).to.deep.equal({
        type: 'object',
        properties: { a: { type: 'string' } },
        additionalProperties: false,
      });
      expect(strictenSchema({ type: 'object', properties: { a: { type: 'string' } }, 'x-kubernetes-preserve-unknown-fields': true })).to.deep.equal({
        type: 'object',
        properties: { a: { type: 'string' } },
      });
      expect(strictenSchema({ 'x-kubernetes-int-or-string': true, type: 'string' })).to.deep.equal({ oneOf: [{ type: 'integer' }, { type: 'string' }] });
    });
  });
});
