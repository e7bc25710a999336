import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** Sentinel mode's settings: present only when REDIS_SENTINELS is set. */
export interface SentinelConfig {
  readonly sentinels: ReadonlyArray<{ readonly host: string; readonly port: number }>;
  /** The master name the Sentinels monitor (REDIS_SENTINEL_MASTER). */
  readonly masterName: string;
  /** For AUTH on the Sentinels; undefined when they need none. */
  readonly password: string | undefined;
}

/** Thrown with a message that names the variable; config.ts wraps it into its ConfigError. */
export class SentinelConfigError extends Error {}

// host:port, host:port ... ; an IPv6 address goes in brackets, as in a URL: [fd00::1]:26379.
const sentinelAddress = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9._-]+)):(\d{1,5})$/;

function parseSentinels(value: string, ctx: z.RefinementCtx): SentinelConfig['sentinels'] {
  const addresses = value.split(',').map((part) => part.trim());
  const parsed: Array<{ host: string; port: number }> = [];
  for (const address of addresses) {
    const match = sentinelAddress.exec(address);
    const port = match === null ? NaN : Number(match[3]);
    if (match === null || !(port >= 1 && port <= 65535)) {
      ctx.addIssue({
        code: 'custom',
        message: `must be a comma-separated list of host:port (port 1-65535), e.g. redis-sentinel-0:26379,redis-sentinel-1:26379; "${address}" is not`,
      });
      return z.NEVER;
    }
    parsed.push({ host: match[1] ?? match[2] ?? '', port });
  }
  return parsed;
}

const nonEmpty = z.string().min(1, { message: 'must not be empty when set' });

/** The Sentinel variables, merged into config.ts's schema so they are validated with all the others. */
export const sentinelEnvShape = {
  REDIS_SENTINELS: z.string().transform(parseSentinels).optional(),
  REDIS_SENTINEL_MASTER: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,128}$/, { message: 'must be 1-128 letters, digits, ".", "_" or "-"' })
    .default('mymaster'),
  REDIS_SENTINEL_PASSWORD: nonEmpty.optional(),
  REDIS_SENTINEL_PASSWORD_FILE: nonEmpty.optional(),
};

type SentinelEnv = z.output<z.ZodObject<typeof sentinelEnvShape>>;

function readSecretFile(variable: string, path: string): string {
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String(error.code) : String(error);
    throw new SentinelConfigError(`${variable}: cannot read ${path} (${reason})`);
  }
  const secret = content.replace(/\r?\n$/, '');
  if (secret === '') throw new SentinelConfigError(`${variable}: ${path} is empty`);
  return secret;
}

/**
 * Sentinel mode's settings, or undefined in standalone mode. `redisPassword` is the password the
 * service uses for Redis itself (REDIS_PASSWORD, REDIS_PASSWORD_FILE or REDIS_URL's): the Sentinels
 * get the same one unless REDIS_SENTINEL_PASSWORD(_FILE) says otherwise, as in bitnami/redis, where
 * one Secret serves both.
 */
export function sentinelConfig(values: SentinelEnv, redisPassword: string | undefined): SentinelConfig | undefined {
  if (values.REDIS_SENTINEL_PASSWORD !== undefined && values.REDIS_SENTINEL_PASSWORD_FILE !== undefined) {
    throw new SentinelConfigError('REDIS_SENTINEL_PASSWORD and REDIS_SENTINEL_PASSWORD_FILE are both set: set only one');
  }
  if (values.REDIS_SENTINELS === undefined) return undefined;
  const password =
    values.REDIS_SENTINEL_PASSWORD_FILE !== undefined
      ? readSecretFile('REDIS_SENTINEL_PASSWORD_FILE', values.REDIS_SENTINEL_PASSWORD_FILE)
      : (values.REDIS_SENTINEL_PASSWORD ?? redisPassword);
  return Object.freeze({
    sentinels: Object.freeze(values.REDIS_SENTINELS.map((address) => Object.freeze(address))),
    masterName: values.REDIS_SENTINEL_MASTER,
    password,
  });
}
