import { expect } from 'chai';
import type { ServiceProcess } from '../helpers/service-process.js';
import { rawFixture } from '../helpers/raw-http.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const inc = 'POST /inc HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n';

/** Resolves once the service has logged that its drain started. */
async function draining(service: ServiceProcess): Promise<void> {
  while (!service.output().includes('shutting down')) await sleep(10);
}

// "Every request whose command reached Redis gets its own answer": each test compares what Redis
// counted with what the client was answered.
describe('answers for applied requests (dist/server.js, raw sockets)', () => {
  const raw = rawFixture();
  const { start, open } = raw;

  describe('pipelined requests at shutdown', () => {
    it('answers every increment it applies when 10 are pipelined after SIGTERM', async () => {
      const service = await start();
      const client = await open(service.port);
      client.write('GET /ok HTTP/1.1\r\nHost: t\r\n\r\n');
      expect((await client.responses(1))[0]).to.deep.include({ status: 200, body: 'gin OK' });
      service.child.kill('SIGTERM');
      await draining(service);
      client.write(inc.repeat(10));
      const [, ...answers] = await client.all();
      expect(answers.length).to.be.at.least(1);
      expect(answers.map((a) => [a.status, a.body])).to.deep.equal(answers.map((_, i) => [200, String(i + 1)]));
      expect(answers.at(-1)?.headers.connection).to.equal('close');
      expect(await raw.direct.get('count')).to.equal(String(answers.length));
      expect(await service.exited()).to.equal(0);
    });

    it('answers all 10 increments pipelined just before SIGTERM', async () => {
      const service = await start({ REDIS_TIMEOUT_MS: '5000' });
      const client = await open(service.port);
      // Redis paused: the 10 commands are in flight when the signal arrives.
      raw.redis.pause();
      client.write(inc.repeat(10));
      await sleep(300);
      service.child.kill('SIGTERM');
      await draining(service);
      raw.redis.resume();
      const answers = await client.all();
      expect(answers.map((a) => [a.status, a.body])).to.deep.equal(Array.from({ length: 10 }, (_, i) => [200, String(i + 1)]));
      expect(answers.slice(0, -1).every((a) => a.headers.connection === 'keep-alive')).to.equal(true);
      expect(answers.at(-1)?.headers.connection).to.equal('close');
      expect(await raw.direct.get('count')).to.equal('10');
      expect(await service.exited()).to.equal(0);
    });
  });

  describe('a request that ends its connection, followed by more bytes', () => {
    const cases: Array<[string, string]> = [
      ['HTTP/1.0', 'POST /inc HTTP/1.0\r\n\r\n'],
      ['Connection: close', 'POST /inc HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n'],
    ];
    for (const [what, request] of cases) {
      it(`answers the ${what} request it applied, and applies nothing after it`, async () => {
        const service = await start();
        const client = await open(service.port);
        client.write(request + request);
        const answers = await client.all();
        expect(answers.map((a) => [a.status, a.body])).to.deep.equal([[200, '1']]);
        expect(client.text()).not.to.match(/400 Bad Request/);
        await sleep(100);
        expect(await raw.direct.get('count')).to.equal('1');
      });
    }
  });
});
