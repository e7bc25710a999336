import { expect } from 'chai';
import { rawFixture } from '../helpers/raw-http.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** A POST /inc whose announced body never comes. */
const bodyless = 'POST /inc HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n';

describe('limits on clients (dist/server.js, raw sockets)', () => {
  const raw = rawFixture();
  const { start, open } = raw;

  describe('REQUEST_TIMEOUT_MS', () => {
    it('answers 408 to a request whose body does not arrive in time, and counts nothing', async () => {
      const service = await start({ REQUEST_TIMEOUT_MS: '500' });
      const client = await open(service.port);
      client.write(bodyless);
      const answers = await client.all();
      expect(answers.map((a) => a.status)).to.deep.equal([408]);
      expect(await raw.direct.get('count')).to.equal(null);
    });
  });

  describe('shutdown with a slow client', () => {
    it('closes a request whose body has not arrived at once and exits 0', async () => {
      // Without the fix the drain waits SHUTDOWN_TIMEOUT_MS for the body, then cuts it and exits 1.
      const service = await start({ SHUTDOWN_TIMEOUT_MS: '5000', REQUEST_TIMEOUT_MS: '60000' });
      const client = await open(service.port);
      client.write(bodyless);
      await sleep(300);
      service.child.kill('SIGTERM');
      expect(await service.exited()).to.equal(0);
      await client.closed;
      expect(client.text()).to.equal('');
      expect(await raw.direct.get('count')).to.equal(null);
    });
  });

  describe('MAX_CONNECTIONS', () => {
    it('closes connections past the cap as they arrive and serves the others', async () => {
      const service = await start({ MAX_CONNECTIONS: '3' });
      const held = await Promise.all([1, 2, 3].map(() => open(service.port)));
      // Accepted connections are counted once the server has seen them: one request each.
      for (const client of held) {
        client.write('GET /ok HTTP/1.1\r\nHost: t\r\n\r\n');
        expect((await client.responses(1))[0]?.status).to.equal(200);
      }
      const extra = await open(service.port);
      extra.write('POST /inc HTTP/1.1\r\nHost: t\r\n\r\n');
      await extra.closed;
      expect(extra.text()).to.equal('');
      expect(await raw.direct.get('count')).to.equal(null);
      // Once a held connection closes (the server sees it shortly after), a new one is served.
      held[0]?.destroy();
      let answer;
      for (let attempt = 0; answer === undefined && attempt < 50; attempt++) {
        await sleep(100);
        const next = await open(service.port);
        next.write('GET /ok HTTP/1.1\r\nHost: t\r\n\r\n');
        answer = (await next.responses(1))[0];
      }
      expect(answer).to.deep.include({ status: 200, body: 'gin OK' });
      expect(service.output()).to.include('MAX_CONNECTIONS reached');
    });
  });
});
