export {
  type AuthorizeResult,
  createImageHandlers,
  type DirectUploadOptions,
  type HandlerRequest,
  type ImageHandlerOptions,
  type ImageHandlers,
  type ImageRoutePaths,
  type RedirectTarget,
  type RouteMatch,
  type RouteName,
  type StartedUpload,
  type StoreDeadlines,
  type UploadedImage,
} from './handlers.js';
export { renderUploadPage, type UploadPageOptions } from './page.js';
