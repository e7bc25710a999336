import type { Middleware } from 'koa';
import getRawBody from 'raw-body';
import { AppError } from '../errors.js';

/**
 * No route takes a body, but clients may send one. Bodies up to `limit` bytes are read and
 * dropped (so the connection stays usable); larger ones are refused with 413 before they are
 * read in full, whether announced by Content-Length or streamed chunked.
 */
export function bodyLimit(limit: number): Middleware {
  return async function limitBody(ctx, next) {
    const length = ctx.get('Content-Length');
    const chunked = ctx.get('Transfer-Encoding') !== '';
    if ((length === '' || length === '0') && !chunked) return next();
    try {
      await getRawBody(ctx.req, { limit, length: length === '' ? null : length });
    } catch (error) {
      if (error instanceof Error && 'type' in error && error.type === 'entity.too.large') {
        // Nothing more will be read from this request: close instead of draining it.
        ctx.set('Connection', 'close');
        throw new AppError('PAYLOAD_TOO_LARGE', `Request body exceeds ${limit} bytes`);
      }
      throw new AppError('BAD_REQUEST', 'Request body could not be read', { cause: error });
    }
    return next();
  };
}
