import { expect } from 'chai';
import { Ledger, call, exclusive } from './target.js';

// Runs against a live deployment (helm test, compose, Swarm, skaffold verify): every increment
// is undone, and no check assumes that nobody else changes the count meanwhile.
describe(`reas API`, () => {
  let ledger: Ledger;
  beforeEach(() => {
    ledger = new Ledger();
  });
  afterEach(async () => ledger.settle());

  describe('GET /ok', () => {
    it('answers 200 with the original body, as text', async () => {
      const res = await call('GET', '/ok');
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.equal('text/plain; charset=utf-8');
      expect(res.body).to.equal('gin OK');
    });
  });

  describe('GET /readyz', () => {
    it('answers 200 while Redis answers', async () => {
      expect((await call('GET', '/readyz')).status).to.equal(200);
    });
  });

  describe('GET /count', () => {
    it('answers an integer as text', async () => {
      const res = await call('GET', '/count');
      expect(res.status).to.equal(200);
      expect(res.body).to.match(/^-?\d+$/);
    });

    it('answers {"count": N} to a JSON client', async () => {
      const res = await call('GET', '/count', { Accept: 'application/json' });
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.equal('application/json; charset=utf-8');
      expect(JSON.parse(res.body)).to.have.all.keys('count');
    });
  });

  describe('POST /inc and POST /dec', () => {
    it('answer the new count as text', async () => {
      const inc = await ledger.inc();
      expect(inc.status).to.equal(200);
      expect(inc.body).to.match(/^-?\d+$/);
      const dec = await ledger.dec();
      expect(dec.status).to.equal(200);
      expect(dec.body).to.match(/^-?\d+$/);
    });

    it('give 50 parallel increments 50 distinct answers', async () => {
      // Concurrent decrements by others could repeat a value, so this holds only without them;
      // increments by others only make the answers larger, never equal.
      const answers = await Promise.all(Array.from({ length: 50 }, () => ledger.inc()));
      expect(answers.map((a) => a.status)).to.deep.equal(Array(50).fill(200));
      if (exclusive) expect(new Set(answers.map((a) => a.body)).size).to.equal(50);
    });
  });

  describe('errors', () => {
    it('answer 404 to an unknown route', async () => {
      const res = await call('GET', '/no-such-route');
      expect(res.status).to.equal(404);
      expect(res.body).to.equal('No route for GET /no-such-route');
    });

    it('answer 405 with Allow to a wrong method, without counting', async () => {
      const res = await call('GET', '/inc');
      expect(res.status).to.equal(405);
      expect(res.headers.get('allow')).to.equal('POST');
    });

    it('answer in JSON to a JSON client', async () => {
      const res = await call('DELETE', '/count', { Accept: 'application/json' });
      expect(res.status).to.equal(405);
      expect(JSON.parse(res.body)).to.deep.include({ error: { code: 'METHOD_NOT_ALLOWED', message: 'DELETE is not allowed on /count; allowed: HEAD, GET' } });
    });
  });

  describe('GET /metrics', () => {
    it('exposes request counters in the Prometheus format', async () => {
      await call('GET', '/ok');
      const res = await call('GET', '/metrics');
      expect(res.status).to.equal(200);
      expect(res.body).to.match(/^reas_http_requests_total\{method="GET",route="\/ok",status="200"\} \d+$/m);
    });
  });

  if (exclusive) {
    describe('on a deployment nobody else uses (E2E_EXCLUSIVE=true)', () => {
      it('runs the original scenario: count 0, inc 1 2 3, dec 2, count 2', async () => {
        const start = await call('GET', '/count');
        expect(start.body, 'the count must start at 0: the deployment is not fresh').to.equal('0');
        expect((await ledger.inc()).body).to.equal('1');
        expect((await ledger.inc()).body).to.equal('2');
        expect((await ledger.inc()).body).to.equal('3');
        expect((await ledger.dec()).body).to.equal('2');
        expect((await call('GET', '/count')).body).to.equal('2');
      });

      it('raises the count by exactly 200 under 200 parallel increments', async () => {
        const before = Number((await call('GET', '/count')).body);
        const answers = await Promise.all(Array.from({ length: 200 }, () => ledger.inc()));
        expect(answers.every((a) => a.status === 200)).to.equal(true);
        expect(Number((await call('GET', '/count')).body)).to.equal(before + 200);
      });
    });
  }
});
