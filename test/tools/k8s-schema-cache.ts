import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reasCacheDir } from '../helpers/helm.js';

const MODULE = 'k8s.io/kubernetes';
const SPEC_DIR = join('api', 'openapi-spec', 'v3');
const COMPLETE = '.complete';

/** The cache directory holding one version's OpenAPI v3 documents (may not exist yet). */
export function k8sSchemaDir(version: string): string {
  return join(reasCacheDir(), 'k8s-openapi', `v${version.replace(/^v/, '')}`);
}

export function hasK8sSchemas(version: string): boolean {
  return existsSync(join(k8sSchemaDir(version), COMPLETE));
}

/**
 * Makes sure the schemas of each version are cached, downloading the k8s.io/kubernetes module with
 * `go mod download` where they are missing. Returns the directories. Throws a clear error without Go.
 */
export function ensureK8sSchemas(versions: readonly string[], options: { log?: (line: string) => void } = {}): string[] {
  const missing = versions.filter((version) => !hasK8sSchemas(version));
  if (missing.length > 0) {
    const probe = spawnSync('go', ['version'], { encoding: 'utf8' });
    if (probe.error !== undefined || probe.status !== 0) {
      throw new Error(
        `k8s schemas for ${missing.join(', ')} are not cached in ${join(reasCacheDir(), 'k8s-openapi')} and \`go\` is not on PATH: ` +
          'install the Go toolchain (1.21+, with access to its module proxy) and run `npx tsx test/tools/fetch-k8s-schemas.ts`',
      );
    }
  }
  for (const version of missing) fetchVersion(version.replace(/^v/, ''), options.log);
  return versions.map(k8sSchemaDir);
}

function fetchVersion(version: string, log?: (line: string) => void): void {
  log?.(`fetching ${MODULE}@v${version} with go mod download`);
  // Outside any module, so no go.mod nearby can interfere; GOFLAGS cleared for the same reason.
  const scratch = mkdtempSync(join(tmpdir(), 'reas-k8s-schema-'));
  try {
    const result = spawnSync('go', ['mod', 'download', '-json', `${MODULE}@v${version}`], {
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
      throw new Error(`go mod download ${MODULE}@v${version} failed: ${info.Error ?? result.stderr.trim()}`);
    }
    const source = join(info.Dir, SPEC_DIR);
    const files = readdirSync(source).filter((name) => name.endsWith('.json'));
    if (files.length === 0) throw new Error(`${MODULE}@v${version} has no ${SPEC_DIR}/*.json`);
    const target = k8sSchemaDir(version);
    const staging = `${target}.tmp-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    for (const name of files) cpSync(join(source, name), join(staging, name));
    writeFileSync(join(staging, COMPLETE), `${MODULE}@v${version}\n`);
    rmSync(target, { recursive: true, force: true });
    renameSync(staging, target);
    log?.(`cached ${files.length} documents in ${target}`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
