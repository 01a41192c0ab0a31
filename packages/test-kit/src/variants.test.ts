// Variants (issue 11) through a real listener of every framework, on the fs store and on
// the S3 store against s3rver: presets on every accepted format, Accept negotiation, the
// single flight, the bounded queue, failing closed, and a deleted original. Transforms run
// on sharp for real; a wrapper only counts them (and holds them, for the queue test).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createId,
  type ImageHandlerOptions,
  type ImageStore,
  type ImageTransformer,
  type UploadedImage,
  type VariantPreset,
} from '@imgstash/core';
import { createFsStore } from '@imgstash/fs';
import { createS3Store } from '@imgstash/s3';
import { createSharpTransformer } from '@imgstash/sharp';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectJsonError, readReply, SECRET, uploadFile } from './contract-kit.js';
import { colourDistance, type GradientFormat, gradientImage } from './images.js';
import { startS3rver, type TestServer } from './s3rver.js';
import { FRAMEWORKS, type Framework, type RunningApp, startApp } from './servers.js';
import { probeStore, type StoreProbe } from './store-probe.js';

const FORMATS: GradientFormat[] = ['jpeg', 'png', 'gif', 'webp', 'avif'];
const STORES = ['fs', 's3'] as const;
type StoreKind = (typeof STORES)[number];
const EXIF = 'exif-of-the-original-camera';
const BROWSER_ACCEPT = 'image/avif,image/webp,image/apng,image/*,*/*;q=0.8';
// The image host's thumb; `large` is narrower than the host's 1600 px so that the matrix
// below stays cheap on 2 cores (the host's own presets are checked once, at the end).
const PRESETS: Record<string, VariantPreset> = {
  thumb: { width: 320, height: 320, fit: 'inside', format: 'webp' },
  large: { width: 480, format: 'auto' },
};
const SHARP_FORMAT = { 'image/webp': 'webp', 'image/avif': 'heif', 'image/jpeg': 'jpeg', 'image/png': 'png' } as const;

let s3: TestServer;
const originals = new Map<GradientFormat, Uint8Array>();
const cleanups: (() => Promise<void>)[] = [];
let prefixes = 0;

beforeAll(async () => {
  s3 = await startS3rver();
  for (const format of FORMATS) originals.set(format, await gradientImage(format, 800, 600, { exif: EXIF }));
});
afterAll(async () => {
  await s3?.close();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function createStore(kind: StoreKind): Promise<ImageStore> {
  if (kind === 's3')
    return createS3Store({ bucket: s3.bucket, prefix: `variants${++prefixes}/`, ...s3.connection({}) });
  const root = await mkdtemp(join(tmpdir(), 'imgstash-variants-'));
  cleanups.push(() => rm(root, { recursive: true, force: true }));
  return createFsStore({ root, secret: SECRET });
}

/** sharp, behind a wrapper that counts transforms and can hold them until released. */
function countingTransformer() {
  const inner = createSharpTransformer();
  let held: Promise<void> | undefined;
  let release = () => {};
  const counter = {
    calls: 0,
    active: 0,
    /** The most transforms that ran at once. */
    peak: 0,
    hold() {
      held = new Promise<void>((resolve) => {
        release = resolve;
      });
    },
    release() {
      held = undefined;
      release();
    },
    transformer: {
      async transform(input, options) {
        counter.calls++;
        counter.peak = Math.max(counter.peak, ++counter.active);
        try {
          if (held) await held;
          return await inner.transform(input, options);
        } finally {
          counter.active--;
        }
      },
      placeholder(input, options) {
        return (inner.placeholder as NonNullable<ImageTransformer['placeholder']>)(input, options);
      },
    } satisfies ImageTransformer,
  };
  return counter;
}

interface Setup {
  app: RunningApp;
  store: ImageStore;
  probe: StoreProbe<ImageStore>;
  counter: ReturnType<typeof countingTransformer>;
  uploads: UploadedImage[];
}

async function setup(framework: Framework, kind: StoreKind, extra: Partial<ImageHandlerOptions> = {}): Promise<Setup> {
  const probe = probeStore(await createStore(kind));
  const counter = countingTransformer();
  const uploads: UploadedImage[] = [];
  const app = await startApp(framework, {
    store: probe.store,
    transformer: counter.transformer,
    variants: PRESETS,
    placeholder: 'thumbhash',
    onUploaded: (image) => {
      uploads.push(image);
    },
    ...extra,
  });
  cleanups.unshift(() => app.close());
  return { app, store: probe.store, probe, counter, uploads };
}

async function upload(app: RunningApp, bytes: Uint8Array): Promise<UploadedImage> {
  const reply = await readReply(await uploadFile(app.baseUrl, bytes));
  expect(reply.status, reply.text()).toBe(201);
  return reply.json<UploadedImage>();
}

/** GET (or HEAD) of a link, without following the redirect. */
function view(app: RunningApp, link: string, accept?: string, method = 'GET') {
  return fetch(new URL(link, `${app.origin}/`), {
    method,
    redirect: 'manual',
    headers: accept === undefined ? {} : { accept },
  });
}

/** Follows a 302 to wherever it points (the app's /files/ route, or s3rver), and reads the bytes. */
async function follow(app: RunningApp, response: Response) {
  expect(response.status).toBe(302);
  const location = response.headers.get('location') as string;
  const served = await fetch(new URL(location, `${app.origin}/`));
  expect(served.status).toBe(200);
  const bytes = new Uint8Array(await served.arrayBuffer());
  return { location, bytes, contentType: served.headers.get('content-type'), meta: await sharp(bytes).metadata() };
}

async function keysOf(store: ImageStore, id: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const entry of store.list?.(id) ?? []) keys.push(entry.key);
  return keys.sort();
}

describe.each(FRAMEWORKS)('%s', (framework) => {
  describe.each(STORES)('on the %s store', (kind) => {
    it.each(
      FORMATS,
    )('makes each preset of a %s original: right size and format, same picture, no metadata', async (format) => {
      const { app, store, uploads } = await setup(framework, kind);
      const original = originals.get(format) as Uint8Array;
      const image = await upload(app, original);
      expect(image.variants).toEqual({ thumb: `/i/${image.id}/thumb`, large: `/i/${image.id}/large` });
      expect(image.placeholder).toMatch(/^[A-Za-z0-9+/]{20,}=*$/);
      // onUploaded gets the same facts, without the delete token (hooks must not be able to log it).
      const { deleteToken: _token, deleteUrl: _url, ...announced } = image;
      expect(uploads).toEqual([announced]);

      const thumb = await follow(app, await view(app, image.variants?.thumb as string, BROWSER_ACCEPT));
      expect(thumb.contentType).toBe('image/webp');
      expect(thumb.meta).toMatchObject({ format: 'webp', width: 320, height: 240 });

      const large = await follow(app, await view(app, image.variants?.large as string, BROWSER_ACCEPT));
      expect(large.contentType).toBe('image/avif');
      expect(large.meta).toMatchObject({ format: 'heif', width: 480, height: 360 });

      for (const variant of [thumb, large]) {
        expect(variant.meta.exif).toBeUndefined();
        expect(variant.meta.xmp).toBeUndefined();
        expect(variant.meta.icc).toBeUndefined();
        expect(Buffer.from(variant.bytes).includes(EXIF)).toBe(false);
        expect(await colourDistance(original, variant.bytes)).toBeLessThan(24);
      }
      expect(await keysOf(store, image.id)).toEqual(
        [image.id, `${image.id}.large.avif`, `${image.id}.thumb.webp`].sort(),
      );
    });

    it('negotiates auto from Accept, says Vary: Accept, and stores each format once', async () => {
      const { app, store, counter } = await setup(framework, kind);
      const image = await upload(app, originals.get('png') as Uint8Array);
      const link = image.variants?.large as string;
      for (const [accept, type] of [
        [BROWSER_ACCEPT, 'image/avif'],
        ['image/webp,*/*', 'image/webp'],
        ['image/avif;q=0, image/webp;q=0.9', 'image/webp'],
        ['*/*', 'image/png'],
        [undefined, 'image/png'],
      ] as const) {
        const response = await view(app, link, accept);
        expect(response.headers.get('vary')).toBe('Accept');
        expect(response.headers.get('cache-control')).toMatch(/^private, max-age=\d+$/);
        const served = await follow(app, response);
        expect(served.contentType).toBe(type);
        expect(served.meta.format).toBe(SHARP_FORMAT[type]);
      }
      expect(counter.calls).toBe(3);
      expect(await keysOf(store, image.id)).toEqual(
        [image.id, `${image.id}.large.avif`, `${image.id}.large.png`, `${image.id}.large.webp`].sort(),
      );
      // A fixed-format preset does not vary.
      expect((await view(app, image.variants?.thumb as string, BROWSER_ACCEPT)).headers.get('vary')).toBeNull();
    });

    it('runs one transform for 16 simultaneous first requests, and serves later ones from the cache', async () => {
      const { app, store, counter, probe } = await setup(framework, kind);
      const image = await upload(app, originals.get('jpeg') as Uint8Array);
      counter.hold();
      const pending = Array.from({ length: 16 }, () => view(app, image.variants?.thumb as string));
      await expect.poll(() => counter.calls).toBe(1);
      counter.release();
      const responses = await Promise.all(pending);
      expect(responses.map((r) => r.status)).toEqual(Array(16).fill(302));
      expect(new Set(responses.map((r) => r.headers.get('location'))).size).toBe(1);
      expect(counter.calls).toBe(1);
      expect(await keysOf(store, image.id)).toEqual([image.id, `${image.id}.thumb.webp`]);
      // Hot: the info is cached and the URL time-bucketed, so no store call at all.
      probe.reset();
      const again = await view(app, image.variants?.thumb as string);
      expect(again.status).toBe(302);
      expect(again.headers.get('location')).toBe(responses[0]?.headers.get('location'));
      expect(probe.total()).toBe(0);
    });

    it('answers 503 with Retry-After when every transform slot is busy and the queue is full, and stores nothing for it', async () => {
      const { app, store, counter } = await setup(framework, kind, {
        transformQueue: { concurrency: 1, maxQueued: 0 },
      });
      const a = await upload(app, originals.get('jpeg') as Uint8Array);
      const b = await upload(app, originals.get('png') as Uint8Array);
      counter.hold();
      const running = view(app, a.variants?.thumb as string);
      await expect.poll(() => counter.calls).toBe(1);
      const refused = await readReply(await view(app, b.variants?.thumb as string));
      expectJsonError(refused, 503, 'OVERLOADED', [s3.endpoint, s3.bucket]);
      expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
      counter.release();
      expect((await running).status).toBe(302);
      expect(await keysOf(store, b.id)).toEqual([b.id]);
      // Once a slot is free, the refused variant is made.
      expect((await view(app, b.variants?.thumb as string)).status).toBe(302);
      expect(counter.calls).toBe(2);
    });

    it('queues first requests beyond the slots, runs them one slot at a time, and serves them all', async () => {
      const { app, counter } = await setup(framework, kind, { transformQueue: { concurrency: 1, maxQueued: 4 } });
      const images = [
        await upload(app, originals.get('jpeg') as Uint8Array),
        await upload(app, originals.get('png') as Uint8Array),
        await upload(app, originals.get('gif') as Uint8Array),
      ];
      counter.hold();
      const pending = images.map((image) => view(app, image.variants?.thumb as string));
      await expect.poll(() => counter.calls).toBe(1);
      counter.release();
      expect((await Promise.all(pending)).map((r) => r.status)).toEqual([302, 302, 302]);
      expect(counter.calls).toBe(3);
      expect(counter.peak).toBe(1);
    });

    it('answers 503 OVERLOADED to requests kept waiting past the transform deadline, then makes the variants', async () => {
      const { app, counter } = await setup(framework, kind, {
        transformQueue: { concurrency: 1, maxQueued: 1 },
        deadlines: { transform: 400 },
      });
      const a = await upload(app, originals.get('jpeg') as Uint8Array);
      const b = await upload(app, originals.get('png') as Uint8Array);
      counter.hold();
      const first = view(app, a.variants?.thumb as string);
      await expect.poll(() => counter.calls).toBe(1);
      const queued = view(app, b.variants?.thumb as string);
      for (const reply of [await readReply(await first), await readReply(await queued)]) {
        expectJsonError(reply, 503, 'OVERLOADED');
        expect(reply.headers.get('retry-after')).toMatch(/^\d+$/);
      }
      counter.release();
      expect((await view(app, a.variants?.thumb as string)).status).toBe(302);
      expect((await view(app, b.variants?.thumb as string)).status).toBe(302);
    });

    it('fails closed on a corrupt original: 422, never the original, nothing stored, no retry storm', async () => {
      const { app, store, counter } = await setup(framework, kind);
      const id = createId();
      // Straight into the store, past the upload checks: a truncated JPEG.
      const truncated = (originals.get('jpeg') as Uint8Array).subarray(0, 3000);
      await store.put(id, truncated, { contentType: 'image/jpeg' });
      expect((await view(app, `/i/${id}`)).status).toBe(302);
      for (const preset of ['thumb', 'large', 'thumb']) {
        const reply = await readReply(await view(app, `/i/${id}/${preset}`, BROWSER_ACCEPT));
        expectJsonError(reply, 422, 'UNPROCESSABLE_IMAGE', [s3.endpoint, s3.bucket]);
        expect(reply.headers.get('location')).toBeNull();
      }
      // The second thumb request is answered from the failure cache, without decoding again.
      expect(counter.calls).toBe(2);
      expect(await keysOf(store, id)).toEqual([id]);
    });

    it('deletes the original and every stored variant with the delete token, and answers 404 for both at once', async () => {
      const { app, store } = await setup(framework, kind);
      const image = await upload(app, originals.get('png') as Uint8Array);
      expect((await view(app, image.variants?.thumb as string)).status).toBe(302);
      expect((await view(app, image.variants?.large as string, BROWSER_ACCEPT)).status).toBe(302);
      expect((await keysOf(store, image.id)).length).toBeGreaterThan(2);
      const res = await fetch(new URL(image.url, app.origin), {
        method: 'DELETE',
        headers: { authorization: `Bearer ${image.deleteToken}` },
      });
      expect(res.status).toBe(204);
      expect(await keysOf(store, image.id)).toEqual([]);
      expectJsonError(await readReply(await view(app, `/i/${image.id}`)), 404, 'NOT_FOUND');
      expectJsonError(await readReply(await view(app, image.variants?.thumb as string)), 404, 'NOT_FOUND');
      expectJsonError(await readReply(await view(app, image.variants?.large as string)), 404, 'NOT_FOUND');
    });

    it('answers 404 for the variants of a deleted original, whatever variant objects remain', async () => {
      const { app, store } = await setup(framework, kind);
      const image = await upload(app, originals.get('jpeg') as Uint8Array);
      expect((await view(app, image.variants?.thumb as string)).status).toBe(302);
      await store.delete(image.id);
      app.handlers.invalidate(image.id);
      expect(await keysOf(store, image.id)).toEqual([`${image.id}.thumb.webp`]);
      expectJsonError(await readReply(await view(app, image.variants?.thumb as string)), 404, 'NOT_FOUND');
      expectJsonError(await readReply(await view(app, image.variants?.large as string)), 404, 'NOT_FOUND');
      // A fresh instance, with nothing cached, finds no original either.
      const fresh = await startApp(framework, { store, transformer: createSharpTransformer(), variants: PRESETS });
      cleanups.unshift(() => fresh.close());
      expectJsonError(await readReply(await view(fresh, image.variants?.thumb as string)), 404, 'NOT_FOUND');
    });

    it.each([
      'get',
      'put',
    ] as const)("answers 502 when the store fails the variant's %s, redirects nowhere, and makes it on the next request", async (method) => {
      const { app, store, probe } = await setup(framework, kind);
      const image = await upload(app, originals.get('jpeg') as Uint8Array);
      probe.fail(method, () => new Error(`${s3.endpoint}/${s3.bucket} exploded`));
      const reply = await readReply(await view(app, image.variants?.thumb as string));
      expectJsonError(reply, 502, 'STORAGE_ERROR', [s3.endpoint, s3.bucket]);
      probe.fail(method, undefined);
      expect(await keysOf(store, image.id)).toEqual([image.id]);
      expect((await view(app, image.variants?.thumb as string)).status).toBe(302);
    });

    it('asks authorize before any storage call, and answers its 403', async () => {
      const { app, probe } = await setup(framework, kind, {
        authorize: (request, action) => action === 'upload' || !request.url.includes('/thumb'),
      });
      const image = await upload(app, originals.get('jpeg') as Uint8Array);
      probe.reset();
      expectJsonError(await readReply(await view(app, image.variants?.thumb as string)), 403, 'FORBIDDEN');
      expect(probe.total()).toBe(0);
    });

    it('gives an SVG upload no variants, and answers 422 for them', async () => {
      const { app } = await setup(framework, kind, { allowedTypes: ['image/svg+xml'] });
      const svg = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>');
      const image = await upload(app, svg);
      expect(image).not.toHaveProperty('variants');
      expect(image).not.toHaveProperty('placeholder');
      expectJsonError(await readReply(await view(app, `/i/${image.id}/thumb`)), 422, 'UNPROCESSABLE_IMAGE');
    });

    it('answers 404 for an unknown preset or a malformed id without a storage call, and 405 for POST', async () => {
      const { app, probe } = await setup(framework, kind);
      const image = await upload(app, originals.get('jpeg') as Uint8Array);
      probe.reset();
      for (const path of [`/i/${image.id}/huge`, `/i/${image.id}/THUMB`, `/i/${image.id}/thumb/x`, '/i/short/thumb']) {
        expectJsonError(await readReply(await view(app, path)), 404, 'NOT_FOUND');
      }
      expect(probe.total()).toBe(0);
      const post = await readReply(await view(app, image.variants?.thumb as string, undefined, 'POST'));
      expect(post.status).toBe(405);
      expect(post.headers.get('allow')).toBe('GET, HEAD');
      const head = await view(app, image.variants?.thumb as string, undefined, 'HEAD');
      expect(head.status).toBe(302);
      expect(head.headers.get('location')).toMatch(/thumb\.webp/);
    });
  });
});

describe('the image host presets', () => {
  it('fit a 1800 × 1200 JPEG in 320 × 320 WebP for thumb, and 1600 wide in AVIF or WebP for large', async () => {
    const { app } = await setup('hono', 'fs', {
      variants: {
        thumb: { width: 320, height: 320, fit: 'inside', format: 'webp' },
        large: { width: 1600, format: 'auto' },
      },
    });
    const image = await upload(app, await gradientImage('jpeg', 1800, 1200, { exif: EXIF }));
    const thumb = await follow(app, await view(app, image.variants?.thumb as string));
    expect(thumb.meta).toMatchObject({ format: 'webp', width: 320, height: 213 });
    const webp = await follow(app, await view(app, image.variants?.large as string, 'image/webp'));
    expect(webp.meta).toMatchObject({ format: 'webp', width: 1600, height: 1067 });
    const jpeg = await follow(app, await view(app, image.variants?.large as string));
    expect(jpeg.meta).toMatchObject({ format: 'jpeg', width: 1600, height: 1067 });
    expect(jpeg.meta.exif).toBeUndefined();
  });
});
