// What the image host publishes: metadata stripped by default, through every adapter and on
// the fs and S3 stores. Real images (made by sharp, with GPS, make, model, XMP, IPTC, comments
// and text chunks) go up through a real listener and come back through /i/<id>, as a viewer
// gets them; the bytes served must carry none of it, with the same pixels, the ICC profile
// and the orientation kept, and `size`, `sha256`, `width` and `height` describing them.
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ErrorBody, ImageStore, UploadedImage } from '@imgstash/core';
import { createFsStore } from '@imgstash/fs';
import { createS3Store } from '@imgstash/s3';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  containsText,
  decodedPixels,
  SECRETS,
  solidPngBomb,
  type TaggedFormat,
  taggedImage,
  taggedType,
} from '../../core/test-helpers/images.js';
import { startS3rver, type TestServer } from './s3rver.js';
import { FRAMEWORKS, type RunningApp, startApp } from './servers.js';

const FORMATS: TaggedFormat[] = ['jpeg', 'progressive-jpeg', 'png', 'webp', 'animated-webp', 'avif', 'gif'];
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

let s3: TestServer;
let dir: string;
beforeAll(async () => {
  s3 = await startS3rver();
  dir = await mkdtemp(join(tmpdir(), 'imgstash-strip-'));
});
afterAll(async () => {
  await s3?.close();
  await rm(dir, { recursive: true, force: true });
});

async function upload(app: RunningApp, bytes: Uint8Array, name: string): Promise<Response> {
  const form = new FormData();
  form.append('file', new Blob([bytes as Uint8Array<ArrayBuffer>]), name);
  return fetch(`${app.baseUrl}/upload`, { method: 'POST', body: form });
}

/** Follows `/i/<id>` as a browser does, to wherever the signed URL points. */
async function served(app: RunningApp, id: string): Promise<Uint8Array> {
  const res = await fetch(`${app.baseUrl}/i/${id}`);
  expect(res.status).toBe(200);
  return new Uint8Array(await res.arrayBuffer());
}

const STORES = {
  fs: () => createFsStore({ root: join(dir, `fs-${Math.random().toString(36).slice(2)}`), secret: 'k'.repeat(32) }),
  s3: () =>
    createS3Store({ ...s3.connection(), bucket: s3.bucket, prefix: `strip-${Math.random().toString(36).slice(2)}/` }),
} as const satisfies Record<string, () => ImageStore>;

describe.each(FRAMEWORKS)('%s', (framework) => {
  describe.each(Object.keys(STORES) as (keyof typeof STORES)[])('on the %s store', (storeName) => {
    let app: RunningApp;
    let store: ImageStore;
    beforeAll(async () => {
      store = STORES[storeName]();
      app = await startApp(framework, { store });
    });
    afterAll(() => app.close());

    it.each(
      FORMATS,
    )('publishes a %s without its GPS, make, model, XMP or comments, with the same pixels', async (format) => {
      const original = await taggedImage(format, { orientation: format === 'gif' ? 1 : 6 });
      const res = await upload(app, original, `holiday.${format}`);
      expect(res.status).toBe(201);
      const body = (await res.json()) as UploadedImage;
      const bytes = await served(app, body.id);
      for (const secret of SECRETS) expect(containsText(bytes, secret), secret).toBe(false);
      expect(body.contentType).toBe(taggedType(format));
      expect(body.size).toBe(bytes.length);
      expect(body.sha256).toBe(sha256(bytes));
      // JPEG, PNG and GIF keep their metadata before the image data, which is removed; WebP and
      // AVIF carry it after (or around) the image data, where it is neutralised in place.
      if (format.endsWith('jpeg') || format === 'png' || format === 'gif') {
        expect(bytes.length).toBeLessThan(original.length);
      } else {
        expect(bytes.length).toBe(original.length);
      }
      expect((await decodedPixels(bytes)).equals(await decodedPixels(original))).toBe(true);
      const [before, after] = await Promise.all([sharp(original).metadata(), sharp(bytes).metadata()]);
      // The colour profile stays, so the image looks as it did; JPEG and PNG keep the orientation.
      expect(Boolean(after.icc)).toBe(Boolean(before.icc));
      if (format.endsWith('jpeg') || format === 'png') expect(after.orientation).toBe(6);
      // width and height are the served image as displayed: turned when its orientation says so.
      const high = after.pageHeight ?? after.height;
      const displayed = (after.orientation ?? 1) >= 5 ? [high, after.width] : [after.width, high];
      expect([body.width, body.height]).toEqual(displayed);
      const info = await store.stat(body.id);
      expect(info?.metadata).toMatchObject({ width: String(body.width), height: String(body.height) });
      expect(info?.size).toBe(bytes.length);
    });

    it('refuses a 20000 × 20000 PNG of a few hundred KB with 413, and stores nothing', async () => {
      const keys = async () => {
        const listed: string[] = [];
        for await (const entry of store.list?.('') ?? []) listed.push(entry.key);
        return listed.sort();
      };
      const before = await keys();
      const bomb = await solidPngBomb();
      const res = await upload(app, bomb, 'bomb.png');
      expect(res.status).toBe(413);
      expect(((await res.json()) as ErrorBody).error.code).toBe('PAYLOAD_TOO_LARGE');
      expect(await keys()).toEqual(before);
    });
  });
});

describe('stripMetadata: false', () => {
  it('publishes the bytes exactly as sent', async () => {
    const store = STORES.fs();
    const app = await startApp('hono', { store, stripMetadata: false });
    try {
      const original = await taggedImage('jpeg');
      const body = (await (await upload(app, original, 'raw.jpg')).json()) as UploadedImage;
      const bytes = await served(app, body.id);
      expect(Buffer.from(bytes).equals(Buffer.from(original))).toBe(true);
      expect(containsText(bytes, 'ImgstashCam')).toBe(true);
    } finally {
      await app.close();
    }
  });
});
