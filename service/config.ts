import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { sentinelConfig, sentinelEnvShape, SentinelConfigError, type SentinelConfig } from './sentinel-config.js';
import { redactUrl } from './redact.js';

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

/** Thrown for any invalid variable; the message names the variable and what was expected. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const integer = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { message: `must be a whole number from ${min} to ${max}` })
    .transform(Number)
    .pipe(z.number().int().min(min, { message: `must be at least ${min}` }).max(max, { message: `must be at most ${max}` }));

const redisUrl = z
  .string()
  .refine(
    (value) => {
      try {
        const url = new URL(value);
        return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '';
      } catch {
        return false;
      }
    },
    { message: 'must be a redis:// or rediss:// URL with a host, e.g. redis://127.0.0.1:6379', abort: true },
  )
  // The path is the database index; ioredis would send anything else to SELECT, and a refused SELECT
  // crashed the process after start instead of failing here.
  .refine((value) => /^\/?(\d{1,9})?$/.test(new URL(value).pathname), {
    message: 'must have no path or a database index as its path, e.g. redis://127.0.0.1:6379/0',
  });

// Each variable is optional in the environment; defaults are applied here, in one place. These
// become the Config field of their camelCase name (REDIS_TIMEOUT_MS is config.redisTimeoutMs).
const settings = {
  PORT: integer(1, 65535).default(5000),
  REDIS_URL: redisUrl.default('redis://127.0.0.1:6379'),
  COUNTER_KEY: z
    .string()
    .min(1, { message: 'must not be empty' })
    .max(512, { message: 'must be at most 512 characters' })
    .default('count'),
  REDIS_TIMEOUT_MS: integer(10, 60_000).default(1000),
  LOG_LEVEL: z.enum(logLevels, { message: `must be one of ${logLevels.join(', ')}` }).default('info'),
  SHUTDOWN_TIMEOUT_MS: integer(0, 600_000).default(10_000),
  MAX_BODY_BYTES: integer(0, 1_048_576).default(1024),
  // Longest time a client may take to send a whole request (headers and body).
  REQUEST_TIMEOUT_MS: integer(100, 300_000).default(10_000),
  // Connections served at once; more are closed as they arrive.
  MAX_CONNECTIONS: integer(1, 1_000_000).default(4096),
};

// Variables that make one field together: the password from either of two sources, and Sentinel
// mode (docs/ha.md) from four. The transform below combines them.
const combined = {
  REDIS_PASSWORD: z.string().min(1, { message: 'must not be empty when set' }).optional(),
  REDIS_PASSWORD_FILE: z.string().min(1, { message: 'must not be empty when set' }).optional(),
  ...sentinelEnvShape,
};

/** The Config field a variable is read into: `REDIS_TIMEOUT_MS` is `redisTimeoutMs`. */
type FieldName<Variable extends string> = Variable extends `${infer Word}_${infer Rest}`
  ? `${Lowercase<Word>}${Capitalize<FieldName<Rest>>}`
  : Lowercase<Variable>;

function fieldName(variable: string): string {
  return variable.toLowerCase().replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

/** The values of `shape`'s variables, each under its field name. */
function fields<Variable extends string, Values extends Record<Variable, unknown>>(
  shape: Record<Variable, unknown>,
  values: Values,
): { readonly [V in Variable as FieldName<V>]: Values[V] } {
  const out: Record<string, unknown> = {};
  for (const variable in shape) out[fieldName(variable)] = values[variable];
  // Object keys built at run time carry no types: FieldName is fieldName's rule, spelled for the compiler.
  return out as { readonly [V in Variable as FieldName<V>]: Values[V] };
}

const configSchema = z.object({ ...settings, ...combined }).transform((values) => {
  if (values.REDIS_PASSWORD !== undefined && values.REDIS_PASSWORD_FILE !== undefined) {
    throw new ConfigError('REDIS_PASSWORD and REDIS_PASSWORD_FILE are both set: set only one');
  }
  // From REDIS_PASSWORD or the file named by REDIS_PASSWORD_FILE; undefined when neither is set.
  const redisPassword =
    values.REDIS_PASSWORD_FILE !== undefined ? readPasswordFile(values.REDIS_PASSWORD_FILE) : values.REDIS_PASSWORD;
  let redisSentinel: SentinelConfig | undefined;
  try {
    const urlPassword = decodeURIComponent(new URL(values.REDIS_URL).password);
    redisSentinel = sentinelConfig(values, redisPassword ?? (urlPassword === '' ? undefined : urlPassword));
  } catch (error) {
    throw error instanceof SentinelConfigError ? new ConfigError(error.message) : error;
  }
  // Absent, not undefined, in standalone mode.
  const sentinelMode: { readonly redisSentinel?: SentinelConfig } = redisSentinel === undefined ? {} : { redisSentinel };
  return Object.freeze({ ...fields(settings, values), redisPassword, ...sentinelMode });
});

/**
 * The service's whole configuration, read from the environment once at start: what the schema
 * above makes of it. Nothing else in the service reads process.env.
 */
export type Config = z.output<typeof configSchema>;

/** A value as an error message may show it: a URL without its credentials. */
function shown(name: string, value: unknown): unknown {
  return name === 'REDIS_URL' && typeof value === 'string' ? redactUrl(value) : value;
}

function readPasswordFile(path: string): string {
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String(error.code) : String(error);
    throw new ConfigError(`REDIS_PASSWORD_FILE: cannot read ${path} (${reason})`);
  }
  // Secrets written with `echo` or an editor end in a newline that is not part of the password.
  const password = content.replace(/\r?\n$/, '');
  if (password === '') throw new ConfigError(`REDIS_PASSWORD_FILE: ${path} is empty`);
  return password;
}

/**
 * Validates the environment and returns a frozen Config.
 * Throws ConfigError naming the first bad variable; server.ts turns that into exit code 1.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings count as unset, as in most twelve-factor tooling (e.g. `PORT=` in an env file).
  const present = Object.fromEntries(
    Object.keys(configSchema.in.shape)
      .filter((name) => env[name] !== undefined && env[name] !== '')
      .map((name) => [name, env[name]]),
  );
  // The transform runs only once every variable is valid; what it finds (an unreadable password
  // file, two sources for one password) it throws as a ConfigError of its own.
  const parsed = configSchema.safeParse(present);
  if (!parsed.success) {
    const messages = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '');
      const given = name in present && name !== 'REDIS_PASSWORD' ? ` (got ${JSON.stringify(shown(name, present[name]))})` : '';
      return `${name}: ${issue.message}${given}`;
    });
    throw new ConfigError(messages.join('; '));
  }
  return parsed.data;
}
