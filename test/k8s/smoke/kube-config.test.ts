import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findKubeconfigSource } from '../../../k8s/tools/kube-config.js';

const run = promisify(execFile);

describe('kubeconfig discovery', () => {
  const none = () => false;

  it('uses the first existing file in KUBECONFIG', () => {
    const exists = (p: string) => p === '/b';
    expect(findKubeconfigSource({ KUBECONFIG: '/a:/b' }, '/home/u', exists)).to.deep.equal({ kind: 'file', path: '/b' });
  });

  it('names the missing file when KUBECONFIG points nowhere', () => {
    expect(() => findKubeconfigSource({ KUBECONFIG: '/nope' }, '/home/u', none)).to.throw(/KUBECONFIG names \/nope, which does not exist/);
  });

  it('falls back to ~/.kube/config', () => {
    const exists = (p: string) => p === '/home/u/.kube/config';
    expect(findKubeconfigSource({}, '/home/u', exists)).to.deep.equal({ kind: 'file', path: '/home/u/.kube/config' });
  });

  it('says no kubeconfig exists instead of letting the client try localhost:8080', () => {
    expect(() => findKubeconfigSource({}, '/home/u', none)).to.throw(/no cluster reachable: no kubeconfig .*kind create cluster/);
  });
});

describe('npm run smoke without a cluster', function () {
  this.timeout(30000);
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'reas-smoke-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function smoke(env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string }> {
    const { KUBECONFIG: _k, ...rest } = process.env;
    try {
      await run(process.execPath, ['--import', 'tsx', 'k8s/tools/smoke.ts', '--timeout', '5'], { env: { ...rest, ...env } });
      return { code: 0, stderr: '' };
    } catch (err) {
      const e = err as { code: number; stderr: string };
      return { code: e.code, stderr: e.stderr };
    }
  }

  it('exits 1 naming the missing kubeconfig', async () => {
    const r = await smoke({ HOME: dir });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/no cluster reachable: no kubeconfig/);
  });

  it('exits 1 with "connection refused" when the API server port is closed', async () => {
    // A port that was free a moment ago: bound, read, released, so nothing listens on it.
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const kubeconfig = join(dir, 'config');
    await writeFile(kubeconfig, [
      'apiVersion: v1', 'kind: Config', 'current-context: c',
      `clusters: [{name: c, cluster: {server: "https://127.0.0.1:${port}"}}]`,
      'users: [{name: u, user: {token: t}}]',
      'contexts: [{name: c, context: {cluster: c, user: u}}]',
    ].join('\n'));
    const r = await smoke({ KUBECONFIG: kubeconfig });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.include(`no cluster reachable at https://127.0.0.1:${port}: connection refused`);
  });
});
