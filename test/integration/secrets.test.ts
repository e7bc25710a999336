import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedis, type RedisServer } from '../../hack/lib/redis-server.js';
import { spawnService, type ServiceProcess } from '../helpers/service-process.js';

// Characters a generated password may hold and that a URL must percent-encode.
const SECRET = 'S3cr3t-a/b#c?d';
const encoded = encodeURIComponent(SECRET);

/** Every way the secret could be spelled in output: as is, URL-encoded, JSON-escaped, and its distinctive core. */
function leaks(text: string): string[] {
  return [SECRET, encoded, JSON.stringify(SECRET).slice(1, -1), 'S3cr3t'].filter((form) => text.includes(form));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('secrets in output (dist/server.js)', () => {
  let redis: RedisServer;
  let dir: string;
  const services: ServiceProcess[] = [];
  beforeEach(async () => {
    redis = await startRedis({ password: 'the-right-one', persistent: false });
    dir = mkdtempSync(join(tmpdir(), 'reas-secrets-'));
  });
  afterEach(async () => {
    await Promise.all(services.splice(0).map((s) => s.stop('SIGKILL')));
    await redis.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Runs the service at trace level (every log line it can write), lets it retry Redis a few
   * times, calls every route, stops it, and returns everything it wrote and answered.
   */
  async function scenario(env: Record<string, string>, during?: (service: ServiceProcess) => Promise<void>): Promise<string> {
    const service = await spawnService({ REDIS_URL: redis.url, LOG_LEVEL: 'trace', ...env }, { waitFor: '/ok' });
    services.push(service);
    if (during !== undefined) await during(service);
    // ioredis retries at most once a second: three seconds give several failed attempts.
    await sleep(3000);
    let answers = '';
    for (const [method, path] of [['GET', '/readyz'], ['POST', '/inc'], ['GET', '/count'], ['GET', '/metrics'], ['GET', '/nope']]) {
      const res = await fetch(service.url + path, { method, headers: { Accept: path === '/inc' ? 'application/json' : '*/*' } });
      answers += `${res.status} ${JSON.stringify([...res.headers])} ${await res.text()}\n`;
    }
    await service.stop('SIGTERM');
    return service.output() + answers;
  }

  it('keeps a wrong REDIS_PASSWORD out of every line', async () => {
    const output = await scenario({ REDIS_PASSWORD: SECRET });
    expect(output).to.match(/redis connection error/);
    expect(leaks(output)).to.deep.equal([]);
  });

  it('keeps a wrong password from REDIS_PASSWORD_FILE out of every line', async () => {
    const file = join(dir, 'password');
    writeFileSync(file, `${SECRET}\n`);
    const output = await scenario({ REDIS_PASSWORD_FILE: file });
    expect(output).to.match(/redis connection error/);
    expect(leaks(output)).to.deep.equal([]);
  });

  it('keeps the password of a user:pass@ REDIS_URL out of every line', async () => {
    const output = await scenario({ REDIS_URL: `redis://default:${encoded}@127.0.0.1:${redis.port}` });
    expect(output).to.match(/redis connection error/);
    expect(leaks(output)).to.deep.equal([]);
  });

  it('keeps a password given as the only userinfo of REDIS_URL out of every line', async () => {
    const output = await scenario({ REDIS_URL: `redis://${encoded}@127.0.0.1:${redis.port}` });
    expect(output).to.match(/"msg":"listening"/);
    expect(leaks(output)).to.deep.equal([]);
  });

  it('keeps the password of a REDIS_URL that does not parse out of the exit message', async () => {
    // An unencoded password with a "/" in it: the URL parser sees a path and an empty port.
    const service = await spawnService({ REDIS_URL: `redis://default:${SECRET}@127.0.0.1:notaport` }, { waitFor: 'nothing' });
    services.push(service);
    expect(await service.exited()).to.equal(1);
    expect(service.output()).to.match(/invalid configuration: REDIS_URL/);
    expect(leaks(service.output())).to.deep.equal([]);
  });

  it('keeps the password out of every line when rediss:// meets a Redis without TLS', async () => {
    const output = await scenario({ REDIS_URL: `rediss://default:${encoded}@127.0.0.1:${redis.port}`, REDIS_TIMEOUT_MS: '200' });
    expect(output).to.match(/redis connection error/);
    expect(leaks(output)).to.deep.equal([]);
  });

  it('keeps the old password out of every line after Redis restarts with a new one', async () => {
    await redis.dispose();
    redis = await startRedis({ password: SECRET, persistent: false });
    const output = await scenario({ REDIS_PASSWORD: SECRET }, async (service) => {
      while ((await fetch(`${service.url}/readyz`)).status !== 200) await sleep(50);
      expect((await fetch(`${service.url}/inc`, { method: 'POST' })).status).to.equal(200);
      const port = redis.port;
      await redis.dispose();
      // The same port, a new password: the service's reconnection is refused.
      redis = await startRedis({ password: 'rotated-password', persistent: false, port });
    });
    expect(output).to.match(/redis connection error/);
    expect(leaks(output)).to.deep.equal([]);
  });
});
