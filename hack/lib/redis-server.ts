import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

export interface RedisServerOptions {
  /** Require this password (requirepass). @default none */
  readonly password?: string;
  /** Keep data across restart() with an append-only file in a private directory. @default true */
  readonly persistent?: boolean;
  /** More redis-server arguments, e.g. `--replicaof host port` for a replica. @default none */
  readonly args?: readonly string[];
  /** Listen on this port (e.g. a server that replaces another one). @default a free port */
  readonly port?: number;
}

/** A real, throwaway redis-server on 127.0.0.1 and a free port. */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  /** Stops it (SIGTERM; Redis flushes its AOF first) and waits for the process to end. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data directory. */
  start(): Promise<void>;
  restart(): Promise<void>;
  /** SIGKILL, as a crash or an OOM kill: no shutdown, the kernel closes its connections. start() brings it back. */
  kill(): Promise<void>;
  /** SIGSTOP: the port stays open but nothing answers, as with a Redis stuck on a slow disk. */
  pause(): void;
  resume(): void;
  /** Stops it and removes its data directory. */
  dispose(): Promise<void>;
}

export const redisInstallHint =
  'redis-server is not installed or not on PATH: install it (Debian/Ubuntu: `apt-get install -y redis-server`; ' +
  'macOS: `brew install redis`) and run the tests again';

/**
 * Spawns redis-server with these arguments and resolves once its stdout shows `ready`; rejects with the install hint
 * when it is missing, or with its output when it exits first. Also starts Sentinels (`--sentinel`).
 */
export async function spawnRedis(args: readonly string[], ready: string, label: string, spawned?: (proc: ChildProcess) => void): Promise<ChildProcess> {
  const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  // Known to the caller before it is ready, so the caller's stop() can end one that hangs on its way up.
  spawned?.(proc);
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(ready)) {
        proc.stdout?.off('data', onData);
        proc.stdout?.resume();
        resolve();
      }
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    proc.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'ENOENT' ? new Error(redisInstallHint) : error));
    proc.once('exit', (code) => reject(new Error(`${label} exited with code ${code} before it was ready:\n${output}`)));
  });
  return proc;
}

export async function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const dir = await mkdtemp(join(tmpdir(), 'reas-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--daemonize', 'no'];
  args.push('--appendonly', options.persistent === false ? 'no' : 'yes', '--appendfsync', 'always');
  if (options.password !== undefined) args.push('--requirepass', options.password);
  args.push(...(options.args ?? []));

  let child: ChildProcess | undefined;

  async function start(): Promise<void> {
    await spawnRedis(args, 'Ready to accept connections', 'redis-server', (proc) => {
      child = proc;
    });
  }

  async function stop(): Promise<void> {
    const proc = child;
    child = undefined;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGCONT');
    const exited = once(proc, 'exit');
    proc.kill('SIGTERM');
    await exited;
  }

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child?.pid ?? -1;
    },
    stop,
    start,
    async restart() {
      await stop();
      await start();
    },
    async kill() {
      const proc = child;
      child = undefined;
      if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = once(proc, 'exit');
      proc.kill('SIGKILL');
      await exited;
    },
    pause() {
      child?.kill('SIGSTOP');
    },
    resume() {
      child?.kill('SIGCONT');
    },
    async dispose() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
