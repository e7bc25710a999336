import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { get } from 'node:http';
import { freePort } from '../../hack/lib/free-port.js';
import { serverEntry, serverNodeFlags } from '../../hack/lib/server-command.js';

export { serverEntry };

export interface ServiceProcess {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited(): Promise<number | null>;
}

/**
 * Runs the built server (`npm run build` output) as its own process, the way a container does,
 * and waits until it answers `waitFor` (/readyz: listening and connected to Redis) with 200.
 */
export async function spawnService(
  env: Record<string, string>,
  options: {
    waitFor?: '/readyz' | '/ok' | 'nothing';
    /** Another copy of the bundle to run. @default serverEntry */
    entry?: string;
    /** Node's flags. @default serverNodeFlags */
    nodeFlags?: readonly string[];
    /** The node binary. @default the one running the tests */
    node?: string;
  } = {},
): Promise<ServiceProcess> {
  const entry = options.entry ?? serverEntry;
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first`);
  const port = env.PORT === undefined ? await freePort() : Number(env.PORT);
  const child = spawn(options.node ?? process.execPath, [...(options.nodeFlags ?? serverNodeFlags), entry], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = once(child, 'exit').then(([code]) => code as number | null);
  const service: ServiceProcess = {
    url: `http://127.0.0.1:${port}`,
    port,
    child,
    output: () => output,
    exited: () => exit,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exit;
    },
  };
  const waitFor = options.waitFor ?? '/readyz';
  if (waitFor !== 'nothing') {
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`service exited with ${child.exitCode} before answering ${waitFor}:\n${output}`);
      if ((await probe(service.url + waitFor)) === 200) break;
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`service did not answer ${waitFor} with 200 within 10 s:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return service;
}

/**
 * The status of a GET on a connection of its own, closed after the answer: a pooled keep-alive
 * connection (fetch's) would stay open in the service and count against MAX_CONNECTIONS.
 */
function probe(url: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    get(url, { agent: false, headers: { Connection: 'close' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    }).on('error', () => resolve(undefined));
  });
}
