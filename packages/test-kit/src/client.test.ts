// @imgstash/client in real Chromium: the bundle the upload page inlines (core's CLIENT_SCRIPT,
// a generated copy of packages/client, checked against it by packages/client/src/embed.test.ts),
// loaded on a page of an imgstash app on the fs store. What it does when the server offers
// direct uploads, when it does not, when the server refuses, when requests fail, and on abort.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ImageHandlerOptions } from '@imgstash/core';
import { imageRouter } from '@imgstash/express';
import express from 'express';
import { type Browser, chromium, type Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_SCRIPT } from '../../core/src/handlers/client-script.js';
import { createTestStore, sha256Hex, type TestStore } from './contract-kit.js';
import { CHROMIUM, CHROMIUM_ARGS, keysUnder } from './direct-kit.js';

let browser: Browser;
let jpeg: Buffer;

beforeAll(async () => {
  jpeg = await sharp({ create: { width: 80, height: 60, channels: 3, background: '#a37' } })
    .jpeg()
    .toBuffer();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS] });
});
afterAll(async () => {
  await browser?.close();
});

interface Site {
  origin: string;
  store: TestStore;
  /** Method and path of every request imgstash's routes received. */
  seen: string[];
  /** Makes the next `count` requests to `path` answer 503. */
  failNext(path: string, count: number): void;
  /** Holds every request to `path` for `ms` before handling it. */
  delay(path: string, ms: number): void;
  page: Page;
  close(): Promise<void>;
}

async function startSite(extra: Partial<ImageHandlerOptions> = {}): Promise<Site> {
  const store = await createTestStore('fs');
  const seen: string[] = [];
  const failures = new Map<string, number>();
  const delays = new Map<string, number>();
  const app = express();
  app.get('/client', (_req, res) => {
    res.type('html').send(`<!doctype html><title>client</title><script>${CLIENT_SCRIPT}</script>`);
  });
  app.use((req, res, next) => {
    const path = req.path.startsWith('/files/') ? '/files/*' : req.path;
    seen.push(`${req.method} ${path}`);
    const left = failures.get(path) ?? 0;
    if (left > 0) {
      failures.set(path, left - 1);
      res.status(503).json({ error: { code: 'STORAGE_UNAVAILABLE', message: 'Try again later.' } });
      return;
    }
    const ms = delays.get(path);
    if (ms) setTimeout(next, ms);
    else next();
  });
  app.use(imageRouter({ store: store.store, maxBytes: 64 * 1024, ...extra }));
  const server: Server = createServer(app);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const page = await browser.newPage();
  await page.goto(`${origin}/client`);
  return {
    origin,
    store,
    seen,
    failNext: (path, count) => failures.set(path, count),
    delay: (path, ms) => delays.set(path, ms),
    page,
    async close() {
      await page.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.dispose();
    },
  };
}

interface Outcome {
  image?: { id: string; url: string; sha256: string; size: number; contentType: string; filename?: string };
  error?: { name: string; status?: number; code?: string; message: string };
  progress: { loaded: number; total: number }[];
}

/**
 * Runs `imgstash.upload` in the page on a File of `bytes` (or of that many bytes made in the page);
 * `abortAt` aborts once that many bytes went up.
 */
function upload(
  site: Site,
  bytes: Buffer | number,
  type: string,
  options: Record<string, unknown> = {},
  abortAt?: number,
) {
  return site.page.evaluate(
    async ({ bytes, type, options, abortAt }) => {
      const progress: { loaded: number; total: number }[] = [];
      const controller = new AbortController();
      const data = typeof bytes === 'number' ? new Uint8Array(bytes).fill(7) : new Uint8Array(bytes);
      const file = new File([data], 'photo.jpg', { type });
      try {
        // biome-ignore lint/suspicious/noExplicitAny: the inlined bundle's global.
        const image = await (window as any).imgstash.upload(file, {
          ...options,
          signal: controller.signal,
          onProgress: (p: { loaded: number; total: number }) => {
            progress.push(p);
            if (abortAt !== undefined && p.loaded >= abortAt) controller.abort();
          },
        });
        return { image, progress };
      } catch (e) {
        const error = e as { name: string; status?: number; code?: string; message: string };
        return {
          error: { name: error.name, status: error.status, code: error.code, message: error.message },
          progress,
        };
      }
    },
    { bytes: typeof bytes === 'number' ? bytes : [...bytes], type, options, abortAt },
  ) as Promise<Outcome>;
}

describe('@imgstash/client in Chromium', () => {
  it('uploads straight to storage when the server offers it, with progress up to the whole file', async () => {
    const site = await startSite();
    try {
      const { image, error, progress } = await upload(site, jpeg, 'image/jpeg');
      expect(error).toBeUndefined();
      expect(image).toMatchObject({ contentType: 'image/jpeg', size: jpeg.length, sha256: sha256Hex(jpeg) });
      expect(site.seen.filter((r) => !r.startsWith('GET '))).toEqual([
        'POST /uploads',
        'PUT /files/*',
        expect.stringMatching(/^POST \/uploads\/[^/]+\/complete$/),
      ]);
      expect(progress.at(-1)).toEqual({ loaded: jpeg.length, total: jpeg.length });
    } finally {
      await site.close();
    }
  });

  it('falls back to POST /upload when the server offers no direct uploads', async () => {
    const site = await startSite({ directUploads: false });
    try {
      const { image, error } = await upload(site, jpeg, 'image/jpeg');
      expect(error).toBeUndefined();
      expect(image?.sha256).toBe(sha256Hex(jpeg));
      expect(site.seen.filter((r) => !r.startsWith('GET '))).toEqual(['POST /uploads', 'POST /upload']);
    } finally {
      await site.close();
    }
  });

  it("rejects with the server's code and message, and leaves nothing stored", async () => {
    const site = await startSite();
    try {
      const html = Buffer.from('<!doctype html><script>alert(1)</script>');
      const refused = await upload(site, html, 'image/png');
      expect(refused.error).toMatchObject({ name: 'UploadError', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
      expect(refused.error?.message).toMatch(/not an accepted image/);
      const big = await upload(site, Buffer.alloc(64 * 1024 + 1, 1), 'image/jpeg');
      expect(big.error).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
      expect(await keysUnder(site.store.store)).toEqual([]);
    } finally {
      await site.close();
    }
  });

  it('retries a request that failed with 503, within its bound', async () => {
    const site = await startSite();
    try {
      site.failNext('/uploads', 1);
      const retried = await upload(site, jpeg, 'image/jpeg', { retries: 1 });
      expect(retried.error).toBeUndefined();
      expect(site.seen.filter((r) => r === 'POST /uploads')).toHaveLength(2);
      site.failNext('/uploads', 2);
      const exhausted = await upload(site, jpeg, 'image/jpeg', { retries: 1 });
      expect(exhausted.error).toMatchObject({ status: 503, code: 'STORAGE_UNAVAILABLE' });
    } finally {
      await site.close();
    }
  });

  it('aborts on its signal with an AbortError, and publishes nothing', async () => {
    const site = await startSite({ maxBytes: 32 * 1024 * 1024 });
    try {
      // The storage is slow to take the body, so the upload is still under way when it is aborted.
      site.delay('/files/*', 1000);
      const { error, image } = await upload(site, 16 * 1024 * 1024, 'image/png', {}, 1);
      expect(image).toBeUndefined();
      expect(error?.name).toBe('AbortError');
      expect(site.seen.some((r) => r.endsWith('/complete'))).toBe(false);
      expect((await keysUnder(site.store.store)).filter((k) => !k.startsWith('pending.'))).toEqual([]);
    } finally {
      await site.close();
    }
  });
});
