import { expect } from 'chai';
import { parseSentinelView } from '../../service/replication.js';

/** SENTINEL REPLICAS's flat field list for one replica, as Redis 7.4 answers it (fields the rule does not read left out). */
function replica(fields: Record<string, string>): string[] {
  const defaults: Record<string, string> = {
    name: 'r1:6379',
    ip: 'r1',
    port: '6379',
    runid: 'b3c1c9d6f3a9d1c2e5f4a6b7c8d9e0f1a2b3c4d5',
    flags: 'slave',
    'last-ok-ping-reply': '250',
    'info-refresh': '4012',
    'role-reported': 'slave',
    'slave-priority': '100',
  };
  return Object.entries({ ...defaults, ...fields }).flat();
}

const master = (flags = 'master'): string[] => ['name', 'mymaster', 'ip', 'p', 'port', '6379', 'runid', 'a1', 'flags', flags];

describe('parseSentinelView (what one Sentinel says about the master and its replicas)', () => {
  it('lists a reachable replica reporting the replica role as a candidate, with its run id', () => {
    const view = parseSentinelView(master(), [replica({})]);
    expect([...view.candidates]).to.deep.equal(['r1:6379']);
    expect(view.runIds.get('r1:6379')).to.equal('b3c1c9d6f3a9d1c2e5f4a6b7c8d9e0f1a2b3c4d5');
    expect(view.failovers.size).to.equal(0);
  });

  it('does not list a replica Sentinel has never read INFO from: Sentinel cannot promote it (seen after a failover: the stopped old primary)', () => {
    // What the failover's leader said on the CI cluster about the old primary, stopped before the leader met it as a replica.
    const view = parseSentinelView(master(), [replica({ name: 'r0:6379', ip: 'r0', runid: '', 'info-refresh': '0', 'last-ok-ping-reply': '298' })]);
    expect([...view.candidates]).to.deep.equal([]);
  });

  it('does not list a replica that is down, disconnected or silent for 2.5 s, nor one reporting another role', () => {
    const cases: Array<Record<string, string>> = [{ flags: 'slave,s_down' }, { flags: 'slave,disconnected' }, { 'last-ok-ping-reply': '2600' }, { 'role-reported': 'master' }];
    for (const fields of cases) {
      expect([...parseSentinelView(master(), [replica(fields)]).candidates], JSON.stringify(fields)).to.deep.equal([]);
    }
  });

  it('lists a replica with replica-priority 0 as never promoted', () => {
    const view = parseSentinelView(master(), [replica({ 'slave-priority': '0' })]);
    expect([...view.candidates]).to.deep.equal([]);
    expect([...view.neverPromoted]).to.deep.equal(['r1:6379']);
  });

  it('reports a failover in progress with the run id of the replica it promotes, or an empty one before it has chosen', () => {
    expect([...parseSentinelView(master('master,failover_in_progress'), [replica({})]).failovers]).to.deep.equal(['']);
    expect([...parseSentinelView(master('master,failover_in_progress'), [replica({ flags: 'slave,promoted' })]).failovers]).to.deep.equal([
      'b3c1c9d6f3a9d1c2e5f4a6b7c8d9e0f1a2b3c4d5',
    ]);
    expect([...parseSentinelView(master(), [replica({ flags: 'slave,reconf_sent' })]).failovers]).to.deep.equal(['']);
  });
});
