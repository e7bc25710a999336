import { AppError } from './errors.js';
import { DeadlineError } from './deadline.js';

export type RedisErrorKind = 'unavailable' | 'timeout' | 'not_integer' | 'overflow' | 'other';

/** Sorts an ioredis failure by what the caller can do about it. */
export function classifyRedisError(error: unknown): RedisErrorKind {
  if (error instanceof DeadlineError) return 'timeout';
  const message = error instanceof Error ? error.message : String(error);
  if (message.startsWith('Command timed out')) return 'timeout';
  if (message.startsWith('WRONGTYPE') || message.includes('value is not an integer')) return 'not_integer';
  if (message.includes('would overflow')) return 'overflow';
  if (
    message.includes("Stream isn't writeable") ||
    message.includes('Connection is closed') ||
    message.includes('max retries per request') ||
    message.startsWith('NOAUTH') ||
    message.startsWith('WRONGPASS') ||
    message.startsWith('LOADING') ||
    message.startsWith('READONLY') ||
    message.startsWith('MASTERDOWN') ||
    (error instanceof Error && 'code' in error && typeof error.code === 'string' && error.code.startsWith('E'))
  ) {
    return 'unavailable';
  }
  return 'other';
}

/** The answer for a failed counter command on `key`. */
export function toAppError(kind: RedisErrorKind, key: string, timeoutMs: number, cause: unknown): AppError {
  switch (kind) {
    case 'timeout':
      return new AppError('REDIS_TIMEOUT', `Redis did not answer within ${timeoutMs} ms; retry later`, { cause, headers: { 'Retry-After': '1' } });
    case 'unavailable':
      return new AppError('REDIS_UNAVAILABLE', 'Redis is unavailable; retry later', { cause, headers: { 'Retry-After': '1' } });
    case 'not_integer':
      return new AppError('COUNTER_NOT_INTEGER', `Redis key "${key}" holds a value that is not an integer; it was left unchanged`, { cause });
    case 'overflow':
      return new AppError('COUNTER_OVERFLOW', `Redis key "${key}" would overflow a 64-bit integer; it was left unchanged`, { cause });
    case 'other':
      return new AppError('INTERNAL', 'Internal server error', { cause });
  }
}
