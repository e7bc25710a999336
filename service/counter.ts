import type { Redis } from './redis.js';
import type { Metrics } from './metrics.js';
import { classifyRedisError, toAppError } from './redis-errors.js';
import { withDeadline } from './deadline.js';

/** The counter, kept only in Redis. Values are decimal strings so 64-bit counts stay exact. */
export interface Counter {
  get(): Promise<string>;
  increment(): Promise<string>;
  decrement(): Promise<string>;
}

// Redis's own integer syntax (string2ll): no sign on zero, no leading zeros, no spaces.
const redisInteger = /^(0|-?[1-9][0-9]{0,18})$/;
const int64Min = -(2n ** 63n);
const int64Max = 2n ** 63n - 1n;

/** True when Redis itself would accept `value` for INCR. */
export function isRedisInteger(value: string): boolean {
  if (!redisInteger.test(value)) return false;
  const n = BigInt(value);
  return n >= int64Min && n <= int64Max;
}

export function createCounter(redis: Redis, key: string, timeoutMs: number, metrics: Metrics): Counter {
  async function run(command: () => Promise<string | null>): Promise<string | null> {
    try {
      return await withDeadline(command(), timeoutMs);
    } catch (error) {
      const kind = classifyRedisError(error);
      metrics.redisErrors.inc({ kind });
      throw toAppError(kind, key, timeoutMs, error);
    }
  }

  return {
    async get() {
      const value = await run(() => redis.get(key));
      if (value === null) return '0';
      if (!isRedisInteger(value)) {
        metrics.redisErrors.inc({ kind: 'not_integer' });
        throw toAppError('not_integer', key, timeoutMs, undefined);
      }
      return value;
    },
    async increment() {
      return String(await run(() => redis.incr(key) as unknown as Promise<string>));
    },
    async decrement() {
      return String(await run(() => redis.decr(key) as unknown as Promise<string>));
    },
  };
}
