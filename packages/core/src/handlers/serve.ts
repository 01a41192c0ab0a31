import { isLocallyServed } from '../local.js';
import { serveLocalFile } from '../serve.js';
import type { HandlerContext } from './context.js';
import { receiveLocalUpload } from './local-upload.js';
import type { HandlerRequest, ImageHandlers } from './options.js';
import { json404, methodNotAllowed } from './respond.js';

/** `GET|HEAD /files/:key`: the signed links of the memory and fs stores; `PUT`: their signed direct uploads. */
export function createServeRoute(ctx: HandlerContext): ImageHandlers['serve'] {
  const { store } = ctx;
  return async function serve(request: HandlerRequest, key: string): Promise<Response> {
    if (!isLocallyServed(store)) return json404();
    if (request.method === 'PUT') return receiveLocalUpload(ctx, request, key);
    if (request.method !== 'GET' && request.method !== 'HEAD') return methodNotAllowed('GET, HEAD, PUT');
    return serveLocalFile(store, request as Request, key);
  };
}
