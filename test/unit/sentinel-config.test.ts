import { expect } from 'chai';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../service/config.js';

describe('loadConfig in Sentinel mode', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'reas-sentinel-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('stays in standalone mode without REDIS_SENTINELS', () => {
    expect(loadConfig({ REDIS_SENTINEL_MASTER: 'other', REDIS_SENTINEL_PASSWORD: 'x' })).to.not.have.property('redisSentinel');
  });

  it('reads the Sentinels, with mymaster as the default master name and no password when Redis has none', () => {
    expect(loadConfig({ REDIS_SENTINELS: 'sentinel-0:26379, sentinel-1:26380,10.0.0.3:26379,[fd00::1]:26379' }).redisSentinel).to.deep.equal({
      sentinels: [
        { host: 'sentinel-0', port: 26379 },
        { host: 'sentinel-1', port: 26380 },
        { host: '10.0.0.3', port: 26379 },
        { host: 'fd00::1', port: 26379 },
      ],
      masterName: 'mymaster',
      password: undefined,
    });
  });

  it('gives the Sentinels the Redis password by default, from REDIS_PASSWORD, its file or REDIS_URL', () => {
    const file = join(dir, 'redis-password');
    writeFileSync(file, 'from-a-file\n');
    expect(loadConfig({ REDIS_SENTINELS: 's:26379', REDIS_PASSWORD: 'p' }).redisSentinel?.password).to.equal('p');
    expect(loadConfig({ REDIS_SENTINELS: 's:26379', REDIS_PASSWORD_FILE: file }).redisSentinel?.password).to.equal('from-a-file');
    expect(loadConfig({ REDIS_SENTINELS: 's:26379', REDIS_URL: 'redis://:in%40url@r:6379' }).redisSentinel?.password).to.equal('in@url');
  });

  it('takes REDIS_SENTINEL_MASTER and REDIS_SENTINEL_PASSWORD over the defaults', () => {
    expect(
      loadConfig({ REDIS_SENTINELS: 's:26379', REDIS_PASSWORD: 'p', REDIS_SENTINEL_MASTER: 'counter', REDIS_SENTINEL_PASSWORD: 'sp' }).redisSentinel,
    ).to.include({ masterName: 'counter', password: 'sp' });
  });

  it('reads REDIS_SENTINEL_PASSWORD_FILE without its trailing newline', () => {
    const file = join(dir, 'sentinel-password');
    writeFileSync(file, 'sentinel-secret\n');
    expect(loadConfig({ REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_PASSWORD_FILE: file }).redisSentinel?.password).to.equal('sentinel-secret');
  });

  const bad: Array<[string, Record<string, string>, RegExp]> = [
    ['an address without a port', { REDIS_SENTINELS: 'sentinel-0' }, /^REDIS_SENTINELS: must be a comma-separated list of host:port .*"sentinel-0" is not \(got "sentinel-0"\)/],
    ['a port out of range', { REDIS_SENTINELS: 's:26379,s:70000' }, /^REDIS_SENTINELS: .*"s:70000" is not/],
    ['an empty entry', { REDIS_SENTINELS: 's:26379,' }, /^REDIS_SENTINELS: .*"" is not/],
    ['a URL instead of host:port', { REDIS_SENTINELS: 'redis://s:26379' }, /^REDIS_SENTINELS: /],
    ['a master name with spaces', { REDIS_SENTINELS: 's:1', REDIS_SENTINEL_MASTER: 'my master' }, /^REDIS_SENTINEL_MASTER: must be 1-128 letters/],
    ['both Sentinel password variables', { REDIS_SENTINELS: 's:1', REDIS_SENTINEL_PASSWORD: 'a', REDIS_SENTINEL_PASSWORD_FILE: '/x' }, /REDIS_SENTINEL_PASSWORD and REDIS_SENTINEL_PASSWORD_FILE are both set/],
  ];
  for (const [what, env, message] of bad) {
    it(`rejects ${what} with a message naming the variable`, () => {
      expect(() => loadConfig(env)).to.throw(ConfigError, message);
    });
  }

  it('rejects a REDIS_SENTINEL_PASSWORD_FILE that cannot be read, or is empty', () => {
    expect(() => loadConfig({ REDIS_SENTINELS: 's:1', REDIS_SENTINEL_PASSWORD_FILE: join(dir, 'missing') })).to.throw(
      ConfigError,
      /^REDIS_SENTINEL_PASSWORD_FILE: cannot read .*missing \(ENOENT\)/,
    );
    const empty = join(dir, 'empty');
    writeFileSync(empty, '\n');
    expect(() => loadConfig({ REDIS_SENTINELS: 's:1', REDIS_SENTINEL_PASSWORD_FILE: empty })).to.throw(ConfigError, /^REDIS_SENTINEL_PASSWORD_FILE: .* is empty/);
  });

  it('never puts a password into an error message', () => {
    try {
      loadConfig({ REDIS_SENTINELS: 'bad', REDIS_SENTINEL_PASSWORD: 'sentinel-secret', REDIS_PASSWORD: 'redis-secret' });
      expect.fail('loadConfig accepted a bad REDIS_SENTINELS');
    } catch (error) {
      expect(String(error)).to.not.match(/sentinel-secret|redis-secret/);
    }
  });
});
