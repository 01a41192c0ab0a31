import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { ImageHandlerOptions, ImageHandlers } from '@imgstash/core';
import { imageRouter } from '@imgstash/express';
import { imageRoutes } from '@imgstash/hono';
import express5 from 'express';
import express4 from 'express4';
import { Hono } from 'hono';

/** The frameworks every HTTP test runs against. */
export const FRAMEWORKS = ['express5', 'express4', 'hono'] as const;
export type Framework = (typeof FRAMEWORKS)[number];

/** A running app on a real loopback listener. */
export interface RunningApp {
  framework: Framework;
  /** `http://127.0.0.1:<port>`, plus the mount path. */
  baseUrl: string;
  /** `http://127.0.0.1:<port>` without the mount path. */
  origin: string;
  port: number;
  handlers: ImageHandlers;
  server: Server;
  close(): Promise<void>;
}

/** Extra options for {@link startApp}. */
export interface StartOptions {
  /** Mount the routes under this path (e.g. `/img`). Default: at the root. */
  mountPath?: string;
}

/**
 * Starts the imgstash routes for `framework` on 127.0.0.1 with a free port. Node's own
 * server settings are kept as the framework's users get them.
 */
export async function startApp(
  framework: Framework,
  options: ImageHandlerOptions,
  start: StartOptions = {},
): Promise<RunningApp> {
  const mount = start.mountPath ?? '';
  let server: Server;
  let handlers: ImageHandlers;
  if (framework === 'hono') {
    const routes = imageRoutes(options);
    handlers = routes.handlers;
    const app = new Hono();
    app.route(mount || '/', routes);
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
    if (!server.listening) await once(server, 'listening');
  } else {
    const router = imageRouter(options);
    handlers = router.handlers;
    const app = framework === 'express5' ? express5() : (express4 as unknown as typeof express5)();
    if (mount) app.use(mount, router);
    else app.use(router);
    server = createServer(app);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
  }
  const port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  return {
    framework,
    baseUrl: origin + mount,
    origin,
    port,
    handlers,
    server,
    async close() {
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
