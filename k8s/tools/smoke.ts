/**
 * `npm run smoke -- --namespace X --release Y`: checks a live release from the outside, through a port-forward, with
 * the same e2e suite the in-cluster `helm test` Job runs.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppsV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { parseSmokeArgs, usage, type SmokeOptions } from './smoke-args.js';
import { deploymentReadiness, statefulSetReadiness, type Readiness } from './readiness.js';
import { pickServicePod, resolveTargetPort, serviceLabelSelector } from './pod-selection.js';
import { describeClusterError, loadKubeConfig } from './kube-config.js';
import { openTunnel } from './port-forward.js';
import { names } from '../lib/labels.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function isNotFound(err: unknown): boolean {
  return (err as { code?: unknown }).code === 404;
}

/** Polls until `check` says ready, printing each new state once; fails at the deadline with the last state. */
async function waitFor(deadline: number, timeoutSeconds: number, check: () => Promise<Readiness>): Promise<void> {
  let last = '';
  for (;;) {
    const r = await check();
    if (r.message !== last) {
      console.log(`  ${r.ready ? 'ready  ' : 'waiting'} ${r.message}`);
      last = r.message;
    }
    if (r.ready) return;
    if (r.failed) throw new Error(r.message);
    if (Date.now() > deadline) throw new Error(`not ready after ${timeoutSeconds} s: ${r.message}`);
    await sleep(2000);
  }
}

function runE2e(baseUrl: string): Promise<number> {
  const mocha = createRequire(import.meta.url).resolve('mocha/bin/mocha.js');
  const child = spawn(process.execPath, [mocha, '--config', 'test/e2e/.mocharc.json'], {
    cwd: repoRoot,
    stdio: 'inherit',
    env: { ...process.env, BASE_URL: baseUrl },
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function smoke(kc: KubeConfig, opts: SmokeOptions): Promise<number> {
  const { namespace, release } = opts;
  const apps = kc.makeApiClient(AppsV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const server = kc.getCurrentCluster()?.server ?? '?';
  const api = names.api(release);
  const redis = names.redis(release);
  console.log(`smoke: context ${kc.getCurrentContext()} (${server}), namespace ${namespace}, release ${release}`);

  try {
    await core.readNamespace({ name: namespace });
  } catch (err) {
    if (isNotFound(err)) throw new Error(`namespace ${namespace} does not exist in context ${kc.getCurrentContext()}`);
    throw new Error(describeClusterError(err, server));
  }

  const deadline = Date.now() + opts.timeoutSeconds * 1000;
  const missing = (kind: string, name: string) =>
    new Error(`${kind} ${name} not found in namespace ${namespace}: is release "${release}" installed there?`);
  await waitFor(deadline, opts.timeoutSeconds, async () => {
    try {
      return statefulSetReadiness(await apps.readNamespacedStatefulSet({ name: redis, namespace }));
    } catch (err) {
      throw isNotFound(err) ? missing('statefulset', redis) : err;
    }
  });
  await waitFor(deadline, opts.timeoutSeconds, async () => {
    try {
      return deploymentReadiness(await apps.readNamespacedDeployment({ name: api, namespace }));
    } catch (err) {
      throw isNotFound(err) ? missing('deployment', api) : err;
    }
  });

  const service = await core.readNamespacedService({ name: api, namespace });
  const pods = await core.listNamespacedPod({ namespace, labelSelector: serviceLabelSelector(service) });
  const pod = pickServicePod(service, pods.items);
  const podPort = resolveTargetPort(service, pod, 'http');
  const tunnel = await openTunnel(kc, namespace, pod.metadata?.name ?? '', podPort, opts.localPort);
  const baseUrl = `http://127.0.0.1:${tunnel.localPort}`;
  console.log(`smoke: ${baseUrl} -> pod ${pod.metadata?.name}:${podPort} (service ${api}); running test/e2e`);
  try {
    return await runE2e(baseUrl);
  } finally {
    await tunnel.close();
  }
}

async function main(): Promise<number> {
  let opts: SmokeOptions;
  try {
    opts = parseSmokeArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`smoke: ${err instanceof Error ? err.message : String(err)}\n\n${usage}`);
    return 2;
  }
  if (opts.help) {
    console.log(usage);
    return 0;
  }
  try {
    return await smoke(loadKubeConfig(), opts);
  } catch (err) {
    console.error(`smoke: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

process.exitCode = await main();
