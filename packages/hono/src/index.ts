export { type ImageRoutes, type ImageRoutesOptions, imageRoutes } from './hono-routes.js';
