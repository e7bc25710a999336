import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { K8sObject } from '../../hack/lib/helm.js';

/**
 * The few Kubernetes API endpoints `helm template --dry-run=server` touches, so the chart's `lookup` can be
 * exercised without a cluster: /version, discovery (/api, /apis and each group-version's resource list, built from
 * the kinds given), GET of the stored objects and empty lists of every other collection; everything else is a 404
 * Status. It records the paths requested.
 */
export interface FakeApiServer {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

function plural(kind: string): string {
  const lower = kind.toLowerCase();
  if (lower.endsWith('y')) return `${lower.slice(0, -1)}ies`;
  if (lower.endsWith('s')) return `${lower}es`;
  return `${lower}s`;
}

export async function startFakeApiServer(kinds: readonly { apiVersion: string; kind: string }[], stored: readonly K8sObject[]): Promise<FakeApiServer> {
  const groups = new Map<string, Map<string, string>>();
  for (const { apiVersion, kind } of [...kinds, ...stored]) {
    if (!groups.has(apiVersion)) groups.set(apiVersion, new Map());
    groups.get(apiVersion)?.set(plural(kind), kind);
  }
  const routes = new Map<string, unknown>();
  const collections = new Map<string, unknown>();
  routes.set('/version', { major: '1', minor: '35', gitVersion: 'v1.35.8', platform: 'linux/amd64' });
  routes.set('/api', { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
  const apiGroups = [...groups.keys()].filter((apiVersion) => apiVersion.includes('/')).map((apiVersion) => {
    const [group, version] = apiVersion.split('/') as [string, string];
    return { name: group, versions: [{ groupVersion: apiVersion, version }], preferredVersion: { groupVersion: apiVersion, version } };
  });
  routes.set('/apis', { kind: 'APIGroupList', apiVersion: 'v1', groups: apiGroups });
  for (const [apiVersion, resources] of groups) {
    routes.set(apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`, {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: apiVersion,
      resources: [...resources].map(([name, kind]) => ({ name, singularName: kind.toLowerCase(), namespaced: true, kind, verbs: ['get', 'list', 'create', 'update', 'patch', 'delete'] })),
    });
  }
  // Empty collections, for helm's release-history and ownership queries.
  for (const [apiVersion, resources] of groups) {
    const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    for (const [name, kind] of resources) {
      collections.set(`${base}/${name}`, { kind: `${kind}List`, apiVersion, metadata: { resourceVersion: '1' }, items: [] });
    }
  }
  for (const object of stored) {
    const base = object.apiVersion.includes('/') ? `/apis/${object.apiVersion}` : `/api/${object.apiVersion}`;
    routes.set(`${base}/namespaces/${object.metadata.namespace ?? 'default'}/${plural(object.kind)}/${object.metadata.name}`, object);
  }
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    requests.push(`${request.method ?? 'GET'} ${path}`);
    const collection = /^(\/apis?\/.+)\/namespaces\/[^/]+(\/[^/]+)$/.exec(path);
    const body = request.method !== 'GET' ? undefined : (routes.get(path) ?? (collection === null ? undefined : collections.get(`${collection[1]}${collection[2]}`)));
    response.setHeader('content-type', 'application/json');
    if (body === undefined) {
      response.statusCode = 404;
      response.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `${path} not found`, reason: 'NotFound', code: 404 }));
      return;
    }
    response.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
