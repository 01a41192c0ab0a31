export {
  type ImageRouter,
  type ImageRouterOptions,
  imageRouter,
  sendResponse,
  toHandlerRequest,
} from './express-router.js';
