import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { reasCacheDir } from '../helpers/helm.js';
import { REPO_ROOT } from '../k8s/synth.js';

/** The skaffold version install-skaffold.sh builds. */
export const SKAFFOLD_VERSION = 'v2.16.1';

/**
 * The skaffold CLI: $REAS_SKAFFOLD when set, else the one install-skaffold.sh built into the reas cache, else
 * `skaffold` on PATH. Missing, it fails naming how to get it. REAS_SKAFFOLD=none turns these checks off
 * explicitly (a machine that cannot afford the build); the test run then says so.
 */
export function skaffoldBinary(): string | undefined {
  const explicit = process.env.REAS_SKAFFOLD;
  if (explicit === 'none') return undefined;
  if (explicit) {
    if (!existsSync(explicit)) throw new Error(`REAS_SKAFFOLD=${explicit} does not exist`);
    return explicit;
  }
  const cached = join(reasCacheDir(), 'bin', `skaffold-${SKAFFOLD_VERSION}`, 'skaffold');
  if (existsSync(cached)) return cached;
  if (spawnSync('skaffold', ['version'], { stdio: 'ignore' }).error === undefined) return 'skaffold';
  throw new Error(
    `skaffold is not installed: run \`bash test/skaffold/install-skaffold.sh\` (builds ${SKAFFOLD_VERSION} with Go into ${cached}), ` +
      'or set REAS_SKAFFOLD to a skaffold v2 binary (REAS_SKAFFOLD=none switches the skaffold CLI checks off)',
  );
}

/**
 * The helm v3 skaffold runs (skaffold 2.16's Helm support fails with helm v4): $REAS_SKAFFOLD_HELM, else the one
 * install-skaffold.sh builds beside skaffold.
 */
export function skaffoldHelm(skaffold: string): string {
  const explicit = process.env.REAS_SKAFFOLD_HELM;
  if (explicit) {
    if (!existsSync(explicit)) throw new Error(`REAS_SKAFFOLD_HELM=${explicit} does not exist`);
    return explicit;
  }
  const beside = join(dirname(skaffold), 'helm');
  if (skaffold.includes('/') && existsSync(beside)) return beside;
  throw new Error(
    'skaffold needs helm v3 (its Helm deployer runs `helm version --client` and an executable post-renderer, both gone in helm v4): ' +
      'run `bash test/skaffold/install-skaffold.sh` (builds both) or set REAS_SKAFFOLD_HELM to a helm v3 binary',
  );
}

export interface SkaffoldResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs skaffold in the repository with helm v3 first on PATH, no update check, no prompts, no cluster. */
export function runSkaffold(binary: string, args: readonly string[]): Promise<SkaffoldResult> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${dirname(skaffoldHelm(binary))}:${process.env.PATH ?? ''}`,
    SKAFFOLD_UPDATE_CHECK: 'false',
    SKAFFOLD_INTERACTIVE: 'false',
    // Render is offline: no kubeconfig may leak in and make it talk to a cluster.
    KUBECONFIG: join(reasCacheDir(), 'no-kubeconfig'),
  };
  return new Promise((resolve, reject) => {
    execFile(binary, [...args], { cwd: REPO_ROOT, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error !== null && typeof error.code !== 'number') {
        reject(new Error(`skaffold could not run (${binary}): ${error.message}`));
        return;
      }
      resolve({ code: error === null ? 0 : (error.code as number), stdout, stderr });
    });
  });
}
