import { AppError } from './errors.js';
import { DeadlineError } from './deadline.js';

export type RedisErrorKind = 'unavailable' | 'connection_lost' | 'timeout' | 'not_integer' | 'overflow' | 'other';

/**
 * Sorts an ioredis failure by what the caller can do about it, and by whether the command may have run.
 * 'unavailable' means it was never sent (no connection: with the offline queue off, ioredis refuses at once);
 * 'connection_lost' means it was sent and the connection closed before the answer, so Redis may have applied it.
 * With maxRetriesPerRequest 0 and no resend, ioredis rejects the commands in flight at a disconnect with its
 * MaxRetriesPerRequestError (and with "Connection is closed." once it stops reconnecting, at shutdown).
 */
export function classifyRedisError(error: unknown): RedisErrorKind {
  if (error instanceof DeadlineError) return 'timeout';
  const message = error instanceof Error ? error.message : String(error);
  if (message.startsWith('Command timed out')) return 'timeout';
  if (message.startsWith('WRONGTYPE') || message.includes('value is not an integer')) return 'not_integer';
  if (message.includes('would overflow')) return 'overflow';
  if (message.includes('Connection is closed') || message.includes('max retries per request')) return 'connection_lost';
  if (
    message.includes("Stream isn't writeable") ||
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
    case 'connection_lost':
      return new AppError('REDIS_CONNECTION_LOST', 'Redis closed the connection before answering; the command may have been applied', {
        cause,
        headers: { 'Retry-After': '1' },
      });
    case 'not_integer':
      return new AppError('COUNTER_NOT_INTEGER', `Redis key "${key}" holds a value that is not an integer; it was left unchanged`, { cause });
    case 'overflow':
      return new AppError('COUNTER_OVERFLOW', `Redis key "${key}" would overflow a 64-bit integer; it was left unchanged`, { cause });
    case 'other':
      return new AppError('INTERNAL', 'Internal server error', { cause });
  }
}
