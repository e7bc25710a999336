import type Router from '@koa/router';
import type { Middleware } from 'koa';

/**
 * gin's RedirectTrailingSlash, which the original ran with: a request for a route's path plus a
 * trailing slash is redirected to the route, 301 for GET and 307 for other methods (307 keeps the
 * method and body, so a POST is repeated as a POST), and nothing else happens. It sits after the
 * router, so only requests no route took reach it.
 */
export function trailingSlash(router: Router): Middleware {
  return async function redirectTrailingSlash(ctx, next) {
    const { path } = ctx;
    if (path.length > 1 && path.endsWith('/')) {
      const target = path.slice(0, -1);
      if (router.match(target, ctx.method).route) {
        ctx.status = ctx.method === 'GET' ? 301 : 307;
        ctx.set('Location', ctx.querystring === '' ? target : `${target}?${ctx.querystring}`);
        // Go's http.Redirect writes a small HTML body for GET and HEAD only.
        if (ctx.method === 'GET') {
          ctx.type = 'text/html';
          ctx.body = `<a href="${target}">Moved Permanently</a>.\n\n`;
        } else {
          ctx.body = '';
        }
        return;
      }
    }
    return next();
  };
}
