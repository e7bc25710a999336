/**
 * Rebuilds (default) or checks (--check) the committed Kubernetes schema snapshots in test/fixtures/k8s-openapi/ from
 * the k8s.io/kubernetes Go module, for the versions in hack/tools/k8s-versions.ts or those given.
 * Needs the Go toolchain and its module proxy; `npm test` itself needs neither.
 *   npm run schemas:update            rewrite the snapshots
 *   npm run test:schemas              fail when a committed snapshot differs from a fresh build (CI)
 */
import { isDeepStrictEqual } from 'node:util';
import { pathToFileURL } from 'node:url';
import { buildK8sSchemaSnapshot, loadK8sSchemaSnapshot, snapshotFile, writeK8sSchemaSnapshot } from './k8s-schema-cache.js';
import { K8S_SCHEMA_VERSIONS } from './k8s-versions.js';

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const check = args.includes('--check');
  const given = args.filter((a) => a !== '--check');
  const versions = given.length > 0 ? given : [...K8S_SCHEMA_VERSIONS];
  let failed = 0;
  for (const version of versions) {
    const started = Date.now();
    const fresh = buildK8sSchemaSnapshot(version);
    if (check) {
      let same = false;
      try {
        same = isDeepStrictEqual(loadK8sSchemaSnapshot(version), fresh);
      } catch (error) {
        console.log((error as Error).message);
      }
      console.log(`${same ? 'ok' : 'DIFFERS'}: ${snapshotFile(version)} against ${fresh.module}`);
      if (!same) failed += 1;
    } else {
      writeK8sSchemaSnapshot(version, fresh);
      console.log(`wrote ${snapshotFile(version)} from ${fresh.module} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
  }
  if (check) {
    // The plain closing line CI totals, as every suite prints.
    console.log(`\n${versions.length - failed} passed, ${failed} failed`);
    if (failed > 0) {
      console.log('run `npm run schemas:update` and commit test/fixtures/k8s-openapi/');
      process.exitCode = 1;
    }
  }
}
