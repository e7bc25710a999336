import { expect } from 'chai';
import { fixedReplicaCount, parseRole, promotableInSync, type PrimaryRole } from '../../service/group-commit.js';

const primary = (replicas: Array<[string, number]>): PrimaryRole => ({
  role: 'master',
  offset: 1000,
  replicas: replicas.map(([address, ackOffset]) => ({ address, ackOffset })),
});

describe('parseRole', () => {
  it('reads a primary ROLE reply (strings, as the service asks ioredis for numbers)', () => {
    expect(parseRole(['master', '3129659', [['10.0.0.2', '6379', '3129659'], ['10.0.0.3', '6379', '3129242']]])).to.deep.equal({
      role: 'master',
      offset: 3129659,
      replicas: [
        { address: '10.0.0.2:6379', ackOffset: 3129659 },
        { address: '10.0.0.3:6379', ackOffset: 3129242 },
      ],
    });
  });

  it('reads a replica as a role without replicas', () => {
    expect(parseRole(['slave', '10.0.0.1', 6379, 'connected', 3167038])).to.deep.include({ role: 'slave', replicas: [] });
  });

  it('rejects anything else', () => {
    expect(() => parseRole('OK')).to.throw(/unexpected ROLE reply/);
  });
});

describe('promotableInSync (the production durability rule)', () => {
  let sentinels: { failovers: Set<string>; candidates: Set<string>; neverPromoted: Set<string>; runIds: Map<string, string> };
  /** The run id of the Redis the writes go to. */
  let self: string | undefined;
  beforeEach(() => {
    sentinels = { failovers: new Set(), candidates: new Set(['a:1', 'b:1']), neverPromoted: new Set(['never:1']), runIds: new Map([['a:1', 'run-a'], ['b:1', 'run-b']]) };
    self = 'run-p';
  });
  const rule = promotableInSync(() => sentinels, () => self);

  it('is durable once every in-sync replica acknowledged the target offset', () => {
    expect(rule.durable(primary([['a:1', 1000], ['b:1', 1200]]), 2, 1000)).to.equal(true);
  });

  it('is not durable while any in-sync promotable replica lags, whatever WAIT counted', () => {
    expect(rule.durable(primary([['a:1', 1000], ['b:1', 999]]), 2, 1000)).to.equal(false);
  });

  it('leaves out the replicas Sentinel never promotes (replica-priority 0)', () => {
    sentinels.candidates = new Set(['a:1']);
    expect(rule.durable(primary([['a:1', 1000], ['never:1', 0]]), 1, 1000)).to.equal(true);
  });

  it('waits for a replica a Sentinel could promote although the primary no longer lists it (cut off, or being promoted)', () => {
    expect(rule.durable(primary([['a:1', 1000]]), 1, 1000)).to.equal(false);
  });

  it('does not wait for a replica that left the primary and that no Sentinel can reach (dead)', () => {
    sentinels.candidates = new Set(['a:1']);
    expect(rule.durable(primary([['a:1', 1000]]), 1, 1000)).to.equal(true);
  });

  it('does not wait for the primary itself where a Sentinel still lists it as a replica (an answer from before the failover that promoted it)', () => {
    sentinels.candidates = new Set(['a:1', 'b:1', 'p:1']);
    sentinels.runIds.set('p:1', 'run-p');
    expect(rule.durable(primary([['a:1', 1000], ['b:1', 1000]]), 2, 1000)).to.equal(true);
    self = undefined;
    expect(rule.durable(primary([['a:1', 1000], ['b:1', 1000]]), 2, 1000), 'while it does not know which Redis it writes to').to.equal(false);
  });

  it('waits for an in-sync replica even when the Sentinels do not know it yet', () => {
    expect(rule.durable(primary([['a:1', 1000], ['b:1', 1000], ['new:1', 10]]), 2, 1000)).to.equal(false);
  });

  it('acknowledges nothing on a primary a Sentinel is failing over', () => {
    sentinels.failovers = new Set(['run-b']);
    expect(rule.durable(primary([['a:1', 1000], ['b:1', 1000]]), 2, 1000)).to.equal(false);
  });

  it('acknowledges nothing while a failover has not chosen the replica it promotes yet', () => {
    sentinels.failovers = new Set(['']);
    expect(rule.durable(primary([['a:1', 1000], ['b:1', 1000]]), 2, 1000)).to.equal(false);
  });

  it('acknowledges nothing during a failover while it does not know which Redis it writes to', () => {
    sentinels.failovers = new Set(['run-p']);
    self = undefined;
    expect(rule.durable(primary([['a:1', 1000], ['b:1', 1000]]), 2, 1000)).to.equal(false);
  });

  it('acknowledges on the replica a failover promoted once every promotable replica holds the write (the leader still reconfiguring the others)', () => {
    sentinels.failovers = new Set(['run-p']);
    expect(rule.durable(primary([['a:1', 1000], ['b:1', 1000]]), 2, 1000)).to.equal(true);
    expect(rule.durable(primary([['a:1', 1000], ['b:1', 999]]), 2, 1000)).to.equal(false);
    sentinels.failovers = new Set(['run-p', '']);
    expect(rule.durable(primary([['a:1', 1000], ['b:1', 1000]]), 2, 1000), 'and a second failover not yet decided').to.equal(false);
  });

  it('is never durable without at least one promotable replica', () => {
    sentinels.candidates = new Set();
    expect(rule.durable(primary([]), 0, 1000)).to.equal(false);
    expect(rule.durable(primary([['never:1', 5000]]), 1, 1000)).to.equal(false);
  });

  it('is never durable on a Redis that is not the primary', () => {
    expect(rule.durable({ role: 'slave', offset: -1, replicas: [] }, 0, 1000)).to.equal(false);
  });

  it('waits for as many replicas as are required, then for one more than WAIT saw', () => {
    expect(rule.firstNeed(undefined)).to.equal(1);
    expect(rule.firstNeed(primary([['a:1', 0], ['b:1', 0], ['never:1', 0]]))).to.equal(2);
    expect(rule.nextNeed(primary([['a:1', 0], ['b:1', 0]]), 1)).to.equal(2);
  });
});

describe('fixedReplicaCount (a negative control)', () => {
  it('counts acknowledgements without asking which replica gave them', () => {
    expect(fixedReplicaCount(1).durable(primary([['a:1', 1000], ['b:1', 0]]), 1, 1000)).to.equal(true);
  });
});
