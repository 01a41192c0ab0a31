import { createContext } from './context.js';
import type { ImageHandlerOptions, ImageHandlers } from './options.js';
import { createPageRoute } from './page.js';
import { createRedirectRoute } from './redirect.js';
import { createRouter } from './router.js';
import { createServeRoute } from './serve.js';
import { createUploadRoute } from './upload.js';
import { createVariantRoute } from './variant.js';

export type {
  AuthorizeResult,
  HandlerRequest,
  ImageHandlerOptions,
  ImageHandlers,
  ImageRoutePaths,
  RedirectTarget,
  RouteMatch,
  RouteName,
  StoreDeadlines,
  TransformQueueOptions,
  UploadedImage,
} from './options.js';

/**
 * Implements imgstash's HTTP contract on Web `Request`/`Response`, for every runtime:
 * `POST /upload` (streaming: parse, sniff, limit, hash, put with an AbortSignal and a
 * deadline), `GET|HEAD /i/:id` (302 to a cached, time-bucketed signed URL),
 * `GET|HEAD /i/:id/:preset` (a variant, made on its first request, when `variants` are set),
 * `GET /files/:key` (local stores) and `GET /` (the upload page).
 *
 * @example
 * ```ts
 * const handlers = createImageHandlers({ store: createMemoryStore() });
 * export default { fetch: (request: Request) => handlers.fetch(request) };
 * ```
 */
export function createImageHandlers(options: ImageHandlerOptions): ImageHandlers {
  const ctx = createContext(options);
  const upload = createUploadRoute(ctx);
  const { redirect, redirectTarget } = createRedirectRoute(ctx);
  const { variant, variantTarget } = createVariantRoute(ctx);
  const serve = createServeRoute(ctx);
  const page = createPageRoute(ctx);
  const router = createRouter(ctx, { upload, redirect, variant, serve, page });
  return {
    fetch: router.fetch,
    match: router.match,
    dispatch: router.dispatch,
    upload,
    redirect,
    redirectTarget,
    variant,
    variantTarget,
    serve,
    page,
    invalidate(id) {
      // The image's entry holds its variants too.
      ctx.infoCache.delete(id);
    },
    paths: ctx.paths,
  };
}
