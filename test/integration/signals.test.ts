import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import type { Redis } from 'ioredis';
import { startRedis, type RedisServer } from '../../hack/lib/redis-server.js';
import { imageCommand, imageNode } from '../helpers/image.js';
import { spawnService, serverEntry, type ServiceProcess } from '../helpers/service-process.js';
import { directClient } from '../helpers/app-server.js';
import { freePort } from '../../hack/lib/free-port.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A Node that has --disable-sigusr1 (22.14+): the one running the tests, or one of the image's line. */
function nodeWithDisableSigusr1(): string {
  return process.allowedNodeEnvironmentFlags.has('--disable-sigusr1') ? process.execPath : imageNode();
}

describe('signals (dist/server.js)', () => {
  let redis: RedisServer;
  let direct: Redis;
  const services: ServiceProcess[] = [];
  beforeEach(async () => {
    redis = await startRedis({ persistent: false });
    direct = directClient(redis.url);
  });
  afterEach(async () => {
    redis.resume();
    await Promise.all(services.splice(0).map((s) => s.stop('SIGKILL')));
    direct.disconnect();
    await redis.dispose();
  });

  it('drains on SIGHUP like on SIGTERM: in-flight requests are answered, exit 0', async () => {
    const service = await spawnService({ REDIS_URL: redis.url, REDIS_TIMEOUT_MS: '5000' });
    services.push(service);
    redis.pause();
    const inFlight = Array.from({ length: 5 }, () => fetch(`${service.url}/inc`, { method: 'POST' }).then((r) => r.status));
    await sleep(300);
    service.child.kill('SIGHUP');
    await sleep(100);
    redis.resume();
    expect(await Promise.all(inFlight)).to.deep.equal([200, 200, 200, 200, 200]);
    expect(await service.exited()).to.equal(0);
    expect(await direct.get('count')).to.equal('5');
  });

  it('neither opens the inspector nor dies on SIGUSR1, run as the image runs it', async () => {
    const [node, ...args] = imageCommand();
    expect(node).to.equal('node');
    expect(args.at(-1)).to.equal('dist/server.js');
    const port = await freePort();
    const child = spawn(nodeWithDisableSigusr1(), [...args.slice(0, -1), serverEntry], {
      env: { PATH: process.env.PATH ?? '', PORT: String(port), REDIS_URL: redis.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      while (!output.includes('"msg":"listening"')) {
        if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}:\n${output}`);
        await sleep(50);
      }
      child.kill('SIGUSR1');
      await sleep(500);
      const inspector = connect(9229, '127.0.0.1');
      const reached = await once(inspector, 'connect').then(
        () => 'listening',
        (error: NodeJS.ErrnoException) => error.code,
      );
      inspector.destroy();
      expect(reached).to.equal('ECONNREFUSED');
      expect(child.exitCode).to.equal(null);
      expect(output).not.to.include('Debugger listening');
    } finally {
      child.kill('SIGKILL');
    }
  });
});
