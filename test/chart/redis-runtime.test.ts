import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { freePort } from '../../hack/lib/free-port.js';
import { redisInstallHint } from '../../hack/lib/redis-server.js';
import { chartTemplate, findObject } from './chart-cases.js';

/*
 * The chart's Redis start-up script, redis.conf and probe commands, run for real against the local redis-server
 * (the container paths /data, /tmp, /etc/redis and the password file mapped to a scratch directory, 6379 to a free
 * port).
 */

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const PASSWORD = 'chart-runtime-password-0123';

describe('helm chart: Redis start-up, config and probes on a real redis-server', function () {
  this.timeout(30_000);
  let dir: string;
  let port: number;
  let redis: ChildProcess | undefined;
  let container: Any;
  /** The container paths in a rendered command mapped to the scratch directory; `passwordFile` stands in for the Secret's. */
  const rewrite = (text: string, passwordFile = join(dir, 'secret', 'redis-password')) =>
    text
      .replaceAll('/var/run/secrets/redis/redis-password', passwordFile)
      .replaceAll('/tmp/redis-auth.conf', join(dir, 'tmp', 'redis-auth.conf'))
      .replaceAll('/etc/redis/redis.conf', join(dir, 'etc', 'redis.conf'))
      .replaceAll('dir /data', `dir ${join(dir, 'data')}`)
      .replaceAll('port 6379', `port ${port}`)
      .replaceAll('-p 6379', `-p ${port}`);
  /** Runs a probe's command as the kubelet would, with the password file holding `password` (or absent). */
  const probe = (name: string, password: string | undefined) => {
    const [shell, flag, command] = container[name].exec.command as [string, string, string];
    const file = join(dir, 'probe-secret', 'redis-password');
    rmSync(file, { force: true });
    if (password !== undefined) writeFileSync(file, password);
    return spawnSync(shell, [flag, rewrite(command, file)], { env: { PATH: process.env.PATH }, encoding: 'utf8' }).status;
  };
  const cli = (...args: string[]) => spawnSync('redis-cli', ['-p', String(port), ...args], { env: { PATH: process.env.PATH, REDISCLI_AUTH: PASSWORD }, encoding: 'utf8' }).stdout.trim();

  before(async () => {
    if (spawnSync('redis-server', ['--version']).error !== undefined) throw new Error(redisInstallHint);
    const objects = await chartTemplate({ release: 'reas', set: { 'redis.auth.password': PASSWORD } });
    container = (findObject(objects, 'StatefulSet', 'reas-redis') as Any).spec.template.spec.containers[0];
    const conf = (findObject(objects, 'ConfigMap', 'reas-redis') as Any).data['redis.conf'] as string;
    dir = mkdtempSync(join(tmpdir(), 'reas-chart-redis-'));
    for (const sub of ['data', 'tmp', 'etc', 'secret', 'probe-secret']) mkdirSync(join(dir, sub));
    writeFileSync(join(dir, 'secret', 'redis-password'), PASSWORD, { mode: 0o440 });
    port = await freePort();
    writeFileSync(join(dir, 'etc', 'redis.conf'), rewrite(conf));
    const [shell, flag, script] = container.command as [string, string, string];
    // No password in the environment: the start-up script must read it from the mounted file.
    redis = spawn(shell, [flag, rewrite(script)], { env: { PATH: process.env.PATH }, stdio: 'ignore' });
    for (let attempt = 0; attempt < 100 && probe('startupProbe', PASSWORD) !== 0; attempt += 1) await new Promise((resolve) => setTimeout(resolve, 50));
  });

  after(async () => {
    if (redis !== undefined && redis.exitCode === null) {
      redis.kill('SIGTERM');
      await once(redis, 'exit');
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts Redis with the rendered config and passes the startup, liveness and readiness probes', () => {
    expect(probe('startupProbe', PASSWORD)).to.equal(0);
    expect(probe('livenessProbe', PASSWORD)).to.equal(0);
    expect(probe('readinessProbe', PASSWORD)).to.equal(0);
  });

  it('fails the probes without the password or with a wrong one', () => {
    expect(probe('readinessProbe', undefined)).not.to.equal(0);
    expect(probe('readinessProbe', 'wrong-password-000000')).not.to.equal(0);
  });

  it('keeps liveness on a Redis that answers MASTERDOWN (alive, not serving) while readiness drops it', () => {
    // A replica of an unreachable master that refuses stale reads answers MASTERDOWN, as a loading one answers LOADING.
    expect(cli('config', 'set', 'replica-serve-stale-data', 'no')).to.equal('OK');
    expect(cli('replicaof', '127.0.0.1', '1')).to.equal('OK');
    try {
      expect(cli('ping')).to.match(/^MASTERDOWN/);
      expect(probe('livenessProbe', PASSWORD)).to.equal(0);
      expect(probe('readinessProbe', PASSWORD)).not.to.equal(0);
      expect(probe('livenessProbe', 'wrong-password-000000')).not.to.equal(0);
    } finally {
      cli('replicaof', 'no', 'one');
      cli('config', 'set', 'replica-serve-stale-data', 'yes');
    }
    expect(probe('readinessProbe', PASSWORD)).to.equal(0);
  });

  it('requires the password from the Secret', () => {
    const anonymous = spawnSync('redis-cli', ['-p', String(port), 'ping'], { env: { PATH: process.env.PATH }, encoding: 'utf8' });
    expect(anonymous.stdout).to.match(/NOAUTH/);
    expect(cli('ping')).to.equal('PONG');
  });

  it('keeps the password off the command line and in an owner-only file', () => {
    const cmdline = readFileSync(`/proc/${redis?.pid}/cmdline`, 'utf8');
    expect(cmdline).to.include('redis-server');
    expect(cmdline).not.to.include(PASSWORD);
    expect(statSync(join(dir, 'tmp', 'redis-auth.conf')).mode & 0o077).to.equal(0);
  });

  it('appends every write to the AOF under /data with the configured fsync policy', () => {
    expect(cli('incr', 'count')).to.equal('1');
    expect(cli('config', 'get', 'appendfsync').split('\n')).to.deep.equal(['appendfsync', 'everysec']);
    expect(cli('config', 'get', 'maxmemory-policy').split('\n')).to.deep.equal(['maxmemory-policy', 'noeviction']);
    const aofDir = join(dir, 'data', 'appendonlydir');
    expect(existsSync(aofDir)).to.equal(true);
    expect(readdirSync(aofDir).some((name) => name.endsWith('.incr.aof'))).to.equal(true);
  });
});
