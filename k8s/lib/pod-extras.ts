import { createHash } from 'node:crypto';
import { type ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import type { Construct } from 'constructs';

const k8s = kplus.k8s;

/**
 * Pod settings the chart uses that cdk8s-plus-27 has no property for, added as JSON patches on the workload's
 * ApiObject (path prefix `/spec/template/spec` for Deployments, StatefulSets and Jobs):
 * - enableServiceLinks: false, so no *_SERVICE_HOST/PORT variables of other Services leak into the environment;
 * - seccompProfile RuntimeDefault on the pod, which the "restricted" Pod Security Standard requires.
 */
export function addPodSpecPatches(object: ApiObject): void {
  object.addJsonPatch(
    JsonPatch.add('/spec/template/spec/enableServiceLinks', false),
    JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', k8s.toJson_SeccompProfile({ type: 'RuntimeDefault' })),
  );
}

/**
 * JSON patches applied after the typed serialization of an L1 object. ApiObject.addJsonPatch patches run before
 * cdk8s-plus-27's typed `toJson_*` pass, which drops every field the Kubernetes 1.27 schema lacks; a field newer
 * than that (e.g. the preStop `sleep` action, 1.30) can only be added afterwards.
 */
export function addPatchAfterTypedSerialization(object: ApiObject, ...ops: JsonPatch[]): void {
  const typed = object.toJson.bind(object);
  object.toJson = () => JsonPatch.apply(typed(), ...ops);
}

/** Drop every Linux capability: Kubernetes accepts the literal ALL, which cdk8s-plus's CAP_* enum does not list. */
const DROP_ALL_CAPABILITIES = { drop: ['ALL' as kplus.Capability] };

/**
 * The container security context every reas container runs with: what the restricted Pod Security Standard demands
 * plus a read-only root filesystem. cdk8s-plus's defaults already set most of it; spelled out so the parity test
 * compares a deliberate choice, not a library default that could change.
 */
export const RESTRICTED_CONTAINER: kplus.ContainerSecurityContextProps = {
  ensureNonRoot: true,
  readOnlyRootFilesystem: true,
  allowPrivilegeEscalation: false,
  privileged: false,
  capabilities: DROP_ALL_CAPABILITIES,
};

/** sha256 of a config's content, as a pod annotation: a config change changes the template and rolls the pods. */
export function contentChecksum(content: string): string {
  return createHash('sha256').update(content).digest('hex');
}

export interface NamedPortServiceProps {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly selector: Record<string, string>;
  /** Container port name the Service targets (the chart's named ports). */
  readonly portName: string;
  readonly port: number;
}

/**
 * A ClusterIP Service that targets a named container port. The typed L1 object, because kplus.Service only takes
 * numeric target ports and adds an empty externalIPs list.
 */
export function namedPortService(scope: Construct, id: string, props: NamedPortServiceProps): kplus.k8s.KubeService {
  return new k8s.KubeService(scope, id, {
    metadata: { name: props.name, labels: props.labels },
    spec: {
      type: 'ClusterIP',
      selector: props.selector,
      ports: [{ name: props.portName, port: props.port, targetPort: k8s.IntOrString.fromString(props.portName), protocol: 'TCP' }],
    },
  });
}
