import { expect } from 'chai';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedis, type RedisServer } from '../../hack/lib/redis-server.js';
import { serverEntry, serverNodeFlags } from '../../hack/lib/server-command.js';
import { imageNode } from '../helpers/image-node.js';
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
    const cmd = [...read('Dockerfile').matchAll(/^CMD (\[.*\])$/gm)].at(-1)?.[1];
    expect(JSON.parse(cmd ?? '[]')).to.deep.equal(['node', '--disable-sigusr1', ...serverNodeFlags, 'dist/server.js']);
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

  it("needs its --disable-warning on the image's Node: without it Node prints the url.parse() deprecation of the bundled ioredis", async () => {
    // When this fails, ioredis stopped calling url.parse(): drop the flag from serverNodeFlags, the Dockerfile and npm start.
    const service = await spawnService({ REDIS_URL: redis.url }, { nodeFlags: [], node: imageNode() });
    services.push(service);
    expect(await service.stop('SIGTERM')).to.equal(0);
    expect(service.output()).to.include('[DEP0169]');
  });
});
