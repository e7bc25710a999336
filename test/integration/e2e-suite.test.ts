import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { startRedis, type RedisServer } from '../../hack/lib/redis-server.js';
import { spawnService, type ServiceProcess } from '../helpers/service-process.js';
import { directClient } from '../helpers/app-server.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const mocha = fileURLToPath(new URL('../../node_modules/mocha/bin/mocha.js', import.meta.url));

/** Runs test/e2e exactly as the test image does, against `baseUrl`. */
function runSuite(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [mocha, '--config', 'test/e2e/.mocharc.json'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

describe('the e2e suite of the test image (test/e2e)', function () {
  this.timeout(60_000);
  let redis: RedisServer;
  let direct: Redis;
  let service: ServiceProcess;
  beforeEach(async () => {
    redis = await startRedis();
    direct = directClient(redis.url);
    service = await spawnService({ REDIS_URL: redis.url });
  });
  afterEach(async () => {
    await service.stop();
    direct.disconnect();
    await redis.dispose();
  });

  it('passes on a fresh deployment with E2E_EXCLUSIVE=true and leaves the count at 0', async () => {
    const { code, output } = await runSuite({ BASE_URL: service.url, E2E_EXCLUSIVE: 'true' });
    expect(code, output).to.equal(0);
    expect(output).to.match(/\n\d+ passed, 0 failed/);
    expect(output).to.include('runs the original scenario');
    expect(await direct.get('count')).to.equal('0');
  });

  it('passes under concurrent traffic and leaves only that traffic in the count', async () => {
    await direct.set('count', '1000');
    let running = true;
    let othersIncs = 0;
    const traffic = (async () => {
      while (running) {
        const res = await fetch(`${service.url}/inc`, { method: 'POST' });
        if (res.status === 200) othersIncs += 1;
        await res.text();
      }
    })();
    const { code, output } = await runSuite({ BASE_URL: service.url });
    running = false;
    await traffic;
    expect(code, output).to.equal(0);
    expect(othersIncs).to.be.greaterThan(0);
    expect(await direct.get('count')).to.equal(String(1000 + othersIncs));
  });

  it('fails when the deployment answers wrongly', async () => {
    await direct.set('count', 'not-a-number');
    const { code, output } = await runSuite({ BASE_URL: service.url });
    expect(code).to.not.equal(0);
    expect(output).to.match(/[1-9]\d* failed/);
    await direct.del('count');
  });

  it('fails with a clear message when BASE_URL is missing', async () => {
    const { code, output } = await runSuite({});
    expect(code).to.not.equal(0);
    expect(output).to.include('BASE_URL is not set');
  });
});
