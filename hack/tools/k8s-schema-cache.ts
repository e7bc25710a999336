import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';

/**
 * The Kubernetes OpenAPI v3 schemas the rendered manifests are validated against, kept in the repository as one
 * compact snapshot per version (test/fixtures/k8s-openapi/v<version>.json.gz, ~45 KB each), so `npm test` needs no Go
 * and no network. A snapshot holds, for every document of api/openapi-spec/v3 in the k8s.io/kubernetes module, its
 * `components.schemas` with the prose `description`s dropped (everything a validator reads is kept: types,
 * formats, required, enums, defaults and the x-kubernetes-* extensions). `npm run schemas:update` rebuilds them
 * from the Go module; `npm run test:schemas` (in .ci/run) checks that the committed ones equal a fresh build.
 */

const MODULE = 'k8s.io/kubernetes';
const SPEC_DIR = join('api', 'openapi-spec', 'v3');
export const SNAPSHOT_DIR = fileURLToPath(new URL('../../test/fixtures/k8s-openapi/', import.meta.url));

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface K8sSchemaSnapshot {
  /** The module version the snapshot was made from, e.g. k8s.io/kubernetes@v1.35.8. */
  module: string;
  /** components.schemas by document file name (api__v1_openapi.json, apis__apps__v1_openapi.json, ...). */
  documents: Record<string, Record<string, Json>>;
}

export function snapshotFile(version: string): string {
  return join(SNAPSHOT_DIR, `v${version.replace(/^v/, '')}.json.gz`);
}

/** The committed snapshot of one version; a version without one is an error that says how to make it. */
export function loadK8sSchemaSnapshot(version: string): K8sSchemaSnapshot {
  const file = snapshotFile(version);
  if (!existsSync(file)) {
    throw new Error(
      `no Kubernetes ${version} schema snapshot (${file}): add the version to hack/tools/k8s-versions.ts and run ` +
        '`npm run schemas:update` (needs the Go toolchain, 1.21+, with access to its module proxy)',
    );
  }
  return JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as K8sSchemaSnapshot;
}

/** Drops prose: `description` strings wherever they are a schema keyword (not a property named "description"). */
export function withoutDescriptions(node: Json): Json {
  if (Array.isArray(node)) return node.map(withoutDescriptions);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, Json> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'description' && typeof value === 'string') continue;
    if (key === 'properties' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, schema]) => [name, withoutDescriptions(schema)]));
    } else if (key === 'default' || key === 'enum' || key === 'example') {
      out[key] = value;
    } else {
      out[key] = withoutDescriptions(value);
    }
  }
  return out;
}

/** Builds a snapshot from the k8s.io/kubernetes module, downloaded with `go mod download` (a clear error without Go). */
export function buildK8sSchemaSnapshot(version: string): K8sSchemaSnapshot {
  const bare = version.replace(/^v/, '');
  const probe = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) {
    throw new Error(
      `building the Kubernetes ${bare} schema snapshot needs \`go\` on PATH: install the Go toolchain (1.21+, with access to its module proxy)`,
    );
  }
  // Outside any module, so no go.mod nearby can interfere; GOFLAGS cleared for the same reason.
  const scratch = mkdtempSync(join(tmpdir(), 'reas-k8s-schema-'));
  try {
    const result = spawnSync('go', ['mod', 'download', '-json', `${MODULE}@v${bare}`], {
      cwd: scratch,
      encoding: 'utf8',
      env: { ...process.env, GOFLAGS: '', GO111MODULE: 'on' },
      maxBuffer: 16 * 1024 * 1024,
    });
    let info: { Dir?: string; Error?: string } = {};
    try {
      info = JSON.parse(result.stdout) as typeof info;
    } catch {
      // Reported below with stderr.
    }
    if (result.status !== 0 || info.Dir === undefined) {
      throw new Error(`go mod download ${MODULE}@v${bare} failed: ${info.Error ?? result.stderr.trim()}`);
    }
    const source = join(info.Dir, SPEC_DIR);
    const documents: K8sSchemaSnapshot['documents'] = {};
    for (const name of readdirSync(source).filter((n) => n.endsWith('.json')).sort()) {
      const document = JSON.parse(readFileSync(join(source, name), 'utf8')) as { components?: { schemas?: Record<string, Json> } };
      const schemas = document.components?.schemas;
      if (schemas === undefined || Object.keys(schemas).length === 0) continue;
      documents[name] = withoutDescriptions(schemas) as Record<string, Json>;
    }
    if (Object.keys(documents).length === 0) throw new Error(`${MODULE}@v${bare} has no schemas in ${SPEC_DIR}`);
    return { module: `${MODULE}@v${bare}`, documents };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export function writeK8sSchemaSnapshot(version: string, snapshot: K8sSchemaSnapshot): void {
  writeFileSync(snapshotFile(version), gzipSync(JSON.stringify(snapshot), { level: 9 }));
}
