import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../hack/lib/free-port.js';
import { serverNodeFlags } from '../../hack/lib/server-command.js';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export type ServerKind = 'service' | 'baseline' | 'koa-floor' | 'gin';

export interface ServerSpec {
  /** Label in tables and JSON, e.g. "service" or "baseline (no auto-pipelining)". */
  readonly name: string;
  readonly kind: ServerKind;
  /** Force ioredis auto-pipelining on or off; undefined = as the code ships (both ship with it on). */
  readonly autoPipelining?: boolean;
  /** Only these routes are loaded on it (the HA row measures POST /inc alone). @default every route */
  readonly routes?: readonly string[];
  /** More environment for the service (Sentinel mode's REDIS_SENTINELS, ...). */
  readonly env?: Readonly<Record<string, string>>;
  /** For kind gin: gin.Default() (Logger + Recovery, as a typical service runs it) or gin.New(). */
  readonly ginEngine?: 'default' | 'new';
  /** For kind service: the compiled service to run (its server.js); undefined = this checkout's dist/. */
  readonly dist?: string;
  /** For the Node servers: the node binary; undefined = the one running the bench. */
  readonly nodePath?: string;
}

export interface ServerEnv {
  readonly redisUrl: string;
  readonly counterKey: string;
  readonly logLevel: string;
  /** stdout/stderr of the server go here: a file is a cheap sink we do not have to read. */
  readonly logFile: string;
  /** When set, the server writes a V8 CPU profile into this folder when it exits. */
  readonly cpuProfDir?: string;
  /** The built gin peer (bench/lib/gin-peer.ts), needed by specs of kind gin. */
  readonly ginBinary?: string;
}

export interface RunningServer {
  readonly spec: ServerSpec;
  readonly pid: number;
  readonly port: number;
  readonly baseUrl: string;
  /** Milliseconds from spawn() to the first 200 from GET /readyz. */
  readonly readyMs: number;
  /** SIGTERM, then the exit code (a graceful service exits 0). */
  stop(): Promise<number | null>;
  /** How the process ended if it already has ("exit code 1", "signal SIGKILL"), else undefined. */
  ended(): string | undefined;
}

/** File name of a server's CPU profile: "service.cpuprofile", "baseline-no-auto-pipelining.cpuprofile". */
export function profileName(spec: ServerSpec): string {
  return `${spec.name.replace(/[^a-z0-9]+/gi, '-').replace(/-+$/, '').toLowerCase()}.cpuprofile`;
}

function commandFor(spec: ServerSpec, env: ServerEnv): { command: string; args: string[]; extraEnv: Record<string, string> } {
  if (spec.kind === 'gin') {
    if (env.ginBinary === undefined) throw new Error(`${spec.name}: the gin peer was not built`);
    return { command: env.ginBinary, args: [], extraEnv: { GIN_ENGINE: spec.ginEngine ?? 'default' } };
  }
  const command = spec.nodePath ?? process.execPath;
  const args: string[] = [];
  if (env.cpuProfDir !== undefined) args.push('--cpu-prof', '--cpu-prof-dir', env.cpuProfDir, '--cpu-prof-name', profileName(spec));
  if (spec.kind === 'baseline' || spec.kind === 'koa-floor') {
    args.push(path.join(repoRoot, `bench/${spec.kind}-server.js`));
    return { command, args, extraEnv: { BASELINE_AUTO_PIPELINING: String(spec.autoPipelining ?? true) } };
  }
  const extraEnv: Record<string, string> = { LOG_LEVEL: env.logLevel };
  if (spec.autoPipelining !== undefined) {
    args.push('--import', path.join(repoRoot, 'bench/auto-pipelining-override.js'));
    extraEnv.REAS_BENCH_AUTO_PIPELINING = String(spec.autoPipelining);
  }
  args.push(...serverNodeFlags, path.join(spec.dist ?? path.join(repoRoot, 'dist'), 'server.js'));
  return { command, args, extraEnv };
}

function getStatus(port: number, urlPath: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false, timeout: 500 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(0));
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

function logTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Starts a server on a free port and resolves once GET /readyz answers 200 (within 15 s). */
export async function startServer(spec: ServerSpec, env: ServerEnv): Promise<RunningServer> {
  const port = await freePort();
  const { command, args, extraEnv } = commandFor(spec, env);
  const fd = openSync(env.logFile, 'a');
  const started = performance.now();
  const child = spawn(command, args, {
    cwd: repoRoot,
    stdio: ['ignore', fd, fd],
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      PORT: String(port),
      REDIS_URL: env.redisUrl,
      COUNTER_KEY: env.counterKey,
      ...extraEnv,
      ...spec.env,
    },
  });
  closeSync(fd);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${spec.name}: ${command} ${args.join(' ')}`);

  const deadline = started + 15_000;
  let readyMs: number | undefined;
  while (readyMs === undefined) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${spec.name} exited (${child.exitCode ?? child.signalCode}) before it was ready; log ${env.logFile}:\n${logTail(env.logFile)}`);
    }
    if (performance.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${spec.name} was not ready (GET /readyz 200) within 15 s; log ${env.logFile}:\n${logTail(env.logFile)}`);
    }
    const status = await getStatus(port, '/readyz');
    if (status === 200) readyMs = performance.now() - started;
    else await new Promise((r) => setTimeout(r, 5));
  }
  // The preload patches the ioredis in node_modules: a service that carries its own copy (dist/server.js does) would
  // run unpatched, and its row would measure the service as shipped under another name.
  if (spec.kind === 'service' && spec.autoPipelining !== undefined && !readFileSync(env.logFile, 'utf8').includes(`auto-pipelining-override[${pid}]`)) {
    child.kill('SIGKILL');
    throw new Error(`${spec.name}: the auto-pipelining override never reached the ioredis it runs (one bundled inside it?)`);
  }

  return {
    spec,
    pid,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    readyMs,
    ended() {
      if (child.exitCode !== null) return `exit code ${child.exitCode}`;
      if (child.signalCode !== null) return `signal ${child.signalCode}`;
      return undefined;
    },
    async stop() {
      const done = exited(child);
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await done;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks (100 on every mainstream build). */
const ticksPerSecond = 100;

/** CPU time (user + system) a process has used so far, in seconds, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may itself contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return undefined;
  }
}

/**
 * Watches a server process while load runs: its peak resident set (polled from /proc) and the CPU
 * time it used, which divided by the requests answered gives a cost per request that depends far
 * less on what else the shared machine is doing than req/s does.
 */
export class ProcessSampler {
  private peakKb = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly cpuAtStart: number | undefined;

  constructor(private readonly pid: number, intervalMs = 50) {
    this.cpuAtStart = cpuSeconds(pid);
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  private sample(): void {
    const kb = readStatusKb(this.pid, 'VmRSS');
    if (kb !== undefined && kb > this.peakKb) this.peakKb = kb;
  }

  /** Stops sampling; returns the peak RSS seen in MB and the CPU seconds used meanwhile. */
  stop(): { peakRssMb: number; cpuSeconds: number | undefined } {
    clearInterval(this.timer);
    this.sample();
    const cpuNow = cpuSeconds(this.pid);
    return {
      peakRssMb: Math.round((this.peakKb / 1024) * 10) / 10,
      cpuSeconds: cpuNow === undefined || this.cpuAtStart === undefined ? undefined : cpuNow - this.cpuAtStart,
    };
  }
}

/** A field of /proc/<pid>/status in kB (VmRSS now, VmHWM the high-water mark since start). */
export function readStatusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] === undefined ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}
