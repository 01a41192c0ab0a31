// The servers the bench compares, each started by server-process.mjs in its own process.

import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createAdaptorServer } from '@hono/node-server';
import express from 'express';
import { Hono } from 'hono';
import { BUCKET, CREDENTIALS, RAW_CLIENT_SETTINGS, REGION } from './config.mjs';
import { naiveApp } from './naive-recipe.mjs';

// What a bare route answers: a constant of a presigned URL's length, so that every
// side's 302 carries a similar Location header.
const CONSTANT_LOCATION = `http://127.0.0.1:9/${BUCKET}/${'x'.repeat(21)}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD&X-Amz-Credential=S3RVER%2F20250101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20250101T000000Z&X-Amz-Expires=3600&X-Amz-Signature=${'0'.repeat(64)}&X-Amz-SignedHeaders=host&response-content-type=image%2Fpng&x-id=GetObject`;

/** The imgstash store for this run: S3 (against the bench's s3rver), fs or memory. */
async function imgstashStore(env) {
  const kind = env.STORE ?? 's3';
  if (kind === 's3') {
    const { createS3Store } = await import('@imgstash/s3');
    return createS3Store({
      bucket: BUCKET,
      endpoint: env.S3_ENDPOINT,
      region: REGION,
      credentials: CREDENTIALS,
      forcePathStyle: true,
    });
  }
  if (kind === 'fs') {
    const { createFsStore } = await import('@imgstash/fs');
    return createFsStore({ root: await mkdtemp(join(tmpdir(), 'imgstash-bench-fs-')) });
  }
  const { createMemoryStore } = await import('@imgstash/memory');
  return createMemoryStore();
}

/** The variant presets of the variants bench: the image host's. */
export const BENCH_PRESETS = {
  thumb: { width: 320, height: 320, fit: 'inside', format: 'webp' },
  large: { width: 1600, format: 'auto' },
};

/** imgstash's options with variants on sharp (bench/variants.mjs). */
async function variantOptions(env) {
  const { createSharpTransformer } = await import('@imgstash/sharp');
  return {
    store: await imgstashStore(env),
    maxBytes: Number(env.MAX_BYTES),
    transformer: createSharpTransformer(),
    variants: BENCH_PRESETS,
  };
}

/** Every side: a name and a function that returns a listening-ready Node http.Server. */
export const SIDES = {
  /** imgstash's router on Express 5, with variants on sharp. */
  async 'variants-express'(env) {
    const { imageRouter } = await import('@imgstash/express');
    const app = express();
    app.use(imageRouter(await variantOptions(env)));
    return createServer(app);
  },
  /** imgstash's routes on Hono, with variants on sharp. */
  async 'variants-hono'(env) {
    const { imageRoutes } = await import('@imgstash/hono');
    const app = new Hono();
    app.route('/', imageRoutes(await variantOptions(env)));
    return createAdaptorServer({ fetch: app.fetch });
  },
  /** imgstash's router on Express 5. */
  async 'imgstash-express'(env) {
    const { imageRouter } = await import('@imgstash/express');
    const app = express();
    app.use(imageRouter({ store: await imgstashStore(env), maxBytes: Number(env.MAX_BYTES) }));
    return createServer(app);
  },
  /** imgstash's routes on Hono, served by @hono/node-server. */
  async 'imgstash-hono'(env) {
    const { imageRoutes } = await import('@imgstash/hono');
    const app = new Hono();
    app.route('/', imageRoutes({ store: await imgstashStore(env), maxBytes: Number(env.MAX_BYTES) }));
    return createAdaptorServer({ fetch: app.fetch });
  },
  /** The naive recipe (lib/naive-recipe.mjs). */
  async naive(env) {
    const app = naiveApp({
      bucket: BUCKET,
      endpoint: env.S3_ENDPOINT,
      region: REGION,
      credentials: CREDENTIALS,
      maxBytes: Number(env.MAX_BYTES),
    });
    return createServer(app);
  },
  /**
   * The floor of any design with an HTTP hop: the raw request body piped into one
   * PutObject of its Content-Length. No parsing, no checks; stores the multipart envelope.
   */
  async 'pipe-floor'(env) {
    const client = new S3Client({
      region: REGION,
      endpoint: env.S3_ENDPOINT,
      credentials: CREDENTIALS,
      ...RAW_CLIENT_SETTINGS,
    });
    let next = 0;
    return createServer((req, res) => {
      const key = `pipe-${next++}`;
      client
        .send(
          new PutObjectCommand({
            Bucket: BUCKET,
            Key: key,
            Body: req,
            ContentLength: Number(req.headers['content-length']),
          }),
        )
        .then(
          () => res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id: key })),
          (error) =>
            res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String(error) })),
        );
    });
  },
  /** The ceiling for Express: a route answering a constant 302. */
  async 'bare-express'() {
    const app = express();
    // Not res.redirect(), which also renders a body by content negotiation: the ceiling is
    // the least a route can do.
    app.get('/i/:id', (_req, res) => {
      res.status(302).set('location', CONSTANT_LOCATION).end();
    });
    return createServer(app);
  },
  /** The ceiling for Hono: a route answering a constant 302. */
  async 'bare-hono'() {
    const app = new Hono();
    app.get('/i/:id', (c) => c.redirect(CONSTANT_LOCATION, 302));
    return createAdaptorServer({ fetch: app.fetch });
  },
};
