import { expect } from 'chai';
import { Redis } from 'ioredis';
import { sentinelApp } from '../helpers/sentinel-app.js';
import { startRedis, type RedisServer } from '../../hack/lib/redis-server.js';
import { trackRunId } from '../../service/replication.js';

async function post(url: string): Promise<{ status: number; body: string; retryAfter: string | null }> {
  const res = await fetch(url, { method: 'POST', headers: { Accept: 'application/json' } });
  return { status: res.status, body: await res.text(), retryAfter: res.headers.get('retry-after') };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('Sentinel mode (REDIS_SENTINELS)', function () {
  this.timeout(40_000);
  const start = sentinelApp();

  it('serves every route from the primary the Sentinels name, and is ready', async () => {
    const { app } = await start([100, 100]);
    expect((await fetch(`${app.url}/readyz`)).status).to.equal(200);
    expect(await post(`${app.url}/inc`)).to.include({ status: 200, body: '{"count": 1}' });
    expect(await post(`${app.url}/inc`)).to.include({ status: 200, body: '{"count": 2}' });
    expect(await post(`${app.url}/dec`)).to.include({ status: 200, body: '{"count": 1}' });
    expect(await (await fetch(`${app.url}/count`)).text()).to.equal('1');
  });

  it('is not ready while the Redis it is connected to answers as a replica (a demoted primary still answers PING)', async () => {
    const { group, app } = await start([100, 100]);
    expect((await fetch(`${app.url}/readyz`)).status).to.equal(200);
    const primary = new Redis({ host: '127.0.0.1', port: group.primary.port, password: group.password });
    primary.on('error', () => undefined);
    try {
      // Port 1: nothing listens, so it stays a replica without a primary for the moment the check takes.
      await primary.call('REPLICAOF', '127.0.0.1', '1');
      const res = await fetch(`${app.url}/readyz`);
      expect([res.status, await res.text()]).to.deep.equal([503, 'Not ready: connected to a Redis replica, not the primary']);
      await primary.call('REPLICAOF', 'NO', 'ONE');
      expect((await fetch(`${app.url}/readyz`)).status).to.equal(200);
    } finally {
      primary.disconnect();
    }
  });

  it('is not ready while its write connection is not connected, although its other connection is', async () => {
    const { group, app } = await start([100, 100]);
    expect((await fetch(`${app.url}/readyz`)).status).to.equal(200);
    // The Sentinels gone, a dropped write connection cannot find the primary again; the app's own connection stays up.
    await Promise.all(group.sentinels.map((sentinel) => sentinel.stop()));
    const primary = new Redis({ host: '127.0.0.1', port: group.primary.port, password: group.password });
    primary.on('error', () => undefined);
    try {
      const clients = String(await primary.call('CLIENT', 'LIST'));
      const writer = /^id=(\d+) .* name=reas-writes /m.exec(clients);
      if (writer === null) throw new Error(`no reas-writes connection at the primary:\n${clients}`);
      await primary.call('CLIENT', 'KILL', 'ID', writer[1] as string);
      const deadline = Date.now() + 3000;
      let res = await fetch(`${app.url}/readyz`);
      while (res.status === 200 && Date.now() < deadline) {
        await sleep(50);
        res = await fetch(`${app.url}/readyz`);
      }
      expect(`${res.status} ${await res.text()}`).to.match(/^503 Not ready: the Redis write connection is (connecting|reconnecting|close)$/);
      expect(app.redis.status, 'the app connection').to.equal('ready');
    } finally {
      primary.disconnect();
    }
  });

  it('answers 503 REDIS_NOT_REPLICATED (may have been applied) when an in-sync replica cannot confirm, and waits for none that Sentinel never promotes', async () => {
    const { group, app } = await start([100, 0]);
    const [promotable, never] = group.replicas;
    if (promotable === undefined || never === undefined) throw new Error('two replicas expected');
    // The Sentinel watch reads replica priorities once a second.
    await sleep(1500);
    await never.relay?.freeze();
    for (let i = 1; i <= 5; i++) expect(await post(`${app.url}/inc`)).to.include({ status: 200, body: `{"count": ${i}}` });
    await promotable.relay?.freeze();
    const started = Date.now();
    const res = await post(`${app.url}/inc`);
    expect(res.status).to.equal(503);
    expect(JSON.parse(res.body)).to.deep.equal({
      error: {
        code: 'REDIS_NOT_REPLICATED',
        message: 'Redis applied the change but its replicas did not confirm it within 1000 ms; it may have been applied',
      },
    });
    expect(res.retryAfter).to.equal('1');
    expect(Date.now() - started, 'bounded by REDIS_TIMEOUT_MS').to.be.below(5000);
    // It was applied on the primary: the answer said it may have been.
    expect(await (await fetch(`${app.url}/count`)).text()).to.equal('6');
    await promotable.relay?.thaw();
    expect(await post(`${app.url}/inc`)).to.include({ status: 200, body: '{"count": 7}' });
  });

  it('follows a planned failover (SENTINEL FAILOVER): ready again on the new primary with the count kept', async () => {
    const { group, app } = await start([100, 100]);
    for (let i = 0; i < 3; i++) {
      const before = await post(`${app.url}/inc`);
      expect(before.status, before.body).to.equal(200);
    }
    const oldPort = group.primary.port;
    await group.sentinels[0]?.client().call('SENTINEL', 'FAILOVER', group.masterName);
    const newPort = await group.waitForSwitch(oldPort, 20_000);
    expect(newPort).to.not.equal(oldPort);
    const deadline = Date.now() + 10_000;
    // Retried while refused: REDIS_UNAVAILABLE applied nothing; REDIS_NOT_REPLICATED may have applied its increment.
    let mayHaveApplied = 0;
    let answer = await post(`${app.url}/inc`);
    while (answer.status === 503 && /"REDIS_(UNAVAILABLE|NOT_REPLICATED)"/.test(answer.body) && Date.now() < deadline) {
      if (answer.body.includes('REDIS_NOT_REPLICATED')) mayHaveApplied++;
      await sleep(50);
      answer = await post(`${app.url}/inc`);
    }
    expect(answer.status, answer.body).to.equal(200);
    const count = (JSON.parse(answer.body) as { count: number }).count;
    expect(count).to.be.at.least(4).and.at.most(4 + mayHaveApplied);
    expect((await fetch(`${app.url}/readyz`)).status).to.equal(200);
  });
  it('moves to the new primary once per failover: the same switch announced by every Sentinel does not drop its new connections', async () => {
    const { group } = await start([100, 100]);
    const oldPort = group.primary.port;
    await group.sentinels[0]?.client().call('SENTINEL', 'FAILOVER', group.masterName);
    const newPort = await group.waitForSwitch(oldPort, 20_000);
    const primary = new Redis({ host: '127.0.0.1', port: newPort, password: group.password });
    primary.on('error', () => undefined);
    const connections = async () => {
      const list = String(await primary.call('CLIENT', 'LIST'));
      return ['reas', 'reas-writes'].map((name) => new RegExp(`^id=(\\d+) .* name=${name} `, 'm').exec(list)?.[1]);
    };
    try {
      const deadline = Date.now() + 10_000;
      let before = await connections();
      while (before.includes(undefined) && Date.now() < deadline) {
        await sleep(20);
        before = await connections();
      }
      expect(before, 'both connections moved to the new primary').to.not.include(undefined);
      // Every Sentinel announces the switch: the leader when its failover ends, after it has re-pointed the other replica.
      const leader = group.sentinels[0]?.client();
      while (Date.now() < deadline) {
        const flags = (await leader?.call('SENTINEL', 'MASTER', group.masterName)) as string[];
        if (!(flags[flags.indexOf('flags') + 1] ?? '').includes('failover_in_progress')) break;
        await sleep(50);
      }
      await sleep(500);
      expect(await connections(), 'the same connections').to.deep.equal(before);
    } finally {
      primary.disconnect();
    }
  });
});

describe('trackRunId (which Redis the write connection reaches)', () => {
  let server: RedisServer | undefined;
  let client: Redis | undefined;
  afterEach(async () => {
    client?.disconnect();
    await server?.dispose();
  });

  it("knows the run id of the Redis it is connected to, forgets it when the connection drops, and learns the restarted one's", async () => {
    server = await startRedis({ persistent: false });
    client = new Redis(server.url, { retryStrategy: () => 50 });
    client.on('error', () => undefined);
    const runId = trackRunId(client);
    const runIdOf = async () => /^run_id:(\w+)/m.exec(await (client as Redis).info('server'))?.[1];
    const until = async (check: () => boolean) => {
      const deadline = Date.now() + 5000;
      while (!check() && Date.now() < deadline) await sleep(20);
    };
    await until(() => runId.current !== undefined);
    const first = await runIdOf();
    expect(runId.current).to.match(/^[0-9a-f]{40}$/).and.equal(first);
    await server.stop();
    await until(() => runId.current === undefined);
    expect(runId.current, 'while disconnected').to.equal(undefined);
    await server.start();
    await until(() => runId.current !== undefined);
    expect(runId.current).to.equal(await runIdOf()).and.not.equal(first);
  });

  it('asks again while INFO is refused on a connection that stays up', async () => {
    server = await startRedis({ persistent: false });
    const admin = new Redis(server.url);
    try {
      await admin.call('ACL', 'SETUSER', 'default', '-info');
      // Without INFO, ioredis's own ready check cannot run (and says so on the console).
      client = new Redis(server.url, { retryStrategy: () => 50, enableReadyCheck: false });
      client.on('error', () => undefined);
      const runId = trackRunId(client);
      await new Promise((resolve) => (client as Redis).once('ready', resolve));
      await sleep(600);
      expect(runId.current, 'while INFO is refused').to.equal(undefined);
      await admin.call('ACL', 'SETUSER', 'default', '+info');
      const deadline = Date.now() + 3000;
      while (runId.current === undefined && Date.now() < deadline) await sleep(20);
      expect(runId.current).to.match(/^[0-9a-f]{40}$/);
    } finally {
      admin.disconnect();
    }
  });
});
