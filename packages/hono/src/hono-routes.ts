import { createImageHandlers, type HandlerRequest, type ImageHandlerOptions, type ImageHandlers } from '@imgstash/core';
import { type Context, Hono } from 'hono';

/** Options for {@link imageRoutes}: those of core's `createImageHandlers`. */
export type ImageRoutesOptions = ImageHandlerOptions;

/** A Hono app with the imgstash routes, and the core handlers behind it. */
export type ImageRoutes = Hono & { readonly handlers: ImageHandlers };

/** What @hono/node-server passes as `c.env.incoming`: the Node request (duck-typed, no Node import). */
interface NodeIncoming {
  readableDidRead?: boolean;
  iterator?(options: { destroyOnReturn: boolean }): AsyncIterable<Uint8Array>;
}

/**
 * The request to hand to core for a route that reads a body. On @hono/node-server the body is read
 * from the Node request itself, as `@imgstash/express` does: its Web-stream view copies
 * every chunk. Elsewhere (Bun, Deno, Workers) it is the Web `Request` as is.
 */
function bodyRequest(c: Context): HandlerRequest {
  const raw = c.req.raw;
  const incoming = (c.env as { incoming?: NodeIncoming } | undefined)?.incoming;
  if (typeof incoming?.iterator !== 'function' || incoming.readableDidRead !== false) return raw;
  return {
    method: raw.method,
    url: raw.url,
    headers: raw.headers,
    // Returning early must not destroy the socket before the error response is written.
    body: incoming.iterator({ destroyOnReturn: false }),
    signal: raw.signal,
  };
}

/**
 * Creates a Hono app serving imgstash's HTTP contract: `GET /` (upload page),
 * `POST /upload`, `GET|HEAD /i/:id` and, for the memory and fs stores,
 * `GET|HEAD /files/:key`. Runs wherever Hono runs (Node, Bun, Deno, Workers); it only
 * adapts, and the behaviour lives in `@imgstash/core`. Mount it with `app.route()`.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono';
 * import { createMemoryStore } from '@imgstash/memory';
 * import { imageRoutes } from '@imgstash/hono';
 *
 * const app = new Hono();
 * app.route('/', imageRoutes({ store: createMemoryStore() }));
 * export default app;
 * ```
 */
export function imageRoutes(options: ImageRoutesOptions): ImageRoutes {
  const handlers = createImageHandlers(options);
  const app = new Hono() as ImageRoutes;
  Object.defineProperty(app, 'handlers', { value: handlers });

  // One handler for every route: core matches the path as sent (Hono's `c.req.path` is
  // decoded), and anything that is not imgstash's goes on to the app.
  app.all('*', (c, next) => {
    const mount = c.req.routePath.replace(/\/?\*$/, '');
    // The WHATWG URL keeps the path's percent-escapes as sent.
    let path = new URL(c.req.url).pathname;
    if (mount && path.startsWith(mount)) path = path.slice(mount.length) || '/';
    const found = handlers.match(path);
    if (!found) return next();
    const request = c.req.method === 'GET' || c.req.method === 'HEAD' ? c.req.raw : bodyRequest(c);
    return handlers.dispatch(found, request, mount);
  });
  return app;
}
