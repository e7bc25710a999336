/**
 * `npm run local`: the service on http://127.0.0.1:5000 with a private redis-server next to it,
 * for a laptop with no Redis running. The Redis data (AOF) stays in .cache/redis, so the count
 * survives restarts, as it would in a cluster. Ctrl-C stops both.
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/helpers/free-port.js';
import { redisInstallHint } from '../test/helpers/redis-server.js';

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

const service = spawn(process.execPath, [`${root}dist/server.js`], {
  env: { ...process.env, REDIS_URL: process.env.REDIS_URL ?? `redis://127.0.0.1:${redisPort}` },
  stdio: 'inherit',
  detached: true,
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => service.kill(signal));
}
service.once('exit', (code) => {
  redis.once('exit', () => process.exit(code ?? 1));
  redis.kill('SIGTERM');
});
