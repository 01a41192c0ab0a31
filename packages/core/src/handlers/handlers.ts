import { createContext } from './context.js';
import { createDirectRoutes } from './direct.js';
import type { ImageHandlerOptions, ImageHandlers } from './options.js';
import { createPageRoute } from './page.js';
import { createRedirectRoute } from './redirect.js';
import { createRouter } from './router.js';
import { createServeRoute } from './serve.js';
import { createUploadRoute } from './upload.js';

export type {
  AuthorizeResult,
  DirectUploadOptions,
  HandlerRequest,
  ImageHandlerOptions,
  ImageHandlers,
  ImageRoutePaths,
  RedirectTarget,
  RouteMatch,
  RouteName,
  StartedUpload,
  StoreDeadlines,
  UploadedImage,
} from './options.js';

/**
 * Implements imgstash's HTTP contract on Web `Request`/`Response`, for every runtime:
 * `POST /upload` (streaming: parse, sniff, limit, hash, put with an AbortSignal and a
 * deadline), `GET|HEAD /i/:id` (302 to a cached, time-bucketed signed URL),
 * `GET /files/:key` (local stores), direct uploads (`POST /uploads`, `POST /uploads/:id/complete`,
 * for stores with `presignUpload`) and `GET /` (the upload page).
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
  const serve = createServeRoute(ctx);
  const page = createPageRoute(ctx);
  const { startUpload, completeUpload } = createDirectRoutes(ctx);
  const router = createRouter(ctx, { upload, redirect, serve, page, startUpload, completeUpload });
  return {
    fetch: router.fetch,
    match: router.match,
    dispatch: router.dispatch,
    upload,
    redirect,
    redirectTarget,
    serve,
    page,
    startUpload,
    completeUpload,
    invalidate(id) {
      ctx.infoCache.delete(id);
    },
    paths: ctx.paths,
  };
}
