// The image host: an upload page, POST /upload and GET /i/:id, on Express.
// Storage is local disk (./data) unless S3 variables are set; see README.md.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jsonClientErrors } from '@imgstash/core';
import { imageRouter } from '@imgstash/express';
import { createFsStore } from '@imgstash/fs';
import { hasS3Env, s3StoreFromEnv } from '@imgstash/s3';
import express from 'express';

/**
 * The HMAC secret of the local store. From IMGSTASH_SECRET, or made once and kept in the
 * data directory, so links survive restarts.
 */
function localSecret(dataDir, env) {
  if (env.IMGSTASH_SECRET) return env.IMGSTASH_SECRET;
  const file = join(dataDir, '.secret');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    const secret = randomBytes(32).toString('base64url');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
    return secret;
  }
}

/** Picks the store: S3 when its variables are set, else the fs store under DATA_DIR. */
export function storeFromEnv(env = process.env) {
  if (hasS3Env(env)) return { store: s3StoreFromEnv(env), label: `s3 bucket ${env.S3_BUCKET ?? env.S3_BUCKET_NAME}` };
  const dataDir = resolve(env.DATA_DIR ?? './data');
  return { store: createFsStore({ root: dataDir, secret: localSecret(dataDir, env) }), label: `local disk ${dataDir}` };
}

/** Builds the Express app. */
export function createApp({ store, publicBaseUrl, maxBytes }) {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  app.use(imageRouter({ store, publicBaseUrl, maxBytes, title: 'imgstash image host' }));
  return app;
}

/** Starts the server; resolves once it listens. */
export async function start(env = process.env) {
  const port = Number(env.PORT ?? 3000);
  const host = env.HOST ?? '127.0.0.1';
  const { store, label } = storeFromEnv(env);
  // Requests Node's parser refuses (a bad Content-Length, oversized headers) get JSON too.
  const server = jsonClientErrors(createServer());
  await new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolveListen);
  });
  const actualPort = server.address().port;
  const local = host === '127.0.0.1' || host === '0.0.0.0' || host === 'localhost' || host === '::1';
  const publicBaseUrl = (env.PUBLIC_BASE_URL ?? `http://${local ? 'localhost' : host}:${actualPort}`).replace(
    /\/+$/,
    '',
  );
  const maxBytes = env.MAX_BYTES ? Number(env.MAX_BYTES) : undefined;
  server.on('request', createApp({ store, publicBaseUrl, ...(maxBytes ? { maxBytes } : {}) }));
  return { server, url: `${publicBaseUrl}/`, label };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { server, url, label } = await start().catch((error) => {
    console.error(`imgstash image host failed to start: ${error.message}`);
    process.exit(1);
  });
  console.log(`imgstash image host listening on ${url} (storage: ${label})`);
  const shutdown = (signal) => {
    console.log(`${signal} received, closing`);
    // Finish in-flight uploads, then exit; give up after 10 s.
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}
