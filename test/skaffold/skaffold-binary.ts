import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { helmBinary, reasCacheDir } from '../../hack/lib/helm.js';
import { REPO_ROOT } from '../k8s/synth.js';

/** The skaffold version install-skaffold.sh builds (2.19+ drives helm 4). */
export const SKAFFOLD_VERSION = 'v2.24.0';

/**
 * The skaffold CLI: $REAS_SKAFFOLD when set, else the one install-skaffold.sh built into the reas cache, else
 * `skaffold` on PATH. Missing, it fails naming how to get it (`npm run test:skaffold` is a suite of its own, so
 * `npm test` never needs it).
 */
export function skaffoldBinary(): string {
  const explicit = process.env.REAS_SKAFFOLD;
  if (explicit !== undefined && explicit !== '') {
    if (!existsSync(explicit)) throw new Error(`REAS_SKAFFOLD=${explicit} does not exist`);
    return explicit;
  }
  const cached = join(reasCacheDir(), 'bin', `skaffold-${SKAFFOLD_VERSION}`, 'skaffold');
  if (existsSync(cached)) return cached;
  if (spawnSync('skaffold', ['version'], { stdio: 'ignore' }).error === undefined) return 'skaffold';
  throw new Error(
    `skaffold is not installed: run \`bash hack/tools/install-skaffold.sh\` (builds ${SKAFFOLD_VERSION} with Go 1.25+ into ${cached}), ` +
      'or set REAS_SKAFFOLD to a skaffold v2.19+ binary',
  );
}

export interface SkaffoldResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs skaffold in the repository with the tests' helm v4 first on PATH, no update check, no prompts, no cluster. */
export function runSkaffold(binary: string, args: readonly string[]): Promise<SkaffoldResult> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${dirname(helmBinary())}:${process.env.PATH ?? ''}`,
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
