// The image host on Hono + Node. The same routes run on Bun and Deno: only the
// `serve` call below is Node-specific.
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { serve } from '@hono/node-server';
import { jsonClientErrors } from '@imgstash/core';
import { createFsStore } from '@imgstash/fs';
import { imageRoutes } from '@imgstash/hono';
import { hasS3Env, s3StoreFromEnv } from '@imgstash/s3';
import { Hono } from 'hono';

const env = process.env;
const dataDir = resolve(env.DATA_DIR ?? './data');
const store = hasS3Env(env)
  ? s3StoreFromEnv(env)
  : // Without IMGSTASH_SECRET, links last as long as the process.
    createFsStore({ root: dataDir, secret: env.IMGSTASH_SECRET ?? randomBytes(32) });

const app = new Hono();
const server = serve(
  { fetch: app.fetch, port: Number(env.PORT ?? 3000), hostname: env.HOST ?? '127.0.0.1' },
  (info) => {
    // Links come from configuration (or the port we actually got), never from the Host header.
    const publicBaseUrl = (env.PUBLIC_BASE_URL ?? `http://localhost:${info.port}`).replace(/\/+$/, '');
    app.get('/healthz', (c) => c.json({ ok: true }));
    app.route('/', imageRoutes({ store, publicBaseUrl, title: 'imgstash on Hono' }));
    console.log(`imgstash (hono) listening on ${publicBaseUrl}/ (storage: ${hasS3Env(env) ? 's3' : dataDir})`);
  },
);

// Requests Node's parser refuses (a bad Content-Length, oversized headers) get JSON too.
jsonClientErrors(server);

const shutdown = (signal) => {
  console.log(`${signal} received, closing`);
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(1), 10_000).unref();
};
process.once('SIGTERM', () => shutdown('SIGTERM'));
process.once('SIGINT', () => shutdown('SIGINT'));
