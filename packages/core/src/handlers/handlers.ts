import { createContext } from './context.js';
import { createDeleteRoutes } from './delete.js';
import { createDirectRoutes } from './direct.js';
import { createHealthRoute } from './health.js';
import type { HandlerRequest, ImageHandlerOptions, ImageHandlers } from './options.js';
import { createPageRoute } from './page.js';
import { createRedirectRoute } from './redirect.js';
import { methodNotAllowed } from './respond.js';
import { createRouter } from './router.js';
import { createServeRoute } from './serve.js';
import { createShareRoute } from './share.js';
import { createShareXRoute } from './sharex.js';
import { createUploadRoute } from './upload.js';
import { createVariantRoute } from './variant.js';

export type {
  AuthorizeAction,
  AuthorizeResult,
  DirectUploadOptions,
  HandlerRequest,
  HealthOptions,
  HealthReason,
  ImageHandlerOptions,
  ImageHandlers,
  ImageRoutePaths,
  RedirectTarget,
  RouteMatch,
  RouteName,
  StartedUpload,
  StoreDeadlines,
  TransformQueueOptions,
  UploadedImage,
} from './options.js';

/**
 * Implements imgstash's HTTP contract on Web `Request`/`Response`, for every runtime:
 * `POST /upload` (streaming: parse, sniff, limit, hash, put with an AbortSignal and a
 * deadline), `GET|HEAD /i/:id` (302 to a cached, time-bucketed signed URL),
 * `GET|HEAD /i/:id/:preset` (a variant, made on its first request, when `variants` are set),
 * `DELETE /i/:id` (with the image's delete token), `GET|POST /d/:id` (the delete
 * confirmation page), `GET /p/:id` (the share page), `GET /sharex.sxcu` (a ShareX config),
 * `GET /healthz`, `GET /files/:key` (local stores), direct uploads (`POST /uploads`,
 * `POST /uploads/:id/complete`, for stores with `presignUpload`) and `GET /` (the upload page).
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
  const views = createRedirectRoute(ctx);
  const { remove, deletePage, deleteImage } = createDeleteRoutes(ctx);
  // `/i/:id` is one path for viewing and deleting: a DELETE goes to `remove`, in both
  // entry points, so that adapters (Express's fast path calls redirectTarget) need no change.
  const viewing = (request: HandlerRequest) => request.method === 'GET' || request.method === 'HEAD';
  const notViewing = (request: HandlerRequest, id: string) =>
    request.method === 'DELETE' ? remove(request, id) : Promise.resolve(methodNotAllowed('GET, HEAD, DELETE'));
  const redirect: ImageHandlers['redirect'] = (request, id, mountPath) =>
    viewing(request) ? views.redirect(request, id, mountPath) : notViewing(request, id);
  const redirectTarget: ImageHandlers['redirectTarget'] = (request, id, mountPath) =>
    viewing(request) ? views.redirectTarget(request, id, mountPath) : notViewing(request, id);
  const { variant, variantTarget } = createVariantRoute(ctx);
  const serve = createServeRoute(ctx);
  const page = createPageRoute(ctx);
  const { health, setDraining } = createHealthRoute(ctx);
  const share = createShareRoute(ctx);
  const sharex = createShareXRoute(ctx);
  const { startUpload, completeUpload } = createDirectRoutes(ctx);
  const router = createRouter(ctx, {
    upload,
    redirect,
    variant,
    serve,
    page,
    health,
    deletePage,
    share,
    sharex,
    startUpload,
    completeUpload,
  });
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
    health,
    setDraining,
    remove,
    deletePage,
    deleteImage,
    share,
    sharex,
    startUpload,
    completeUpload,
    invalidate(id) {
      // Forgets the image's entry, which holds its variants too, and its signed URLs.
      ctx.forget(id);
    },
    paths: ctx.paths,
  };
}
