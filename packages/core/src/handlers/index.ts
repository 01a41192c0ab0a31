export {
  type AuthorizeAction,
  type AuthorizeResult,
  createImageHandlers,
  type DirectUploadOptions,
  type HandlerRequest,
  type HealthOptions,
  type HealthReason,
  type ImageHandlerOptions,
  type ImageHandlers,
  type ImageRoutePaths,
  type RedirectTarget,
  type RouteMatch,
  type RouteName,
  type StartedUpload,
  type StoreDeadlines,
  type TransformQueueOptions,
  type UploadedImage,
} from './handlers.js';
export { renderUploadPage, type UploadPageOptions } from './page.js';
export { SHAREX_VERSION, type ShareXConfig } from './sharex.js';
