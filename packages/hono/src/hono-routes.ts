import { createImageHandlers, type ImageHandlerOptions, type ImageHandlers } from '@imgstash/core';
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

  app.all(paths.upload, (c) => handlers.upload(c.req.raw, mountOf(c, paths.upload)));
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
