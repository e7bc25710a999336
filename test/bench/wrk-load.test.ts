import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ensureWrk, runWrk } from '../../bench/lib/wrk.js';

/** A server that counts the requests it answers and answers them with `status`. */
async function countingServer(status: number): Promise<{ url: string; count: () => number; close: () => Promise<void> }> {
  let n = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    n += 1;
    res.writeHead(status, { 'Content-Type': 'text/plain' });
    res.end(String(n));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/inc`,
    count: () => n,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('bench wrk load (bench/wrk-load.lua)', function () {
  this.timeout(30_000);
  before(() => ensureWrk(() => undefined));

  it('answers every request it sends, so the server and wrk count the same number', async () => {
    const server = await countingServer(200);
    try {
      const r = await runWrk({ url: server.url, method: 'POST', seconds: 1, connections: 16, threads: 1 });
      expect(r.drained).to.equal(true);
      expect(r.errorCount).to.equal(0);
      expect(r.requests).to.be.greaterThan(0);
      expect(server.count()).to.equal(r.requests);
      expect(r.ok).to.equal(r.requests);
    } finally {
      await server.close();
    }
  });

  it('counts answers of 400 and above as errors and not as successes', async () => {
    const server = await countingServer(503);
    try {
      const r = await runWrk({ url: server.url, method: 'GET', seconds: 1, connections: 4, threads: 1 });
      expect(r.requests).to.be.greaterThan(0);
      expect(r.errors.status).to.equal(r.requests);
      expect(r.ok).to.equal(0);
      expect(r.errorCount).to.equal(r.requests);
    } finally {
      await server.close();
    }
  });

  it('reports latency percentiles in milliseconds, in order', async () => {
    const server = await countingServer(200);
    try {
      const { latencyMs: l } = await runWrk({ url: server.url, method: 'GET', seconds: 1, connections: 4, threads: 1 });
      expect(l.p50).to.be.greaterThan(0);
      expect(l.p50).to.be.at.most(l.p90);
      expect(l.p90).to.be.at.most(l.p99);
      expect(l.p99).to.be.at.most(l.max);
    } finally {
      await server.close();
    }
  });
});
