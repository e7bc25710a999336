// Preload (`node --import ./bench/auto-pipelining-override.js <server.js>`, a bundle that leaves ioredis out) that forces ioredis's
// enableAutoPipelining to REAS_BENCH_AUTO_PIPELINING (true|false) on every client the process creates.
// It lets the benchmark measure the service with and without auto-pipelining without a production
// switch for it: ioredis reads the option per command, and the constructor calls connect() (before any
// command can be sent), so setting it there wins over whatever the service passed.
import process from 'node:process';
import { Redis } from 'ioredis';

const wanted = process.env.REAS_BENCH_AUTO_PIPELINING;
if (wanted !== 'true' && wanted !== 'false') {
  throw new Error('auto-pipelining-override.js: set REAS_BENCH_AUTO_PIPELINING to true or false');
}
const enabled = wanted === 'true';
const connect = Redis.prototype.connect;
let reported = false;
Redis.prototype.connect = function connectWithOverride(...args) {
  this.options.enableAutoPipelining = enabled;
  // bench/lib/server-process.ts looks for this line: without it the row would measure an unpatched ioredis.
  if (!reported) {
    reported = true;
    process.stderr.write(`auto-pipelining-override[${process.pid}]: enableAutoPipelining=${enabled}\n`);
  }
  return connect.apply(this, args);
};
