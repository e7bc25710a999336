import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Seconds before wrk's own end at which the load script stops sending (see wrk-load.lua). */
export const drainTailSeconds = 0.25;

const luaScript = fileURLToPath(new URL('../wrk-load.lua', import.meta.url));

export interface WrkErrors {
  readonly connect: number;
  readonly read: number;
  readonly write: number;
  /** HTTP status > 399 (wrk's definition of a failed status). */
  readonly status: number;
  readonly timeout: number;
}

export interface WrkResult {
  /** Responses received, every status. */
  readonly requests: number;
  /** Responses with a status below 400. */
  readonly ok: number;
  readonly requestsPerSecond: number;
  /** Every connection stopped sending before wrk ended, so no request was dropped in flight. */
  readonly drained: boolean;
  readonly errors: WrkErrors;
  readonly errorCount: number;
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly p999: number; readonly max: number; readonly mean: number };
}

interface WrkJson {
  durationUs: number;
  requests: number;
  drained: boolean;
  activeWindowS: number;
  bytes: number;
  errors: WrkErrors;
  latencyUs: { min: number; mean: number; stdev: number; max: number; p50: number; p90: number; p99: number; p999: number };
}

function hasWrk(): boolean {
  return spawnSync('wrk', ['-v'], { stdio: 'ignore' }).error === undefined;
}

/**
 * wrk is the load generator: a C event loop that costs far less CPU per request than a Node client,
 * which matters when it shares 2 cores with the server under test and Redis. Installed from apt when
 * we are root and it is missing; otherwise we stop and say how to get it.
 */
export function ensureWrk(log: (line: string) => void): void {
  if (hasWrk()) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).error === undefined;
  if (!isRoot || !hasApt) {
    throw new Error(
      'wrk (the HTTP load generator) is not installed. Install it with `sudo apt-get install -y wrk` ' +
        '(Debian/Ubuntu) or `brew install wrk` (macOS), then run the benchmark again.',
    );
  }
  log('wrk is missing: installing it with apt-get (running as root)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', 'wrk'], { stdio: 'inherit', env });
  if (!hasWrk()) throw new Error('apt-get installed wrk but `wrk` is still not on PATH');
}

export interface WrkRun {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly seconds: number;
  readonly connections: number;
  readonly threads: number;
  /**
   * Seconds of the run during which nothing new is sent, so answers in flight still arrive
   * (default drainTailSeconds). A request can only be counted if its answer lands in this tail: for
   * routes that change the counter under heavy load, give it wrk's timeout (2 s), past which a
   * request is an error anyway.
   */
  readonly tailSeconds?: number;
  /** Seconds after which a request counts as timed out (default wrkTimeoutSeconds). */
  readonly timeoutSeconds?: number;
}

/** wrk's --timeout: a request unanswered this long counts as an error. */
export const wrkTimeoutSeconds = 2;

export async function runWrk(run: WrkRun): Promise<WrkResult> {
  const active = run.seconds - (run.tailSeconds ?? drainTailSeconds);
  if (active <= 0) throw new Error(`wrk run of ${run.seconds} s leaves no time to send after a tail of ${run.tailSeconds} s`);
  const args = [
    '-t', String(run.threads),
    '-c', String(run.connections),
    '-d', `${run.seconds}s`,
    '--timeout', `${run.timeoutSeconds ?? wrkTimeoutSeconds}s`,
    '-s', luaScript,
    run.url,
    '--', run.method, active.toFixed(3),
  ];
  const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  const line = stdout.split('\n').find((l) => l.startsWith('REAS_WRK_JSON '));
  if (code !== 0 || line === undefined) {
    throw new Error(`wrk ${args.join(' ')} exited ${code} without results:\n${stdout}\n${stderr}`);
  }
  const json = JSON.parse(line.slice('REAS_WRK_JSON '.length)) as WrkJson;
  const e = json.errors;
  const errorCount = e.connect + e.read + e.write + e.status + e.timeout;
  const ms = (us: number): number => Math.round(us) / 1000;
  return {
    requests: json.requests,
    ok: json.requests - e.status,
    // The load only ran for the active window; the drained tail is idle by design.
    requestsPerSecond: json.requests / active,
    drained: json.drained,
    errors: e,
    errorCount,
    latencyMs: {
      p50: ms(json.latencyUs.p50),
      p90: ms(json.latencyUs.p90),
      p99: ms(json.latencyUs.p99),
      p999: ms(json.latencyUs.p999),
      max: ms(json.latencyUs.max),
      mean: ms(json.latencyUs.mean),
    },
  };
}
