import { pino, type Logger } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger };

/**
 * Structured JSON logs on stdout, one object per line, as log collectors on Kubernetes expect.
 * Writes are asynchronous so a slow stdout never stalls a request; server.ts flushes on exit.
 */
export function createLogger(level: LogLevel, destination = pino.destination({ sync: false })): Logger {
  return pino(
    {
      level,
      base: { service: 'reas' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
