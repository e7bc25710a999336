import type { Middleware } from 'koa';
import { AppError, isAppError } from '../errors.js';
import type { FailureLog } from '../failure-log.js';
import { wantsJson } from '../negotiate.js';

/**
 * The one place errors become answers. It also turns the router's bare 404/405/501 statuses
 * into catalogue errors, so every failure has the same shape: a text message, or
 * {"error": {"code", "message"}} for clients that accept JSON.
 */
export function errorHandler(failures: FailureLog): Middleware {
  return async function handleErrors(ctx, next) {
    let error: AppError;
    // Text answers are never to be sniffed into something else (what gin's users add as a middleware).
    ctx.set('X-Content-Type-Options', 'nosniff');
    try {
      await next();
      if (ctx.body != null) return;
      if (ctx.status === 404) {
        error = new AppError('NOT_FOUND', `No route for ${ctx.method} ${ctx.path}`);
      } else if (ctx.status === 405) {
        const allow = ctx.response.get('Allow');
        error = new AppError('METHOD_NOT_ALLOWED', `${ctx.method} is not allowed on ${ctx.path}; allowed: ${allow}`, {
          headers: { Allow: allow },
        });
      } else if (ctx.status === 501) {
        error = new AppError('NOT_IMPLEMENTED', `Method ${ctx.method} is not implemented`);
      } else {
        return;
      }
    } catch (thrown) {
      error = isAppError(thrown) ? thrown : new AppError('INTERNAL', 'Internal server error', { cause: thrown });
      if (error.status >= 500) {
        const cause = error.cause ?? thrown;
        // One line when a kind of failure starts, then a count: an outage fails every request alike.
        failures.failed(error.code, { err: cause, code: error.code, method: ctx.method, path: ctx.path }, error.message);
      }
    }

    const message = error.expose ? error.message : 'Internal server error';
    ctx.status = error.status;
    ctx.set(error.headers);
    if (wantsJson(ctx)) {
      ctx.body = { error: { code: error.code, message } };
    } else {
      ctx.type = 'text/plain';
      ctx.body = message;
    }
  };
}
