/**
 * Fetches the Kubernetes OpenAPI v3 schemas (api/openapi-spec/v3/*.json of the k8s.io/kubernetes module) for the
 * versions in test/tools/k8s-versions.ts into the cache outside the repository, keyed by version. Needs only the
 * Go toolchain and its module proxy. Usage: npx tsx test/tools/fetch-k8s-schemas.ts [1.30.14 ...]
 */
import { pathToFileURL } from 'node:url';
import { ensureK8sSchemas } from './k8s-schema-cache.js';
import { K8S_SCHEMA_VERSIONS } from './k8s-versions.js';

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const versions = process.argv.length > 2 ? process.argv.slice(2) : [...K8S_SCHEMA_VERSIONS];
  const started = Date.now();
  for (const dir of ensureK8sSchemas(versions, { log: (line) => console.log(line) })) console.log(dir);
  console.log(`k8s schemas ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
