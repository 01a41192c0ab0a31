export {
  type AuthorizeResult,
  createImageHandlers,
  type HandlerRequest,
  type ImageHandlerOptions,
  type ImageHandlers,
  type ImageRoutePaths,
  type RedirectTarget,
  type RouteMatch,
  type RouteName,
  type StoreDeadlines,
  type TransformQueueOptions,
  type UploadedImage,
} from './handlers.js';
export { renderUploadPage, type UploadPageOptions } from './page.js';
