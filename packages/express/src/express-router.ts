import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  createImageHandlers,
  type HandlerRequest,
  type ImageHandlerOptions,
  type ImageHandlers,
  type RedirectTarget,
} from '@imgstash/core';
import { type Request as ExpressRequest, type Response as ExpressResponse, Router } from 'express';

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

/**
 * Adapts a Node request without converting its body to a Web stream. The headers and the
 * abort signal are built on first use: a hot redirect reads neither.
 */
export function toHandlerRequest(req: IncomingMessage & { originalUrl?: string }, res: ServerResponse): HandlerRequest {
  let headers: Headers | undefined;
  let signal: AbortSignal | undefined;
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  return {
    method: req.method ?? 'GET',
    url: ORIGIN + (req.originalUrl ?? req.url ?? '/'),
    get headers() {
      headers ??= toHeaders(req);
      return headers;
    },
    // Returning early must not destroy the socket before the error response is written.
    body: hasBody ? req.iterator({ destroyOnReturn: false }) : null,
    get signal() {
      if (!signal) {
        const controller = new AbortController();
        const disconnected = () => controller.abort(new DOMException('The client disconnected.', 'AbortError'));
        // The client going away before the response is done aborts the store's put.
        if (res.closed) {
          if (!res.writableFinished) disconnected();
        } else {
          res.once('close', () => {
            if (!res.writableFinished) disconnected();
          });
        }
        signal = controller.signal;
      }
      return signal;
    },
  };
}

/**
 * Headers as the flat `[name, value, …]` list `writeHead` takes: one writeHead, no
 * per-header setHeader bookkeeping, which is most of what a hot redirect costs here.
 */
function headerList(headers: Iterable<[string, string]>): string[] {
  const list: string[] = [];
  for (const [name, value] of headers) list.push(name, value);
  return list;
}

/** Writes a Web `Response` to a Node response, streaming its body with back-pressure. */
export async function sendResponse(req: IncomingMessage, res: ServerResponse, response: Response): Promise<void> {
  const headers = headerList(response.headers);
  // Core drains a refused upload's body within bounds before it answers; whatever is still
  // unread past them would otherwise be read to its end by Node to keep the connection
  // alive: closing is cheaper, and stops the client.
  if (!req.complete && req.method !== 'GET' && req.method !== 'HEAD' && !response.headers.has('connection')) {
    headers.push('connection', 'close');
  }
  res.writeHead(response.status, headers);
  if (!response.body || req.method === 'HEAD') {
    if (response.body) await response.body.cancel();
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
  const router = Router() as ImageRouter;
  Object.defineProperty(router, 'handlers', { value: handlers });

  // One middleware for every route: core matches the path (as sent, not decoded, so a
  // malformed %-escape is core's JSON 404 rather than Express's HTML 400) and anything
  // that is not imgstash's goes on to the app.
  router.use((req: ExpressRequest, res: ExpressResponse, next) => {
    const found = handlers.match(req.path);
    if (!found) return next();
    const request = toHandlerRequest(req, res);
    let response: Promise<RedirectTarget | Response>;
    try {
      // The hot paths: a cached redirect (of an image or a variant) is written straight to
      // the Node response.
      response =
        found.route === 'redirect'
          ? handlers.redirectTarget(request, found.params.id ?? '', req.baseUrl)
          : found.route === 'variant'
            ? handlers.variantTarget(request, found.params.id ?? '', found.params.preset ?? '', req.baseUrl)
            : handlers.dispatch(found, request, req.baseUrl);
    } catch (error) {
      next(error);
      return;
    }
    response
      .then((r) => {
        if (r instanceof Response) return sendResponse(req, res, r);
        res.writeHead(r.status, headerList(Object.entries(r.headers))).end();
      })
      .catch(next);
  });
  return router;
}
