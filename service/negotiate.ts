import type { Context } from 'koa';

/**
 * JSON only for clients that ask for it over text: the original service answered bare text
 * to everything, and its clients (curl, probes, the Pester suite) send no Accept or *\/*.
 */
export function wantsJson(ctx: Context): boolean {
  const accept = ctx.get('Accept');
  if (accept === '' || accept === '*/*') return false;
  return ctx.accepts('text/plain', 'application/json') === 'application/json';
}
