// Direct uploads (docs/direct-uploads.md) through a real listener of every framework, on the
// fs and memory stores (signed local PUTs to core's files route) and on a real S3-protocol
// server (s3rver) with presigned PUTs and with POST policies. s3rver enforces a presigned
// PUT's signed Content-Length and Content-Type, but ignores POST policies: there a body that
// does not match is let in by the storage, and it is `complete` that must refuse it.
import {
  createUrlSigner,
  type ImageStore,
  type PresignedUpload,
  type StartedUpload,
  sweepPending,
  type UploadedImage,
} from '@imgstash/core';
import { FIXTURES, sendPresignedUpload } from '@imgstash/core/testing';
import { createS3Store } from '@imgstash/s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signClaim, verifyClaim } from '../../core/src/direct-token.js';
import { createTestStore, expectJsonError, readReply, sha256Hex, uploadFile } from './contract-kit.js';
import { keysUnder, s3DirectStore } from './direct-kit.js';
import { BUCKET, startS3rver, type TestServer } from './s3rver.js';
import { FRAMEWORKS, type RunningApp, startApp } from './servers.js';

const PNG = FIXTURES.png.bytes;
const JPEG = FIXTURES.jpeg.bytes;
const MAX_BYTES = 64 * 1024;
const HTML = new TextEncoder().encode('<!doctype html><html><body><script>alert(1)</script></body></html>');
const DIRECT_SECRET = 'direct-upload-secret-of-at-least-32-bytes';
const STORES = ['fs', 'memory', 's3-put', 's3-post'] as const;
type StoreKind = (typeof STORES)[number];

let s3: TestServer;
beforeAll(async () => {
  s3 = await startS3rver();
});
afterAll(async () => {
  await s3?.close();
});

/** A store of `kind`, the handler options for it, and the signer of its upload ids. */
async function setup(kind: StoreKind) {
  if (kind === 'fs' || kind === 'memory') {
    const local = await createTestStore(kind);
    return {
      store: local.store as ImageStore,
      extra: {},
      signer: local.store.localUrls.signer,
      // The storage itself refuses a body that differs from what was signed.
      enforces: true,
      dispose: () => local.dispose(),
    };
  }
  const store = s3DirectStore(s3, kind === 's3-put' ? 'put' : 'post');
  return {
    store,
    extra: { directUploads: { secret: DIRECT_SECRET } },
    signer: createUrlSigner(DIRECT_SECRET),
    enforces: kind === 's3-put',
    dispose: async () => {},
  };
}

type Started = StartedUpload;

for (const kind of STORES) {
  for (const framework of FRAMEWORKS) {
    describe(`direct uploads on ${kind}, through ${framework}`, () => {
      let app: RunningApp;
      let ctx: Awaited<ReturnType<typeof setup>>;

      beforeAll(async () => {
        ctx = await setup(kind);
        app = await startApp(framework, { store: ctx.store, maxBytes: MAX_BYTES, ...ctx.extra });
      });
      afterAll(async () => {
        await app?.close();
        await ctx?.dispose();
      });

      const start = async (body: unknown) =>
        readReply(
          await fetch(`${app.baseUrl}/uploads`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
          }),
        );
      const begin = async (size: number, contentType = 'image/png', filename = 'holiday.png') => {
        const reply = await start({ filename, size, contentType });
        expect(reply.status, reply.text()).toBe(201);
        return reply.json<Started>();
      };
      const put = (started: Started, bytes: Uint8Array, contentType = 'image/png') =>
        sendPresignedUpload({ ...started, url: new URL(started.url, app.origin).href }, bytes, { contentType });
      const complete = async (started: Started) =>
        readReply(await fetch(new URL(started.completeUrl, app.origin), { method: 'POST' }));

      it('publishes an upload on complete with exactly the JSON of /upload, and /i/<id> serves the image', async () => {
        const started = await begin(PNG.length);
        expect(new Date(started.expiresAt).getTime()).toBeGreaterThan(Date.now());
        const sent = await put(started, PNG);
        expect(sent.status, await sent.text()).toBeLessThan(300);
        const done = await complete(started);
        expect(done.status, done.text()).toBe(201);
        const image = done.json<UploadedImage>();
        expect(done.headers.get('location')).toBe(image.url);
        const classic = (
          await readReply(await uploadFile(app.baseUrl, PNG, { filename: 'holiday.png' }))
        ).json<UploadedImage>();
        // The same pipeline: the same fields and the same stored bytes as /upload.
        expect(Object.keys(image).sort()).toEqual(Object.keys(classic).sort());
        // Every image has its own id, links and delete token; everything else is the same.
        const own = { id: '', url: '', pageUrl: '', deleteToken: '', deleteUrl: '' };
        expect({ ...image, ...own }).toEqual({ ...classic, ...own });
        expect(image.deleteToken).toMatch(/^[A-Za-z0-9_-]{32}$/);
        expect(image.deleteUrl).toBe(`/d/${image.id}#${image.deleteToken}`);
        expect(image).toMatchObject({ contentType: 'image/png', size: PNG.length, sha256: sha256Hex(PNG) });
        const served = await fetch(new URL(image.url, app.origin));
        expect(served.status).toBe(200);
        expect(Buffer.from(await served.arrayBuffer()).equals(Buffer.from(PNG))).toBe(true);
        expect(await keysUnder(ctx.store, 'pending.')).toEqual([]);
      });

      it('answers a second complete with the same id and JSON', async () => {
        const started = await begin(JPEG.length, 'image/jpeg', 'twice.jpg');
        await put(started, JPEG, 'image/jpeg');
        const first = await complete(started);
        const second = await complete(started);
        expect(first.status).toBe(201);
        expect(second.status, second.text()).toBe(201);
        expect(second.json()).toEqual(first.json());
      });

      it('issues a delete token that deletes the published image, the same on a second complete', async () => {
        const started = await begin(PNG.length);
        await put(started, PNG);
        const image = (await complete(started)).json<UploadedImage>();
        expect((await complete(started)).json<UploadedImage>().deleteToken).toBe(image.deleteToken);
        const res = await fetch(new URL(image.url, app.origin), {
          method: 'DELETE',
          headers: { authorization: `Bearer ${image.deleteToken}` },
        });
        expect(res.status).toBe(204);
        expect((await fetch(new URL(image.url, app.origin), { redirect: 'manual' })).status).toBe(404);
      });

      it('publishes nothing and keeps nothing pending when the body is longer than signed', async () => {
        const before = await keysUnder(ctx.store);
        const started = await begin(PNG.length);
        const longer = new Uint8Array(PNG.length + 512);
        longer.set(PNG);
        const sent = await put(started, longer);
        if (ctx.enforces) expect(sent.ok, `storage answered ${sent.status}`).toBe(false);
        else expect(sent.ok).toBe(true);
        const done = await complete(started);
        if (ctx.enforces) expectJsonError(done, 404, 'NOT_FOUND');
        else expectJsonError(done, 400, 'INVALID_INPUT');
        expect(await keysUnder(ctx.store)).toEqual(before);
      });

      it('publishes nothing and keeps nothing pending when what landed is over maxBytes', async () => {
        const before = await keysUnder(ctx.store);
        const started = await begin(PNG.length);
        const huge = new Uint8Array(MAX_BYTES + 4096);
        huge.set(PNG);
        const sent = await put(started, huge);
        expect(sent.ok).toBe(!ctx.enforces);
        const done = await complete(started);
        if (ctx.enforces) expectJsonError(done, 404, 'NOT_FOUND');
        else expectJsonError(done, 413, 'PAYLOAD_TOO_LARGE');
        expect(await keysUnder(ctx.store)).toEqual(before);
      });

      it('answers 415 on complete for HTML declared as image/png, and deletes it', async () => {
        const before = await keysUnder(ctx.store);
        const started = await begin(HTML.length);
        const sent = await put(started, HTML);
        expect(sent.status, await sent.text()).toBeLessThan(300);
        expectJsonError(await complete(started), 415, 'UNSUPPORTED_MEDIA_TYPE');
        expect(await keysUnder(ctx.store)).toEqual(before);
      });

      it('answers 403 for a forged or altered upload id, and 404 for an expired one, deleting its upload', async () => {
        const started = await begin(PNG.length);
        await put(started, PNG);
        const [nonce, claim, sig] = started.uploadId.split('.') as [string, string, string];
        const other = `${sig.at(0) === 'A' ? 'B' : 'A'}${sig.slice(1)}`;
        const forged = { ...started, completeUrl: started.completeUrl.replace(sig, other) };
        expectJsonError(await complete(forged), 403, 'FORBIDDEN');
        const bigger = Buffer.from(
          JSON.stringify({ ...JSON.parse(Buffer.from(claim, 'base64url').toString()), s: 1 }),
        ).toString('base64url');
        expectJsonError(
          await complete({ ...started, completeUrl: started.completeUrl.replace(claim, bigger) }),
          403,
          'FORBIDDEN',
        );
        const genuine = await verifyClaim(ctx.signer, started.uploadId);
        expect(genuine?.nonce).toBe(nonce);
        const expiredId = await signClaim(ctx.signer, {
          ...(genuine as NonNullable<typeof genuine>),
          expires: Math.floor(Date.now() / 1000) - 2 * 3600,
        });
        const expired = await complete({
          ...started,
          completeUrl: started.completeUrl.replace(started.uploadId, expiredId),
        });
        expectJsonError(expired, 404, 'NOT_FOUND');
        expect(await keysUnder(ctx.store, 'pending.')).toEqual([]);
      });

      it('refuses what POST /uploads must not presign, with the status /upload would give', async () => {
        expectJsonError(await start({ filename: 'a.png', size: 0, contentType: 'image/png' }), 400, 'INVALID_INPUT');
        expectJsonError(await start({ size: MAX_BYTES + 1, contentType: 'image/png' }), 413, 'PAYLOAD_TOO_LARGE');
        expectJsonError(await start({ size: 10, contentType: 'text/html' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
        expectJsonError(await start({ size: 10, contentType: 'image/svg+xml' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
        expectJsonError(await start({ size: '10', contentType: 'image/png' }), 400, 'INVALID_INPUT');
        expectJsonError(await start([1, 2]), 400, 'INVALID_INPUT');
        const notJson = await fetch(`${app.baseUrl}/uploads`, { method: 'POST', body: 'size=10' });
        expectJsonError(await readReply(notJson), 415, 'UNSUPPORTED_MEDIA_TYPE');
        const broken = await fetch(`${app.baseUrl}/uploads`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"size":',
        });
        expectJsonError(await readReply(broken), 400, 'INVALID_INPUT');
        const get = await readReply(await fetch(`${app.baseUrl}/uploads`));
        expect(get.status).toBe(405);
        expect(await keysUnder(ctx.store, 'pending.')).toEqual([]);
      });
    });
  }
}

describe('sweepPending', () => {
  for (const kind of STORES.filter((k) => k !== 's3-post')) {
    it(`deletes the pending uploads older than olderThan on ${kind}, and nothing else`, async () => {
      const ctx = await setup(kind);
      const app = await startApp('hono', { store: ctx.store, ...ctx.extra });
      try {
        for (const bytes of [PNG, JPEG]) {
          const started = (
            await readReply(
              await fetch(`${app.baseUrl}/uploads`, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify({ size: bytes.length, contentType: bytes === PNG ? 'image/png' : 'image/jpeg' }),
              }),
            )
          ).json<Started>();
          await sendPresignedUpload({ ...started, url: new URL(started.url, app.origin).href }, bytes, {
            contentType: bytes === PNG ? 'image/png' : 'image/jpeg',
          });
        }
        await ctx.store.put('kept', PNG, { contentType: 'image/png' });
        expect((await keysUnder(ctx.store, 'pending.')).length).toBe(2);
        const young = await sweepPending(ctx.store, { olderThan: 3600_000 });
        expect(young).toEqual({ deleted: [], kept: 2 });
        const old = await sweepPending(ctx.store, { olderThan: 3600_000, now: Date.now() + 2 * 3600_000 });
        expect(old.deleted.length).toBe(2);
        expect(await keysUnder(ctx.store)).toEqual(['kept']);
      } finally {
        await app.close();
        await ctx.dispose();
      }
    });
  }

  it('refuses a store that cannot list', async () => {
    const { list: _list, ...unlisted } = (await setup('memory')).store;
    await expect(sweepPending(unlisted as ImageStore, { olderThan: 0 })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
  });
});

describe('direct uploads switched off', () => {
  it('answers 404 on an S3 store without a secret, and with directUploads: false', async () => {
    const s3Store = createS3Store({ bucket: BUCKET, ...(s3.connection() as object) } as Parameters<
      typeof createS3Store
    >[0]);
    const local = await createTestStore('memory');
    for (const options of [{ store: s3Store }, { store: local.store, directUploads: false as const }]) {
      const app = await startApp('express5', options);
      try {
        const reply = await readReply(
          await fetch(`${app.baseUrl}/uploads`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ size: 10, contentType: 'image/png' }),
          }),
        );
        expectJsonError(reply, 404, 'NOT_FOUND');
      } finally {
        await app.close();
      }
    }
  });
});

describe('the local upload route (PUT /files/:key)', () => {
  it('refuses a forged or expired link, another type and a longer body, and stores nothing', async () => {
    const local = await createTestStore('fs');
    const app = await startApp('express4', { store: local.store });
    try {
      const upload = (await local.store.presignUpload?.('pending.local', {
        size: PNG.length,
        contentType: 'image/png',
      })) as PresignedUpload;
      const url = new URL(upload.url, app.origin);
      const send = (target: URL, body: Uint8Array, type = 'image/png') =>
        fetch(target, { method: 'PUT', body: body as Uint8Array<ArrayBuffer>, headers: { 'content-type': type } });
      const forged = new URL(url);
      forged.searchParams.set('size', String(PNG.length + 1));
      expectJsonError(await readReply(await send(forged, PNG)), 403, 'FORBIDDEN');
      const expired = new URL(url);
      expired.searchParams.set('expires', '1000');
      expectJsonError(await readReply(await send(expired, PNG)), 403, 'FORBIDDEN');
      expectJsonError(await readReply(await send(url, PNG, 'text/html')), 415, 'UNSUPPORTED_MEDIA_TYPE');
      const longer = new Uint8Array(PNG.length + 1);
      expectJsonError(await readReply(await send(url, longer)), 413, 'PAYLOAD_TOO_LARGE');
      expectJsonError(await readReply(await send(url, PNG.subarray(1))), 400, 'INVALID_INPUT');
      expect(await local.store.exists('pending.local')).toBe(false);
      const post = await readReply(await fetch(url, { method: 'POST', body: PNG as Uint8Array<ArrayBuffer> }));
      expectJsonError(post, 405, 'METHOD_NOT_ALLOWED');
      expect(post.headers.get('allow')).toBe('GET, HEAD, PUT');
      const ok = await send(url, PNG);
      expect(ok.status).toBe(200);
      expect((await local.store.stat('pending.local'))?.size).toBe(PNG.length);
    } finally {
      await app.close();
      await local.dispose();
    }
  });
});
