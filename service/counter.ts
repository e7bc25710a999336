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

/** INCR's and DECR's reply: typed as a number by ioredis, a decimal string with `stringNumbers` (redis.ts). */
type IntegerReply = number | string;

export interface CounterDeps {
  readonly redis: Redis;
  readonly key: string;
  readonly timeoutMs: number;
  readonly metrics: Metrics;
}

export function createCounter({ redis, key, timeoutMs, metrics }: CounterDeps): Counter {
  async function run<Reply>(command: () => Promise<Reply>): Promise<Reply> {
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
    // ioredis types replies by their RESP type and knows nothing of stringNumbers: the string it
    // really returns passes through String() unchanged, every digit of a count past 2^53 kept.
    async increment() {
      return String(await run<IntegerReply>(() => redis.incr(key)));
    },
    async decrement() {
      return String(await run<IntegerReply>(() => redis.decr(key)));
    },
  };
}
