import type { K8sObject } from '../../hack/lib/helm.js';

/**
 * Structural checks over a list of rendered Kubernetes objects (from helm or cdk8s): the cross-object facts a
 * schema cannot see. Every check returns a list of human-readable issues; an empty list means it holds.
 */

type Labels = Record<string, string>;

export interface LabelSelector {
  matchLabels?: Labels;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: string;
  hostPort?: number;
}

interface Probe {
  httpGet?: { port: number | string };
  tcpSocket?: { port: number | string };
  grpc?: { port: number };
}

interface SecurityContext {
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  runAsNonRoot?: boolean;
  runAsUser?: number;
  procMount?: string;
  capabilities?: { add?: string[]; drop?: string[] };
  seccompProfile?: { type?: string };
  appArmorProfile?: { type?: string };
  seLinuxOptions?: { type?: string; user?: string; role?: string };
  sysctls?: { name: string }[];
}

export interface Container {
  name: string;
  image?: string;
  imagePullPolicy?: string;
  ports?: ContainerPort[];
  env?: { name: string; value?: string }[];
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  lifecycle?: { preStop?: Probe; postStart?: Probe };
  securityContext?: SecurityContext;
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  ephemeralContainers?: Container[];
  volumes?: Record<string, unknown>[];
  securityContext?: SecurityContext;
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  automountServiceAccountToken?: boolean;
  serviceAccountName?: string;
}

/** A pod template found in a workload (or a bare Pod), with where it came from. */
export interface PodTemplate {
  owner: string;
  namespace: string;
  labels: Labels;
  spec: PodSpec;
}

interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
}

interface ServiceObject extends K8sObject {
  spec: { selector?: Labels; ports?: ServicePort[]; type?: string };
}

export function objectRef(object: K8sObject): string {
  return `${object.kind}/${object.metadata.name}`;
}

function namespaceOf(object: K8sObject, defaultNamespace: string): string {
  return object.metadata.namespace ?? defaultNamespace;
}

function field<T>(object: unknown, ...path: string[]): T | undefined {
  let current: unknown = object;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current as T | undefined;
}

/** Every pod template in the render: Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs and Pods. */
export function podTemplates(objects: readonly K8sObject[], defaultNamespace = 'default'): PodTemplate[] {
  const templates: PodTemplate[] = [];
  for (const object of objects) {
    let template: { metadata?: { labels?: Labels }; spec?: PodSpec } | undefined;
    if (['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job'].includes(object.kind)) template = field(object, 'spec', 'template');
    else if (object.kind === 'CronJob') template = field(object, 'spec', 'jobTemplate', 'spec', 'template');
    else if (object.kind === 'Pod') template = { metadata: object.metadata, spec: field<PodSpec>(object, 'spec') };
    if (template?.spec === undefined) continue;
    templates.push({ owner: objectRef(object), namespace: namespaceOf(object, defaultNamespace), labels: template.metadata?.labels ?? {}, spec: template.spec });
  }
  return templates;
}

function allContainers(spec: PodSpec): Container[] {
  return [...spec.containers, ...(spec.initContainers ?? []), ...(spec.ephemeralContainers ?? [])];
}

/** Whether labels satisfy a Kubernetes label selector (matchLabels and matchExpressions). */
export function selectorMatches(selector: LabelSelector, labels: Labels): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  for (const expression of selector.matchExpressions ?? []) {
    const present = Object.hasOwn(labels, expression.key);
    const value = labels[expression.key];
    const values = expression.values ?? [];
    if (expression.operator === 'In' && !(present && values.includes(value as string))) return false;
    if (expression.operator === 'NotIn' && present && values.includes(value as string)) return false;
    if (expression.operator === 'Exists' && !present) return false;
    if (expression.operator === 'DoesNotExist' && present) return false;
  }
  return true;
}

function isEmptySelector(selector: LabelSelector): boolean {
  return Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0;
}

function services(objects: readonly K8sObject[]): ServiceObject[] {
  return objects.filter((object): object is ServiceObject => object.kind === 'Service');
}

function selectedTemplates(objects: readonly K8sObject[], namespace: string, selector: LabelSelector): PodTemplate[] {
  return podTemplates(objects).filter((template) => template.namespace === namespace && selectorMatches(selector, template.labels));
}

/** Every Service with a selector selects at least one pod template of the render; every workload selects its own template. */
export function checkSelectors(objects: readonly K8sObject[]): string[] {
  const issues: string[] = [];
  for (const service of services(objects)) {
    const selector = service.spec.selector;
    if (selector === undefined || Object.keys(selector).length === 0) continue;
    if (selectedTemplates(objects, namespaceOf(service, 'default'), { matchLabels: selector }).length === 0) {
      issues.push(`${objectRef(service)}: selector ${JSON.stringify(selector)} matches no pod template`);
    }
  }
  for (const object of objects) {
    if (!['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'].includes(object.kind)) continue;
    const selector = field<LabelSelector>(object, 'spec', 'selector') ?? {};
    const labels = field<Labels>(object, 'spec', 'template', 'metadata', 'labels') ?? {};
    if (isEmptySelector(selector) || !selectorMatches(selector, labels)) issues.push(`${objectRef(object)}: spec.selector does not match its own pod template`);
  }
  return issues;
}

function probePort(probe: Probe | undefined): number | string | undefined {
  return probe?.httpGet?.port ?? probe?.tcpSocket?.port ?? probe?.grpc?.port;
}

function declaresPort(container: Container, port: number | string): boolean {
  return (container.ports ?? []).some((declared) => (typeof port === 'number' ? declared.containerPort === port : declared.name === port));
}

/** Whether a pod template exposes port (a container port's name or number) in any container. */
function templateDeclaresPort(template: PodTemplate, port: number | string): boolean {
  return template.spec.containers.some((container) => declaresPort(container, port));
}

/**
 * Ports referenced by name or number exist: every probe and lifecycle handler names a port of its container; every
 * Service targetPort is a container port of each pod it selects; every Ingress backend port and ServiceMonitor
 * endpoint port is a port of its Service; every named NetworkPolicy port is a container port of the pods it selects.
 * With requireNamedPorts, probes and Service targetPorts must use names, not numbers.
 */
export function checkPortReferences(objects: readonly K8sObject[], options: { requireNamedPorts?: boolean } = {}): string[] {
  const issues: string[] = [];
  for (const template of podTemplates(objects)) {
    for (const container of allContainers(template.spec)) {
      const handlers: [string, Probe | undefined][] = [
        ['startupProbe', container.startupProbe],
        ['livenessProbe', container.livenessProbe],
        ['readinessProbe', container.readinessProbe],
        ['lifecycle.preStop', container.lifecycle?.preStop],
        ['lifecycle.postStart', container.lifecycle?.postStart],
      ];
      for (const [name, handler] of handlers) {
        const port = probePort(handler);
        if (port === undefined) continue;
        if (!declaresPort(container, port)) issues.push(`${template.owner} container ${container.name}: ${name} port ${JSON.stringify(port)} is not a declared container port`);
        else if (options.requireNamedPorts === true && typeof port === 'number') issues.push(`${template.owner} container ${container.name}: ${name} uses port number ${port}, not a name`);
      }
    }
  }
  for (const service of services(objects)) {
    const selector = service.spec.selector;
    if (selector === undefined || Object.keys(selector).length === 0) continue;
    const selected = selectedTemplates(objects, namespaceOf(service, 'default'), { matchLabels: selector });
    for (const port of service.spec.ports ?? []) {
      const target = port.targetPort ?? port.port;
      if (options.requireNamedPorts === true && typeof target === 'number') issues.push(`${objectRef(service)}: port ${port.port} targets a number, not a named container port`);
      for (const template of selected) {
        if (!templateDeclaresPort(template, target)) issues.push(`${objectRef(service)}: targetPort ${JSON.stringify(target)} is not a container port of ${template.owner}`);
      }
    }
  }
  const serviceByName = new Map(services(objects).map((service) => [`${namespaceOf(service, 'default')}/${service.metadata.name}`, service]));
  for (const ingress of objects.filter((object) => object.kind === 'Ingress')) {
    const backends: { name: string; port?: { name?: string; number?: number } }[] = [];
    const fallback = field<{ name: string; port?: { name?: string; number?: number } }>(ingress, 'spec', 'defaultBackend', 'service');
    if (fallback !== undefined) backends.push(fallback);
    for (const rule of field<{ http?: { paths?: { backend?: { service?: { name: string; port?: { name?: string; number?: number } } } }[] } }[]>(ingress, 'spec', 'rules') ?? []) {
      for (const path of rule.http?.paths ?? []) if (path.backend?.service !== undefined) backends.push(path.backend.service);
    }
    for (const backend of backends) {
      const service = serviceByName.get(`${namespaceOf(ingress, 'default')}/${backend.name}`);
      if (service === undefined) {
        issues.push(`${objectRef(ingress)}: backend Service ${backend.name} is not rendered`);
        continue;
      }
      const ok = (service.spec.ports ?? []).some((port) => (backend.port?.name !== undefined ? port.name === backend.port.name : port.port === backend.port?.number));
      if (!ok) issues.push(`${objectRef(ingress)}: backend port ${JSON.stringify(backend.port)} is not a port of Service/${backend.name}`);
    }
  }
  for (const monitor of objects.filter((object) => object.kind === 'ServiceMonitor')) {
    const selector = field<LabelSelector>(monitor, 'spec', 'selector') ?? {};
    const selected = services(objects).filter((service) => selectorMatches(selector, service.metadata.labels ?? {}));
    if (selected.length === 0) issues.push(`${objectRef(monitor)}: selector matches no rendered Service`);
    for (const endpoint of field<{ port?: string }[]>(monitor, 'spec', 'endpoints') ?? []) {
      for (const service of selected) {
        if (!(service.spec.ports ?? []).some((port) => port.name === endpoint.port)) issues.push(`${objectRef(monitor)}: endpoint port ${JSON.stringify(endpoint.port)} is not a port of ${objectRef(service)}`);
      }
    }
  }
  for (const policy of objects.filter((object) => object.kind === 'NetworkPolicy')) {
    const targets = selectedTemplates(objects, namespaceOf(policy, 'default'), field<LabelSelector>(policy, 'spec', 'podSelector') ?? {});
    for (const rule of field<{ ports?: { port?: number | string }[] }[]>(policy, 'spec', 'ingress') ?? []) {
      for (const { port } of rule.ports ?? []) {
        if (typeof port !== 'string') continue;
        for (const template of targets) if (!templateDeclaresPort(template, port)) issues.push(`${objectRef(policy)}: port ${JSON.stringify(port)} is not a container port of ${template.owner}`);
      }
    }
  }
  return issues;
}

/** The value of an env var of a container in the workload (kind/name), or undefined. */
export function envValue(objects: readonly K8sObject[], owner: string, container: string, name: string): string | undefined {
  const template = podTemplates(objects).find((candidate) => candidate.owner === owner);
  return template?.spec.containers.find((candidate) => candidate.name === container)?.env?.find((env) => env.name === name)?.value;
}

/**
 * A URL (e.g. REDIS_URL) points at a Service of the render: its host is the Service's DNS name (name, name.ns,
 * name.ns.svc or name.ns.svc.cluster.local) and its port one of the Service's ports.
 */
export function checkUrlTargetsService(objects: readonly K8sObject[], url: string, namespace = 'default'): string[] {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [`${JSON.stringify(url)} is not a URL`];
  }
  const labels = parsed.hostname.split('.');
  const [name, ns = namespace, svc, ...domain] = labels;
  if (labels.length > 2 && (svc !== 'svc' || (domain.length > 0 && domain.join('.') !== 'cluster.local'))) {
    return [`${url}: host ${parsed.hostname} is not a cluster Service DNS name`];
  }
  const service = services(objects).find((candidate) => candidate.metadata.name === name && namespaceOf(candidate, namespace) === ns);
  if (service === undefined) return [`${url}: no rendered Service ${ns}/${name ?? ''}`];
  const port = parsed.port === '' ? undefined : Number(parsed.port);
  if (port === undefined) return [`${url}: no port (the scheme's default may not be the Service's)`];
  if (!(service.spec.ports ?? []).some((candidate) => candidate.port === port)) return [`${url}: port ${port} is not a port of ${objectRef(service)}`];
  return [];
}

export interface PodIdentity {
  namespace: string;
  labels: Labels;
}

/**
 * Whether the render's NetworkPolicies let a client pod reach port (number) of a target pod template, following
 * Kubernetes semantics: a pod no Ingress policy selects accepts everything; otherwise some rule of a selecting
 * policy must admit the client (podSelector in the policy's namespace, no namespaceSelector) on that port (number,
 * or a name the target declares with that number; no ports = all ports).
 */
export function networkPolicyAdmits(objects: readonly K8sObject[], client: PodIdentity, target: PodTemplate, port: number): boolean {
  const policies = objects.filter(
    (object) =>
      object.kind === 'NetworkPolicy' &&
      namespaceOf(object, 'default') === target.namespace &&
      selectorMatches(field<LabelSelector>(object, 'spec', 'podSelector') ?? {}, target.labels) &&
      (field<string[]>(object, 'spec', 'policyTypes') ?? ['Ingress']).includes('Ingress'),
  );
  if (policies.length === 0) return true;
  const portNames = new Set(
    target.spec.containers.flatMap((container) => (container.ports ?? []).filter((declared) => declared.containerPort === port && declared.name !== undefined).map((declared) => declared.name as string)),
  );
  return policies.some((policy) =>
    (field<{ from?: { podSelector?: LabelSelector; namespaceSelector?: LabelSelector; ipBlock?: unknown }[]; ports?: { port?: number | string }[] }[]>(policy, 'spec', 'ingress') ?? []).some((rule) => {
      const portOk = rule.ports === undefined || rule.ports.length === 0 || rule.ports.some((entry) => entry.port === undefined || entry.port === port || (typeof entry.port === 'string' && portNames.has(entry.port)));
      const peerOk =
        rule.from === undefined ||
        rule.from.length === 0 ||
        rule.from.some((peer) => peer.namespaceSelector === undefined && peer.ipBlock === undefined && peer.podSelector !== undefined && client.namespace === target.namespace && selectorMatches(peer.podSelector, client.labels));
      return portOk && peerOk;
    }),
  );
}

/** Every NetworkPolicy selects at least one pod template of the render (a typo in its selector protects nothing). */
export function checkNetworkPolicies(objects: readonly K8sObject[]): string[] {
  return objects
    .filter((object) => object.kind === 'NetworkPolicy')
    .filter((policy) => selectedTemplates(objects, namespaceOf(policy, 'default'), field<LabelSelector>(policy, 'spec', 'podSelector') ?? {}).length === 0)
    .map((policy) => `${objectRef(policy)}: podSelector matches no pod template`);
}

const BASELINE_CAPABILITIES = new Set(['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']);
const RESTRICTED_VOLUMES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);
const SAFE_SYSCTLS = new Set(['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start', 'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes']);
const SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);

/**
 * The `restricted` Pod Security Standard (which includes `baseline`) for every pod spec, containers, init and
 * ephemeral containers alike; plus this project's rules: a read-only root filesystem everywhere and no service
 * account token mounted (pod spec false, or its rendered ServiceAccount false and the pod not overriding it).
 */
export function checkRestrictedPodSecurity(objects: readonly K8sObject[]): string[] {
  const issues: string[] = [];
  const accounts = new Map(objects.filter((object) => object.kind === 'ServiceAccount').map((account) => [account.metadata.name, account]));
  for (const template of podTemplates(objects)) {
    const spec = template.spec;
    const pod = spec.securityContext ?? {};
    const at = (what: string) => issues.push(`${template.owner}: ${what}`);
    if (spec.hostNetwork === true || spec.hostPID === true || spec.hostIPC === true) at('uses host namespaces');
    for (const volume of spec.volumes ?? []) {
      const types = Object.keys(volume).filter((key) => key !== 'name');
      for (const type of types) if (!RESTRICTED_VOLUMES.has(type)) at(`volume ${String(volume.name)} of type ${type} is not allowed`);
    }
    if (pod.runAsUser === 0) at('pod runAsUser is 0');
    if (pod.seccompProfile?.type === 'Unconfined') at('pod seccompProfile is Unconfined');
    if (pod.appArmorProfile?.type === 'Unconfined') at('pod appArmorProfile is Unconfined');
    if (pod.seLinuxOptions !== undefined && (!SELINUX_TYPES.has(pod.seLinuxOptions.type ?? '') || pod.seLinuxOptions.user !== undefined || pod.seLinuxOptions.role !== undefined)) at('pod seLinuxOptions not allowed');
    for (const sysctl of pod.sysctls ?? []) if (!SAFE_SYSCTLS.has(sysctl.name)) at(`sysctl ${sysctl.name} is not in the safe set`);
    const podSeccomp = pod.seccompProfile?.type === 'RuntimeDefault' || pod.seccompProfile?.type === 'Localhost';
    for (const container of allContainers(spec)) {
      const sc = container.securityContext ?? {};
      const where = (what: string) => at(`container ${container.name}: ${what}`);
      if (sc.privileged === true) where('is privileged');
      if (sc.allowPrivilegeEscalation !== false) where('allowPrivilegeEscalation is not false');
      if (!(sc.runAsNonRoot === true || (pod.runAsNonRoot === true && sc.runAsNonRoot !== false))) where('runAsNonRoot is not true');
      if (sc.runAsUser === 0) where('runAsUser is 0');
      const seccomp = sc.seccompProfile?.type;
      if (seccomp === 'Unconfined' || (seccomp === undefined ? !podSeccomp : seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost')) where('seccompProfile is not RuntimeDefault or Localhost');
      if (sc.appArmorProfile?.type === 'Unconfined') where('appArmorProfile is Unconfined');
      if (sc.procMount !== undefined && sc.procMount !== 'Default') where(`procMount ${sc.procMount}`);
      if (sc.seLinuxOptions !== undefined && (!SELINUX_TYPES.has(sc.seLinuxOptions.type ?? '') || sc.seLinuxOptions.user !== undefined || sc.seLinuxOptions.role !== undefined)) where('seLinuxOptions not allowed');
      if (!(sc.capabilities?.drop ?? []).includes('ALL')) where('capabilities.drop lacks ALL');
      for (const capability of sc.capabilities?.add ?? []) {
        if (capability !== 'NET_BIND_SERVICE') where(`adds capability ${capability}${BASELINE_CAPABILITIES.has(capability) ? ' (baseline only)' : ''}`);
      }
      for (const port of container.ports ?? []) if (port.hostPort !== undefined && port.hostPort !== 0) where(`hostPort ${port.hostPort}`);
      if (sc.readOnlyRootFilesystem !== true) where('readOnlyRootFilesystem is not true');
    }
    const account = accounts.get(spec.serviceAccountName ?? 'default');
    const automount = spec.automountServiceAccountToken ?? field<boolean>(account, 'automountServiceAccountToken');
    if (automount !== false) at('mounts a service account token (automountServiceAccountToken is not false)');
  }
  return issues;
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Names and labels fit Kubernetes' limits: every name a DNS label of at most 63 characters (Services: starting
 * with a letter), StatefulSets and CronJobs at most 52 (their controllers append a suffix to labels/names), every
 * label value valid and at most 63, and no two objects of one kind share a namespace and name.
 */
export function checkNames(objects: readonly K8sObject[]): string[] {
  const issues: string[] = [];
  const seen = new Set<string>();
  const checkLabels = (where: string, labels: Labels | undefined) => {
    for (const [key, value] of Object.entries(labels ?? {})) {
      if (typeof value !== 'string' || value.length > 63 || !LABEL_VALUE.test(value)) issues.push(`${where}: label ${key}=${JSON.stringify(value)} is not a valid label value`);
    }
  };
  for (const object of objects) {
    const name = object.metadata.name;
    const ref = objectRef(object);
    const key = `${object.apiVersion}/${object.kind}/${object.metadata.namespace ?? ''}/${name}`;
    if (seen.has(key)) issues.push(`${ref}: rendered twice`);
    seen.add(key);
    const limit = object.kind === 'StatefulSet' || object.kind === 'CronJob' ? 52 : 63;
    if (name.length > limit) issues.push(`${ref}: name is ${name.length} characters, more than ${limit}`);
    if (!(object.kind === 'Service' ? DNS_1035_LABEL : DNS_LABEL).test(name)) issues.push(`${ref}: name is not a DNS label`);
    checkLabels(ref, object.metadata.labels);
  }
  for (const template of podTemplates(objects)) checkLabels(`${template.owner} pod template`, template.labels);
  return issues;
}
