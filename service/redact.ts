import type { Config } from './config.js';

/**
 * A URL with its whole userinfo (user and password) replaced by `***`. It works on the raw text,
 * so a URL that does not parse (a generated password with an unencoded `/`, `#` or `?` in it)
 * is hidden the same way; the last `@` ends the userinfo, since a password may hold an `@` too.
 */
export function redactUrl(url: string): string {
  const scheme = url.indexOf('://');
  const at = url.lastIndexOf('@');
  if (scheme === -1 || at < scheme) return url;
  return `${url.slice(0, scheme + 3)}***${url.slice(at)}`;
}

/**
 * The secrets of a configuration, in every spelling an output could carry them: the password
 * (REDIS_PASSWORD or its file) and the credentials of REDIS_URL, as given, percent-decoded and
 * JSON-escaped. A URL with a user part and no password (`redis://SECRET@host`) is a password put
 * in the wrong place: its user part counts as a secret too.
 */
export function secretsOf(config: Pick<Config, 'redisUrl' | 'redisPassword' | 'redisSentinel'>): string[] {
  const raw: string[] = [];
  if (config.redisPassword !== undefined) raw.push(config.redisPassword);
  if (config.redisSentinel?.password !== undefined) raw.push(config.redisSentinel.password);
  try {
    const url = new URL(config.redisUrl);
    if (url.password !== '') raw.push(url.password);
    else if (url.username !== '') raw.push(url.username);
  } catch {
    // loadConfig accepts only URLs that parse.
  }
  const forms = new Set<string>();
  for (const secret of raw) {
    for (const form of [secret, safeDecode(secret), encodeURIComponent(secret)]) {
      forms.add(form);
      forms.add(JSON.stringify(form).slice(1, -1));
    }
  }
  forms.delete('');
  // Longest first, so a secret that contains another is replaced whole.
  return [...forms].sort((a, b) => b.length - a.length);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** A function that replaces every given secret in a text with `[redacted]`. */
export function scrubber(secrets: readonly string[]): (text: string) => string {
  if (secrets.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const secret of secrets) if (out.includes(secret)) out = out.replaceAll(secret, '[redacted]');
    return out;
  };
}

/**
 * A copy of a serialized error in which the arguments of every Redis command are replaced, at any
 * depth (causes, aggregated errors). ioredis attaches the failed command to its errors, and the
 * arguments of AUTH are the credentials; the command's name is kept, it says what failed.
 */
export function redactCommandArgs(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (Array.isArray(value)) return value.map((item) => redactCommandArgs(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] =
      key === 'command' && item !== null && typeof item === 'object' && 'args' in item
        ? { ...item, args: '[redacted]' }
        : redactCommandArgs(item, depth + 1);
  }
  return out;
}
