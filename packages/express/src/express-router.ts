import type { IncomingMessage, ServerResponse } from 'node:http';
import { createImageHandlers, type HandlerRequest, type ImageHandlerOptions, type ImageHandlers } from '@imgstash/core';
import { type Request as ExpressRequest, type Response as ExpressResponse, type RequestHandler, Router } from 'express';

/** Options for {@link imageRouter}: those of core's `createImageHandlers`. */
export type ImageRouterOptions = ImageHandlerOptions;

/** An Express router with the imgstash routes, and the core handlers behind it. */
export type ImageRouter = Router & { readonly handlers: ImageHandlers };

// Any syntactically valid origin will do: core reads only the path and query.
const ORIGIN = 'http://imgstash.invalid';

function toHeaders(req: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    try {
      headers.append(raw[i] as string, raw[i + 1] as string);
    } catch {
      // A header value the Fetch API refuses is one imgstash never reads.
    }
  }
  return headers;
}

/** Adapts a Node request without converting its body to a Web stream. */
export function toHandlerRequest(req: IncomingMessage & { originalUrl?: string }, res: ServerResponse): HandlerRequest {
  const controller = new AbortController();
  // The client going away before the response is done aborts the store's put.
  res.once('close', () => {
    if (!res.writableFinished) controller.abort(new DOMException('The client disconnected.', 'AbortError'));
  });
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  return {
    method: req.method ?? 'GET',
    url: ORIGIN + (req.originalUrl ?? req.url ?? '/'),
    headers: toHeaders(req),
    // Returning early must not destroy the socket before the error response is written.
    body: hasBody ? req.iterator({ destroyOnReturn: false }) : null,
    signal: controller.signal,
  };
}

/** Writes a Web `Response` to a Node response, streaming its body with back-pressure. */
export async function sendResponse(req: IncomingMessage, res: ServerResponse, response: Response): Promise<void> {
  res.statusCode = response.status;
  response.headers.forEach((value, name) => {
    res.setHeader(name, value);
  });
  // An unread request body (a refused upload) would otherwise be read to its end by
  // Node to keep the connection alive; closing it is cheaper and stops the client.
  if (!req.complete && req.method !== 'GET' && req.method !== 'HEAD') res.setHeader('connection', 'close');
  if (!response.body || req.method === 'HEAD') {
    await response.body?.cancel();
    res.end();
    return;
  }
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) {
        await new Promise<void>((resolve) => {
          const go = () => {
            res.off('drain', go);
            res.off('close', go);
            resolve();
          };
          res.on('drain', go);
          res.on('close', go);
        });
        if (res.destroyed) break;
      }
    }
    res.end();
  } catch {
    res.destroy();
  } finally {
    await reader.cancel().catch(() => {});
  }
}

/**
 * Creates an Express router (Express 4 and 5) serving imgstash's HTTP contract: `GET /`
 * (upload page), `POST /upload`, `GET|HEAD /i/:id` and, for the memory and fs stores,
 * `GET|HEAD /files/:key`. It only adapts requests and responses; the behaviour lives in
 * `@imgstash/core`. Mount it anywhere: links include the mount path.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { createFsStore } from '@imgstash/fs';
 * import { imageRouter } from '@imgstash/express';
 *
 * const app = express();
 * app.use(imageRouter({ store: createFsStore({ root: './data' }), publicBaseUrl: 'http://localhost:3000' }));
 * app.listen(3000);
 * ```
 */
export function imageRouter(options: ImageRouterOptions): ImageRouter {
  const handlers = createImageHandlers(options);
  const { paths } = handlers;
  const router = Router() as ImageRouter;
  Object.defineProperty(router, 'handlers', { value: handlers });

  const adapt =
    (run: (request: HandlerRequest, req: ExpressRequest) => Promise<Response> | Response): RequestHandler =>
    (req: ExpressRequest, res: ExpressResponse, next) => {
      Promise.resolve()
        .then(() => run(toHandlerRequest(req, res), req))
        .then((response) => sendResponse(req, res, response))
        .catch(next);
    };

  router.all(
    paths.upload,
    adapt((request, req) => handlers.upload(request, req.baseUrl)),
  );
  router.all(
    `${paths.image}/:id`,
    adapt((request, req) => handlers.redirect(request, String(req.params.id), req.baseUrl)),
  );
  if (paths.files !== null) {
    router.all(
      `${paths.files}/:key`,
      adapt((request, req) => handlers.serve(request, String(req.params.key))),
    );
  }
  if (paths.page !== false) {
    router.get(
      paths.page,
      adapt((request, req) => handlers.page(request, req.baseUrl)),
    );
  }
  return router;
}
