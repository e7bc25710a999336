import { pino, type Logger } from 'pino';
import type { LogLevel } from './config.js';
import { redactCommandArgs, scrubber } from './redact.js';

export type { Logger };

export interface LoggerOptions {
  /** Strings that must never be written (secretsOf(config)); each is replaced by `[redacted]`. @default none */
  readonly secrets?: readonly string[];
  /** @default stdout, written asynchronously */
  readonly destination?: pino.DestinationStream;
}

/**
 * Structured JSON logs on stdout, one object per line, as log collectors on Kubernetes expect.
 * Writes are asynchronous so a slow stdout never stalls a request; server.ts flushes on exit.
 *
 * Secrets are kept out in two layers, so that no call site has to remember them: every error is
 * serialized without the arguments of the Redis command it carries (AUTH's are the credentials),
 * and every finished line is scrubbed of the configured secrets before it is written.
 */
export function createLogger(level: LogLevel, options: LoggerOptions = {}): Logger {
  const scrub = scrubber(options.secrets ?? []);
  const serializeError = (error: unknown) => redactCommandArgs(pino.stdSerializers.err(error as Error));
  return pino(
    {
      level,
      base: { service: 'reas' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: serializeError, error: serializeError },
      hooks: { streamWrite: scrub },
    },
    options.destination ?? pino.destination({ sync: false }),
  );
}
