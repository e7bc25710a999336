import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { App } from 'cdk8s';
import type { K8sObject } from '../../hack/lib/helm.js';
import { parseManifests, runHelm, templateArgs } from '../../hack/lib/helm.js';
import { ReasChart, type ReasChartProps } from '../../k8s/lib/reas-chart.js';
import { ReasTestChart } from '../../k8s/lib/reas-test-chart.js';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const K8S_DIR = join(REPO_ROOT, 'k8s');
/**
 * The synth output is committed in k8s/dist, so `kubectl apply -f k8s/dist/` works from a checkout and skaffold's cdk8s
 * profile finds its manifests when it validates its config (before its synth hook runs). It is the golden copy.
 */
export const GOLDEN_DIR = fileURLToPath(new URL('../../k8s/dist', import.meta.url));

/** Every file below `dir`, relative, sorted. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else out.push(relative(dir, path));
    }
  };
  walk(dir);
  return out.sort();
}

/**
 * Runs the real synth entry point (k8s/main.ts, what `npm run synth` and `cdk8s synth` run) into `outdir` and
 * returns each written file's text by relative path.
 */
export async function synthMain(outdir: string): Promise<Map<string, string>> {
  await promisify(execFile)(process.execPath, ['--import', 'tsx', 'main.ts'], { cwd: K8S_DIR, env: { ...process.env, CDK8S_OUTDIR: outdir } });
  return new Map(listFiles(outdir).map((file) => [file, readFileSync(join(outdir, file), 'utf8')]));
}

/** Synthesizes the deployment and the test chart in-process with the given props (the parity matrix). */
export function synthObjects(props: ReasChartProps): K8sObject[] {
  const app = new App({ recordConstructMetadata: false });
  new ReasChart(app, 'reas', props);
  new ReasTestChart(app, 'reas-test', {
    ...(props.release ? { release: props.release } : {}),
    ...(props.namespace ? { namespace: props.namespace } : {}),
  });
  return parseManifests(app.synthYaml());
}

/** `helm template <release> <repo root> --namespace <ns>`, parsed as Kubernetes reads YAML (see parseManifests). */
export async function renderChart(release: string, namespace: string, valuesFiles: readonly string[] = [], set: Record<string, string> = {}): Promise<K8sObject[]> {
  const result = await runHelm(templateArgs({ chart: REPO_ROOT, release, namespace, extraArgs: Object.entries(set).flatMap(([k, v]) => ['--set', `${k}=${v}`]), valuesFiles: valuesFiles.map((f) => join(REPO_ROOT, f)) }));
  if (result.code !== 0) throw new Error(`helm template failed: ${result.stderr}`);
  return parseManifests(result.stdout);
}
