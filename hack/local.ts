/**
 * `npm run local`: the service on http://127.0.0.1:5000 with a private redis-server next to it,
 * for a laptop with no Redis running. The Redis data (AOF) stays in .cache/redis, so the count
 * survives restarts, as it would in a cluster. Ctrl-C stops both.
 * `npm run dev` (--watch): the same with the TypeScript source run by `tsx watch`, which restarts the
 * service on every saved change under service/ (no build step; stack traces point into the .ts files).
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort } from './lib/free-port.js';
import { redisInstallHint } from './lib/redis-server.js';
import { serverEntry, serverNodeFlags } from './lib/server-command.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const dataDir = `${root}.cache/redis`;
mkdirSync(dataDir, { recursive: true });

const redisPort = await freePort();
const redis = spawn(
  'redis-server',
  ['--port', String(redisPort), '--bind', '127.0.0.1', '--dir', dataDir, '--appendonly', 'yes', '--save', ''],
  // Own process groups: a Ctrl-C in the terminal reaches this script alone, which then stops
  // the service first and Redis after it, each exactly once.
  { stdio: ['ignore', 'pipe', 'inherit'], detached: true },
);
redis.once('error', (error: NodeJS.ErrnoException) => {
  process.stderr.write(error.code === 'ENOENT' ? `${redisInstallHint}\n` : `redis-server: ${error.message}\n`);
  process.exit(1);
});
await new Promise<void>((resolve, reject) => {
  let out = '';
  redis.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    if (out.includes('Ready to accept connections')) resolve();
  });
  redis.once('exit', (code) => reject(new Error(`redis-server exited with ${code}:\n${out}`)));
});
redis.stdout.resume();
process.stderr.write(`local redis-server on 127.0.0.1:${redisPort}, data in .cache/redis\n`);

const watch = process.argv.includes('--watch');
const command = watch ? [`${root}node_modules/tsx/dist/cli.mjs`, 'watch', '--clear-screen=false', `${root}service/server.ts`] : [...serverNodeFlags, serverEntry];
const service = spawn(process.execPath, command, {
  env: { ...process.env, REDIS_URL: process.env.REDIS_URL ?? `redis://127.0.0.1:${redisPort}` },
  stdio: 'inherit',
  detached: true,
});
// A terminal's Ctrl-C reaches this script twice (from the terminal and relayed by the tsx that runs it): the first
// one stops the service, later ones must not kill this script before it has stopped Redis.
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    service.kill(signal);
  });
}
service.once('exit', (code) => {
  redis.once('exit', () => process.exit(code ?? 1));
  redis.kill('SIGTERM');
});
