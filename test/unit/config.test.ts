import { expect } from 'chai';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../service/config.js';

describe('loadConfig', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'reas-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('applies the documented defaults to an empty environment', () => {
    expect(loadConfig({})).to.deep.equal({
      port: 5000,
      redisUrl: 'redis://127.0.0.1:6379',
      redisPassword: undefined,
      counterKey: 'count',
      redisTimeoutMs: 1000,
      logLevel: 'info',
      shutdownTimeoutMs: 10_000,
      maxBodyBytes: 1024,
      requestTimeoutMs: 10_000,
      maxConnections: 4096,
    });
  });

  it('returns a frozen object', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).to.equal(true);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '8080',
      REDIS_URL: 'rediss://cache.example:6380/2',
      REDIS_PASSWORD: 's3cret',
      COUNTER_KEY: 'visits',
      REDIS_TIMEOUT_MS: '250',
      LOG_LEVEL: 'debug',
      SHUTDOWN_TIMEOUT_MS: '3000',
      MAX_BODY_BYTES: '0',
      REQUEST_TIMEOUT_MS: '2500',
      MAX_CONNECTIONS: '100',
    });
    expect(config).to.include({
      port: 8080,
      redisUrl: 'rediss://cache.example:6380/2',
      redisPassword: 's3cret',
      counterKey: 'visits',
      redisTimeoutMs: 250,
      logLevel: 'debug',
      shutdownTimeoutMs: 3000,
      maxBodyBytes: 0,
      requestTimeoutMs: 2500,
      maxConnections: 100,
    });
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', REDIS_PASSWORD: '' })).to.include({ port: 5000, redisPassword: undefined });
  });

  const bad: Array<[string, Record<string, string>, RegExp]> = [
    ['a non-numeric PORT', { PORT: 'http' }, /^PORT: must be a whole number from 1 to 65535 \(got "http"\)/],
    ['a PORT out of range', { PORT: '70000' }, /^PORT: must be at most 65535/],
    ['PORT 0', { PORT: '0' }, /^PORT: must be at least 1/],
    ['a REDIS_URL that is not a URL', { REDIS_URL: 'localhost:6379' }, /^REDIS_URL: must be a redis:\/\/ or rediss:\/\/ URL/],
    ['a REDIS_URL with another scheme', { REDIS_URL: 'http://redis:6379' }, /^REDIS_URL: /],
    ['a negative REDIS_TIMEOUT_MS', { REDIS_TIMEOUT_MS: '-5' }, /^REDIS_TIMEOUT_MS: must be a whole number/],
    ['a REDIS_TIMEOUT_MS below 10 ms', { REDIS_TIMEOUT_MS: '5' }, /^REDIS_TIMEOUT_MS: must be at least 10/],
    ['an unknown LOG_LEVEL', { LOG_LEVEL: 'verbose' }, /^LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent/],
    ['a REDIS_URL whose path is not a database index', { REDIS_URL: 'redis://h:6379/abc' }, /^REDIS_URL: must have no path or a database index/],
    ['a REDIS_URL that does not parse, without its credentials', { REDIS_URL: 'redis://u:pa/ss@h:x' }, /^REDIS_URL: .*\(got "redis:\/\/\*\*\*@h:x"\)$/],
    ['a REQUEST_TIMEOUT_MS below 100 ms', { REQUEST_TIMEOUT_MS: '50' }, /^REQUEST_TIMEOUT_MS: must be at least 100/],
    ['a non-numeric MAX_CONNECTIONS', { MAX_CONNECTIONS: 'many' }, /^MAX_CONNECTIONS: must be a whole number from 1 to 1000000/],
    ['MAX_CONNECTIONS 0', { MAX_CONNECTIONS: '0' }, /^MAX_CONNECTIONS: must be at least 1/],
    ['both password variables', { REDIS_PASSWORD: 'a', REDIS_PASSWORD_FILE: '/x' }, /REDIS_PASSWORD and REDIS_PASSWORD_FILE are both set/],
  ];
  for (const [what, env, message] of bad) {
    it(`rejects ${what} with a message naming the variable`, () => {
      expect(() => loadConfig(env)).to.throw(ConfigError, message);
    });
  }

  it('reports every bad variable at once', () => {
    expect(() => loadConfig({ PORT: 'x', LOG_LEVEL: 'loud' })).to.throw(ConfigError, /PORT: .*; LOG_LEVEL: /);
  });

  it('reads the password from REDIS_PASSWORD_FILE without its trailing newline', () => {
    const file = join(dir, 'redis-password');
    writeFileSync(file, 'from-a-secret\n');
    expect(loadConfig({ REDIS_PASSWORD_FILE: file }).redisPassword).to.equal('from-a-secret');
  });

  it('rejects a REDIS_PASSWORD_FILE that cannot be read', () => {
    expect(() => loadConfig({ REDIS_PASSWORD_FILE: join(dir, 'missing') })).to.throw(
      ConfigError,
      /^REDIS_PASSWORD_FILE: cannot read .*missing \(ENOENT\)/,
    );
  });

  it('rejects an empty REDIS_PASSWORD_FILE', () => {
    const file = join(dir, 'empty');
    writeFileSync(file, '\n');
    expect(() => loadConfig({ REDIS_PASSWORD_FILE: file })).to.throw(ConfigError, /is empty/);
  });
});
