import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect, createServer } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { startRedis, type RedisServer } from '../../hack/lib/redis-server.js';
import { spawnService, type ServiceProcess } from '../helpers/service-process.js';
import { directClient } from '../helpers/app-server.js';

const post = (url: string) => fetch(url, { method: 'POST' }).then(async (r) => [r.status, await r.text()] as const);

describe('the server process (dist/server.js)', () => {
  let redis: RedisServer;
  let direct: Redis;
  const services: ServiceProcess[] = [];
  const start = async (env: Record<string, string> = {}, waitFor: '/readyz' | '/ok' = '/readyz') => {
    const service = await spawnService({ REDIS_URL: redis.url, ...env }, { waitFor });
    services.push(service);
    return service;
  };
  beforeEach(async () => {
    redis = await startRedis();
    direct = directClient(redis.url);
  });
  afterEach(async () => {
    await Promise.all(services.splice(0).map((s) => s.stop('SIGKILL')));
    direct.disconnect();
    await redis.dispose();
  });

  describe('start-up', () => {
    it('never resets or initialises the count', async () => {
      await direct.set('count', '42');
      const service = await start();
      expect(await (await fetch(`${service.url}/count`)).text()).to.equal('42');
      expect(await direct.get('count')).to.equal('42');
    });

    it('keeps the count across a restart', async () => {
      const first = await start();
      for (let i = 0; i < 3; i++) await post(`${first.url}/inc`);
      expect(await first.stop('SIGTERM')).to.equal(0);
      const second = await start({ PORT: String(first.port) });
      expect(await (await fetch(`${second.url}/count`)).text()).to.equal('3');
      expect(await post(`${second.url}/inc`)).to.deep.equal([200, '4']);
    });

    it('shares one count between replicas', async () => {
      const [a, b] = await Promise.all([start(), start()]);
      const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => post(`${(i % 2 ? a : b).url}/inc`)));
      expect(answers.every(([status]) => status === 200)).to.equal(true);
      expect(await (await fetch(`${a.url}/count`)).text()).to.equal('100');
      expect(await (await fetch(`${b.url}/count`)).text()).to.equal('100');
    });

    it('starts while Redis is down, answers /ok, and serves once Redis is up', async () => {
      await redis.stop();
      const service = await start({}, '/ok');
      expect((await fetch(`${service.url}/ok`)).status).to.equal(200);
      expect((await fetch(`${service.url}/readyz`)).status).to.equal(503);
      expect((await post(`${service.url}/inc`))[0]).to.equal(503);
      await redis.start();
      const deadline = Date.now() + 5000;
      while ((await fetch(`${service.url}/readyz`)).status !== 200) {
        if (Date.now() > deadline) throw new Error('not ready 5 s after Redis came back');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(await post(`${service.url}/inc`)).to.deep.equal([200, '1']);
    });

    it('writes structured JSON logs', async () => {
      const service = await start();
      await service.stop('SIGTERM');
      const lines = service.output().trim().split('\n');
      expect(lines.length).to.be.at.least(3);
      for (const line of lines) {
        const entry = JSON.parse(line) as Record<string, unknown>;
        expect(entry).to.include.keys('level', 'time', 'msg');
      }
      expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).to.include.members(['listening', 'stopped']);
    });
  });

  describe('Redis authentication', () => {
    let dir: string;
    beforeEach(async () => {
      await redis.dispose();
      redis = await startRedis({ password: 'from-secret' });
      dir = mkdtempSync(join(tmpdir(), 'reas-secret-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('reads the password from REDIS_PASSWORD_FILE', async () => {
      const file = join(dir, 'redis-password');
      writeFileSync(file, 'from-secret\n');
      const service = await start({ REDIS_PASSWORD_FILE: file });
      expect(await post(`${service.url}/inc`)).to.deep.equal([200, '1']);
    });

    it('answers 503 and is not ready when the password is wrong', async () => {
      const service = await start({ REDIS_PASSWORD: 'wrong' }, '/ok');
      expect((await fetch(`${service.url}/readyz`)).status).to.equal(503);
      expect((await post(`${service.url}/inc`))[0]).to.equal(503);
      expect((await fetch(`${service.url}/ok`)).status).to.equal(200);
    });
  });

  describe('bad configuration', () => {
    const cases: Array<[string, Record<string, string>, RegExp]> = [
      ['a non-numeric PORT', { PORT: 'five-thousand' }, /invalid configuration: PORT: must be a whole number/],
      ['an invalid REDIS_URL', { REDIS_URL: 'not a url' }, /invalid configuration: REDIS_URL: must be a redis:\/\/ or rediss:\/\/ URL/],
      ['an unreadable REDIS_PASSWORD_FILE', { REDIS_PASSWORD_FILE: '/nonexistent/secret' }, /invalid configuration: REDIS_PASSWORD_FILE: cannot read/],
    ];
    for (const [what, env, message] of cases) {
      it(`exits 1 at start on ${what}, naming the variable`, async () => {
        const service = await spawnService({ REDIS_URL: redis.url, ...env }, { waitFor: 'nothing' });
        services.push(service);
        expect(await service.exited()).to.equal(1);
        expect(service.output()).to.match(message);
      });
    }

    it('exits 1 when its port is taken, naming PORT and suggesting another', async () => {
      const blocker = createServer();
      await new Promise<void>((resolve) => blocker.listen(0, '0.0.0.0', resolve));
      const port = (blocker.address() as { port: number }).port;
      try {
        const service = await spawnService({ REDIS_URL: redis.url, PORT: String(port) }, { waitFor: 'nothing' });
        services.push(service);
        expect(await service.exited()).to.equal(1);
        expect(service.output()).to.include('cannot listen').and.include(`port ${port} is in use: set PORT to a free one, e.g. PORT=${port === 65535 ? 5001 : port + 1}`);
      } finally {
        blocker.close();
      }
    });
  });

  describe('shutdown', () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      it(`on ${signal} finishes every in-flight request, refuses new connections, and exits 0`, async () => {
        const service = await start({ REDIS_TIMEOUT_MS: '5000' });
        // With Redis paused, the requests are still in flight when the signal arrives; the pause
        // leaves time for all 20 to reach the server even on a loaded machine.
        redis.pause();
        const inFlight = Array.from({ length: 20 }, () => post(`${service.url}/inc`));
        await new Promise((resolve) => setTimeout(resolve, 500));
        service.child.kill(signal);
        await new Promise((resolve) => setTimeout(resolve, 150));
        // A new TCP connection: fetch would reuse its pooled keep-alive one, which the drain
        // still answers (with Connection: close).
        const probe = connect(service.port, '127.0.0.1');
        // events.once rejects with the socket's 'error'.
        const refused = await once(probe, 'connect').then(
          () => 'accepted',
          (error: NodeJS.ErrnoException) => error.code,
        );
        probe.destroy();
        redis.resume();
        const answers = await Promise.all(inFlight);
        expect(answers.filter(([status]) => status !== 200)).to.deep.equal([]);
        expect(answers.map(([, body]) => Number(body)).sort((a, b) => a - b)).to.deep.equal(
          Array.from({ length: 20 }, (_, i) => i + 1),
        );
        expect(refused).to.equal('ECONNREFUSED');
        expect(await service.exited()).to.equal(0);
        expect(await direct.get('count')).to.equal('20');
      });
    }

    it('on SIGTERM answers a keep-alive client with Connection: close instead of closing the connection under it', async () => {
      const service = await start();
      // One socket, so every request until the drain travels on the same keep-alive connection.
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      type Outcome = { status?: number; body?: string; connection?: string; error?: string };
      const send = () =>
        new Promise<Outcome>((resolve) => {
          const req = request(`${service.url}/inc`, { method: 'POST', agent }, (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => (body += chunk));
            res.on('end', () => resolve({ status: res.statusCode, body, connection: res.headers.connection }));
          });
          req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code }));
          req.end();
        });
      const outcomes: Outcome[] = [];
      try {
        // Sends until the server stops accepting: the drain must have told the client to close
        // first, so the only failure is the refused new connection, which never reached it.
        while (outcomes.length < 500) {
          const outcome = await send();
          outcomes.push(outcome);
          if (outcome.error !== undefined) break;
          if (outcomes.length === 5) service.child.kill('SIGTERM');
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      } finally {
        agent.destroy();
      }
      const answered = outcomes.slice(0, -1);
      expect(outcomes.at(-1)).to.deep.equal({ error: 'ECONNREFUSED' });
      expect(answered.length).to.be.at.least(5);
      expect(answered.map((o) => [o.status, o.body])).to.deep.equal(answered.map((_, i) => [200, String(i + 1)]));
      expect(answered.slice(0, -1).every((o) => o.connection === 'keep-alive')).to.equal(true);
      expect(answered.at(-1)?.connection).to.equal('close');
      expect(await service.exited()).to.equal(0);
      expect(await direct.get('count')).to.equal(String(answered.length));
    });

    it('gives up on requests still running after SHUTDOWN_TIMEOUT_MS and exits 1', async () => {
      const service = await start({ SHUTDOWN_TIMEOUT_MS: '300', REDIS_TIMEOUT_MS: '10000' });
      redis.pause();
      const stuck = fetch(`${service.url}/inc`, { method: 'POST' }).then(
        (r) => r.status,
        () => 'cut',
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      const started = Date.now();
      expect(await service.stop('SIGTERM')).to.equal(1);
      expect(Date.now() - started).to.be.below(3000);
      expect(await stuck).to.equal('cut');
    });
  });
});
