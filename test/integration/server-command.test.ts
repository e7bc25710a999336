import { expect } from 'chai';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedis, type RedisServer } from '../../hack/lib/redis-server.js';
import { serverEntry, serverNodeFlags } from '../../hack/lib/server-command.js';
import { imageCommand } from '../helpers/image.js';
import { spawnService, type ServiceProcess } from '../helpers/service-process.js';

const root = new URL('../../', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, root), 'utf8');

describe('the server command (hack/lib/server-command.ts)', () => {
  let redis: RedisServer;
  const services: ServiceProcess[] = [];
  const dirs: string[] = [];
  beforeEach(async () => {
    redis = await startRedis({ persistent: false });
  });
  afterEach(async () => {
    await Promise.all(services.splice(0).map((s) => s.stop('SIGKILL')));
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    await redis.dispose();
  });

  it('is what the image runs and what npm start runs', () => {
    expect(imageCommand()).to.deep.equal(['node', '--disable-sigusr1', ...serverNodeFlags, 'dist/server.js']);
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).to.equal(['node', ...serverNodeFlags, 'dist/server.js'].join(' '));
  });

  it('runs the bundle from a folder with only package.json beside it, as the image does (no node_modules)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reas-bundle-'));
    dirs.push(dir);
    copyFileSync(new URL('package.json', root), join(dir, 'package.json'));
    copyFileSync(serverEntry, join(dir, 'server.js'));
    const service = await spawnService({ REDIS_URL: redis.url }, { entry: join(dir, 'server.js') });
    services.push(service);
    const inc = await fetch(`${service.url}/inc`, { method: 'POST' });
    expect([inc.status, await inc.text()]).to.deep.equal([200, '1']);
    expect(await service.stop('SIGTERM')).to.equal(0);
    for (const line of service.output().trim().split('\n')) expect(() => JSON.parse(line) as unknown, line).not.to.throw();
  });

  it('needs its --disable-warning on Node 24 and later: without it Node prints the url.parse() deprecation of the bundled ioredis', async () => {
    // When this fails on Node 24+, ioredis stopped calling url.parse(): drop the flag from serverNodeFlags, the
    // Dockerfile and npm start. Node 22 has the deprecation in its documentation only, and stays quiet.
    const service = await spawnService({ REDIS_URL: redis.url }, { nodeFlags: [] });
    services.push(service);
    expect(await service.stop('SIGTERM')).to.equal(0);
    const runtimeDeprecation = Number(process.versions.node.split('.')[0]) >= 24;
    expect(service.output().includes('[DEP0169]'), service.output()).to.equal(runtimeDeprecation);
  });

  it('introduces itself to Redis with the version of the ioredis it carries (CLIENT SETINFO LIB-VER), as unbundled', async () => {
    // Through a relay that keeps what the service sends: the Redis here (7.0) predates CLIENT SETINFO, so it does
    // not show the version in CLIENT LIST, but ioredis sends it all the same.
    let sent = '';
    const relay: Server = createServer((client) => {
      const upstream = connect(redis.port, '127.0.0.1');
      client.on('data', (chunk: Buffer) => (sent += chunk.toString('latin1')));
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    relay.listen(0, '127.0.0.1');
    await once(relay, 'listening');
    try {
      const { port } = relay.address() as AddressInfo;
      const service = await spawnService({ REDIS_URL: `redis://127.0.0.1:${port}` });
      services.push(service);
      const { version } = JSON.parse(read('node_modules/ioredis/package.json')) as { version: string };
      const deadline = Date.now() + 5000;
      while (!sent.includes('LIB-VER') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(sent).to.include(`$7\r\nLIB-VER\r\n$${version.length}\r\n${version}\r\n`);
    } finally {
      await Promise.all(services.splice(0).map((s) => s.stop('SIGKILL')));
      relay.close();
    }
  });
});
