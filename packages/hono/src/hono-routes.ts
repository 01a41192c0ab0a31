import { createImageHandlers, type HandlerRequest, type ImageHandlerOptions, type ImageHandlers } from '@imgstash/core';
import { type Context, Hono } from 'hono';

/** Options for {@link imageRoutes}: those of core's `createImageHandlers`. */
export type ImageRoutesOptions = ImageHandlerOptions;

/** A Hono app with the imgstash routes, and the core handlers behind it. */
export type ImageRoutes = Hono & { readonly handlers: ImageHandlers };

/** The path this app is mounted at: the matched route pattern minus our own part. */
function mountOf(c: Context, own: string): string {
  const route = c.req.routePath;
  return route.endsWith(own) ? route.slice(0, route.length - own.length) : '';
}

/** What @hono/node-server passes as `c.env.incoming`: the Node request (duck-typed, no Node import). */
interface NodeIncoming {
  readableDidRead?: boolean;
  iterator?(options: { destroyOnReturn: boolean }): AsyncIterable<Uint8Array>;
}

/**
 * The request to hand to core's upload handler. On @hono/node-server the body is read
 * from the Node request itself, as `@imgstash/express` does: its Web-stream view copies
 * every chunk. Elsewhere (Bun, Deno, Workers) it is the Web `Request` as is.
 */
function uploadRequest(c: Context): HandlerRequest {
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
  const { paths } = handlers;
  const app = new Hono() as ImageRoutes;
  Object.defineProperty(app, 'handlers', { value: handlers });

  app.all(paths.upload, (c) => handlers.upload(uploadRequest(c), mountOf(c, paths.upload)));
  const imageRoute = `${paths.image}/:id`;
  app.all(imageRoute, (c) => handlers.redirect(c.req.raw, c.req.param('id') ?? '', mountOf(c, imageRoute)));
  if (paths.files !== null) {
    app.all(`${paths.files}/:key`, (c) => handlers.serve(c.req.raw, c.req.param('key') ?? ''));
  }
  if (paths.page !== false) {
    const page = paths.page;
    app.get(page, (c) => handlers.page(c.req.raw, mountOf(c, page === '/' ? '' : page)));
  }
  return app;
}
