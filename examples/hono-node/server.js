// The image host on Hono + Node. The same routes run on Bun, Deno and Workers:
// only the `serve` call below is Node-specific.
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { serve } from '@hono/node-server';
import { createFsStore } from '@imgstash/fs';
import { imageRoutes } from '@imgstash/hono';
import { hasS3Env, s3StoreFromEnv } from '@imgstash/s3';
import { Hono } from 'hono';

const port = Number(process.env.PORT ?? 3000);
const publicBaseUrl = process.env.PUBLIC_BASE_URL ?? `http://localhost:${port}`;
const dataDir = resolve(process.env.DATA_DIR ?? './data');
const store = hasS3Env(process.env)
  ? s3StoreFromEnv()
  : // Without IMGSTASH_SECRET, links last as long as the process.
    createFsStore({ root: dataDir, secret: process.env.IMGSTASH_SECRET ?? randomBytes(32) });

const app = new Hono();
app.get('/healthz', (c) => c.json({ ok: true }));
app.route('/', imageRoutes({ store, publicBaseUrl, title: 'imgstash on Hono' }));

const server = serve({ fetch: app.fetch, port, hostname: process.env.HOST ?? '127.0.0.1' }, () => {
  console.log(`imgstash (hono) listening on ${publicBaseUrl}/ (storage: ${hasS3Env(process.env) ? 's3' : dataDir})`);
});
const shutdown = () => {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(1), 10_000).unref();
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
