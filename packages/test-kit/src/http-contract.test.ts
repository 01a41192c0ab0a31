// imgstash's HTTP contract (docs/http.md), through a real listener of every framework:
// Express 5, Express 4 and Hono must answer alike. Uploads and redirects run on the memory
// and the fs store; the store sits behind a counting proxy, so "without a storage call" is
// asserted, not assumed. Links are root-relative here; links.test.ts covers link building.
import {
  type AuthorizeAction,
  type AuthorizeResult,
  DEFAULT_ALLOWED_TYPES,
  type HandlerRequest,
  type ImageStore,
  ImageStoreError,
  type UploadedImage,
} from '@imgstash/core';
import { FIXTURES } from '@imgstash/core/testing';
import { createMemoryStore } from '@imgstash/memory';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createTestStore,
  expectJsonError,
  readReply,
  SECRET,
  STORE_KINDS,
  send,
  sha256Hex,
  type TestStore,
  uploadFile,
} from './contract-kit.js';
import { noiseImage } from './images.js';
import { multipartBody } from './multipart-body.js';
import { FRAMEWORKS, type RunningApp, startApp } from './servers.js';
import { probeStore } from './store-probe.js';

const KiB = 1024;
const MAX_BYTES = 64 * KiB;
const FORMATS = ['jpeg', 'png', 'gif', 'webp', 'avif'] as const;
// What each part claims to be: never its real type, so the answer must come from the bytes.
const CLAIMED: Record<(typeof FORMATS)[number], string> = {
  jpeg: 'image/png',
  png: 'image/jpeg',
  gif: 'image/webp',
  webp: 'image/gif',
  avif: 'application/octet-stream',
};
const PNG = FIXTURES.png.bytes;
const JPEG = FIXTURES.jpeg.bytes;
const UNICODE_NAME = 'фото 🐱 写真.jpg';
const ID_SHAPE = /^[A-Za-z0-9_-]{21}$/;
const WELL_FORMED_MISSING_ID = 'AAAAAAAAAAAAAAAAAAAAA';
const SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><script>alert(1)</script></svg>';

// Sent as is (node:http): fetch would resolve `..` and `%2e%2e` before sending.
const DOT_SEGMENT_IDS: [what: string, id: string][] = [
  ['..', '..'],
  ['%2e%2e', '%2e%2e'],
];
const MALFORMED_IDS: [what: string, id: string][] = [
  ['an encoded slash (a%2Fb)', 'a%2Fb'],
  ['an encoded NUL (%00)', `${'a'.repeat(10)}%00${'a'.repeat(10)}`],
  ['200 characters', 'a'.repeat(200)],
  ['20 characters', 'a'.repeat(20)],
  ['22 characters', 'a'.repeat(22)],
];

let bigJpeg: Uint8Array;
let hugeJpeg: Uint8Array;

beforeAll(async () => {
  // Noise barely compresses: 600×600 is ≈ 310 KiB, over maxBytes but under the early
  // Content-Length cut (maxBytes + 256 KiB), so the streamed byte count must catch it.
  // 900×900 is over that cut too.
  [bigJpeg, hugeJpeg] = await Promise.all([noiseImage('jpeg', 600, 600, 3), noiseImage('jpeg', 900, 900, 4)]);
  expect(bigJpeg.length).toBeGreaterThan(MAX_BYTES);
  expect(bigJpeg.length).toBeLessThan(MAX_BYTES + 256 * KiB);
  expect(hugeJpeg.length).toBeGreaterThan(MAX_BYTES + 256 * KiB);
});

async function uploaded(response: Promise<Response>): Promise<UploadedImage> {
  const reply = await readReply(await response);
  expect(reply.status, reply.text()).toBe(201);
  return reply.json<UploadedImage>();
}

/** `GET|HEAD` a stable link without following it. */
const view = (app: RunningApp, id: string, method = 'GET') =>
  fetch(`${app.baseUrl}/i/${id}`, { method, redirect: 'manual' });

const maxAgeOf = (response: Response) =>
  Number(/^private, max-age=(\d+)$/.exec(response.headers.get('cache-control') ?? '')?.[1] ?? Number.NaN);

describe.each(FRAMEWORKS)('%s', (framework) => {
  describe.each(STORE_KINDS)('with the %s store', (kind) => {
    let target: TestStore;
    let app: RunningApp;
    beforeAll(async () => {
      target = await createTestStore(kind);
      app = await startApp(framework, { store: target.store, maxBytes: MAX_BYTES });
    });
    afterAll(async () => {
      await app?.close();
      await target?.dispose();
    });
    beforeEach(() => target.probe.reset());

    describe('POST /upload', () => {
      it.each(
        FORMATS,
      )('stores a real %s and answers 201, Location /i/<id> and its facts, typed from its bytes', async (format) => {
        const { bytes, type } = FIXTURES[format];
        const res = await uploadFile(app.baseUrl, bytes, { filename: `photo.${format}`, type: CLAIMED[format] });
        const reply = await readReply(res);
        expect(reply.status, reply.text()).toBe(201);
        expect(reply.headers.get('content-type')).toBe('application/json; charset=utf-8');
        const body = reply.json<UploadedImage>();
        expect(body).toEqual({
          id: expect.stringMatching(ID_SHAPE),
          url: `/i/${body.id}`,
          pageUrl: `/p/${body.id}`,
          contentType: type,
          // The fixtures carry no metadata, so the stored bytes are the sent ones.
          size: bytes.length,
          sha256: sha256Hex(bytes),
          width: 48,
          height: 32,
          filename: `photo.${format}`,
          deleteToken: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/),
          deleteUrl: `/d/${body.id}#${body.deleteToken}`,
        });
        expect(reply.headers.get('location')).toBe(`/i/${body.id}`);
        expect(await target.store.stat(body.id)).toMatchObject({ size: bytes.length, contentType: type });
      });

      it('keeps a Unicode filename, sent raw in filename="…", in the answer and in the store', async () => {
        const body = await uploaded(uploadFile(app.baseUrl, JPEG, { filename: UNICODE_NAME, type: 'image/jpeg' }));
        expect(body.filename).toBe(UNICODE_NAME);
        expect((await target.store.stat(body.id))?.filename).toBe(UNICODE_NAME);
      });

      it("keeps a Unicode filename sent as filename*=UTF-8''…, and serves it back in Content-Disposition", async () => {
        const disposition = `form-data; name="file"; filename="photo.jpg"; filename*=UTF-8''${encodeURIComponent(UNICODE_NAME)}`;
        const form = multipartBody([{ disposition, contentType: 'image/jpeg', body: JPEG }]);
        const res = fetch(`${app.baseUrl}/upload`, {
          method: 'POST',
          headers: { 'content-type': form.contentType },
          body: new Uint8Array(form.body),
        });
        const body = await uploaded(res);
        expect(body.filename).toBe(UNICODE_NAME);
        expect((await target.store.stat(body.id))?.filename).toBe(UNICODE_NAME);
        const file = await fetch(`${app.baseUrl}/i/${body.id}`);
        const served = /filename\*=UTF-8''([^;]+)/.exec(file.headers.get('content-disposition') ?? '')?.[1];
        expect(decodeURIComponent(served ?? '')).toBe(UNICODE_NAME);
        await file.body?.cancel();
      });
    });

    describe('GET|HEAD /i/:id', () => {
      it.each(
        FORMATS,
      )('302s a %s link to a signed URL that serves its exact bytes, stored type, nosniff and a sandbox CSP', async (format) => {
        const { bytes, type } = FIXTURES[format];
        const { id } = await uploaded(uploadFile(app.baseUrl, bytes, { type: CLAIMED[format] }));

        const res = await view(app, id);
        expect(res.status).toBe(302);
        const location = res.headers.get('location') as string;
        expect(location).toMatch(/^\/files\//);
        const link = new URL(location, app.origin);
        // The redirect is cached for less than the signed URL has left to live.
        const remaining = Number(link.searchParams.get('expires')) - Math.floor(Date.now() / 1000);
        expect(maxAgeOf(res)).toBeGreaterThan(0);
        expect(maxAgeOf(res)).toBeLessThan(remaining);

        const head = await view(app, id, 'HEAD');
        expect(head.status).toBe(302);
        expect(head.headers.get('location')).toBe(location);

        // Followed as a browser follows it.
        const file = await fetch(`${app.baseUrl}/i/${id}`);
        expect(file.status).toBe(200);
        expect(file.url).toBe(link.href);
        expect(file.headers.get('content-type')).toBe(type);
        expect(file.headers.get('x-content-type-options')).toBe('nosniff');
        expect(file.headers.get('content-security-policy')).toMatch(/(^|;)\s*sandbox\s*(;|$)/);
        expect(Buffer.from(await file.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);
      });

      it('answers 404 JSON to a well-formed id that is not stored', async () => {
        expectJsonError(await readReply(await view(app, WELL_FORMED_MISSING_ID)), 404, 'NOT_FOUND');
        const head = await view(app, WELL_FORMED_MISSING_ID, 'HEAD');
        expect(head.status).toBe(404);
        expect(head.headers.get('location')).toBeNull();
        // A well-formed id is looked up: the counting proxy sees it (the control for the test below).
        expect(target.probe.calls.stat).toBeGreaterThan(0);
      });

      it.each(MALFORMED_IDS)('answers 404 JSON to an id of %s, without a storage call', async (_, id) => {
        for (const method of ['GET', 'HEAD']) {
          const reply = await send(app.port, method, `/i/${id}`);
          expect(reply.status).toBe(404);
          if (method === 'GET') expectJsonError(reply, 404, 'NOT_FOUND');
        }
        expect(target.probe.total()).toBe(0);
      });

      it.each(
        DOT_SEGMENT_IDS,
      )('never redirects nor calls storage for an id of %s: 404 JSON, or on Hono the answer of /', async (_, id) => {
        for (const method of ['GET', 'HEAD']) {
          const reply = await send(app.port, method, `/i/${id}`);
          expect(reply.headers.get('location')).toBeNull();
          if (framework === 'hono') {
            // @hono/node-server resolves dot segments as the URL standard does (and as every
            // browser does before sending): `/i/..` is a request for `/`.
            expect(reply.status).toBe((await send(app.port, method, '/')).status);
          } else {
            expect(reply.status).toBe(404);
            if (method === 'GET') expectJsonError(reply, 404, 'NOT_FOUND');
          }
        }
        expect(target.probe.total()).toBe(0);
      });

      it('answers 404 once an image is deleted and its id invalidated', async () => {
        const { id } = await uploaded(uploadFile(app.baseUrl, PNG));
        expect((await view(app, id)).status).toBe(302);
        await target.store.delete(id);
        app.handlers.invalidate(id);
        expectJsonError(await readReply(await view(app, id)), 404, 'NOT_FOUND');
      });
    });

    describe('refusals: a JSON error, and nothing stored', () => {
      let before: string[];
      beforeEach(async () => {
        before = await target.contents();
      });
      async function expectNothingStored() {
        expect(target.probe.puts.filter((put) => put.state !== 'rejected')).toEqual([]);
        expect(await target.contents()).toEqual(before);
      }

      it('answers 413 to a real image over maxBytes (counted on the stream, Content-Length under the early cut)', async () => {
        const reply = await readReply(await uploadFile(app.baseUrl, bigJpeg, { type: 'image/jpeg' }));
        expectJsonError(reply, 413, 'PAYLOAD_TOO_LARGE');
        await expectNothingStored();
      });

      it('answers 413 to a real image over maxBytes sent chunked, without Content-Length', async () => {
        const form = new FormData();
        form.append('file', new Blob([bigJpeg as Uint8Array<ArrayBuffer>], { type: 'image/jpeg' }), 'big.jpg');
        const encoded = new Response(form);
        const res = await fetch(`${app.baseUrl}/upload`, {
          method: 'POST',
          headers: { 'content-type': encoded.headers.get('content-type') as string },
          body: encoded.body,
          duplex: 'half',
        } as RequestInit);
        expectJsonError(await readReply(res), 413, 'PAYLOAD_TOO_LARGE');
        await expectNothingStored();
      });

      it('answers 413 to a declared Content-Length far over maxBytes before reading the body, without a storage call', async () => {
        const reply = await readReply(await uploadFile(app.baseUrl, hugeJpeg, { type: 'image/jpeg' }));
        expectJsonError(reply, 413, 'PAYLOAD_TOO_LARGE');
        expect(target.probe.total()).toBe(0);
        await expectNothingStored();
      });

      it.each([
        ['text claimed as image/png', 'hello, this is not an image\n'.repeat(20), 'image/png', 'notes.png'],
        [
          'an HTML page claimed as image/jpeg',
          '<!doctype html><html><body><script>alert(document.cookie)</script></body></html>',
          'image/jpeg',
          'photo.jpg',
        ],
        ['an SVG, not enabled by allowedTypes', SVG, 'image/svg+xml', 'drawing.svg'],
      ])('answers 415 to %s', async (_, content, type, filename) => {
        const reply = await readReply(await uploadFile(app.baseUrl, content, { type, filename }));
        expectJsonError(reply, 415, 'UNSUPPORTED_MEDIA_TYPE');
        await expectNothingStored();
      });

      it('answers 400 to an empty file', async () => {
        const reply = await readReply(await uploadFile(app.baseUrl, new Uint8Array(0), { type: 'image/png' }));
        expectJsonError(reply, 400, 'INVALID_INPUT');
        await expectNothingStored();
      });

      it('answers 400 to a form with no file part, only a text field', async () => {
        const form = new FormData();
        form.append('file', 'iVBORw0KGgo=');
        const reply = await readReply(await fetch(`${app.baseUrl}/upload`, { method: 'POST', body: form }));
        expectJsonError(reply, 400, 'INVALID_INPUT');
        await expectNothingStored();
      });

      it('answers 400 to a file under another field name', async () => {
        const reply = await readReply(await uploadFile(app.baseUrl, PNG, { field: 'image', type: 'image/png' }));
        expectJsonError(reply, 400, 'INVALID_INPUT');
        await expectNothingStored();
      });

      it('answers 405 with Allow: POST to GET /upload', async () => {
        const reply = await readReply(await fetch(`${app.baseUrl}/upload`));
        expectJsonError(reply, 405, 'METHOD_NOT_ALLOWED');
        expect(reply.headers.get('allow')).toBe('POST');
        await expectNothingStored();
      });

      it.each([
        'POST',
        'PUT',
        'PATCH',
      ])('answers 405 with Allow: GET, HEAD, DELETE to %s /i/<id>, without a storage call', async (method) => {
        const reply = await readReply(await fetch(`${app.baseUrl}/i/${WELL_FORMED_MISSING_ID}`, { method }));
        expectJsonError(reply, 405, 'METHOD_NOT_ALLOWED');
        expect(reply.headers.get('allow')).toBe('GET, HEAD, DELETE');
        expect(target.probe.total()).toBe(0);
      });
    });
  });

  describe('redirect caching', () => {
    const store = createMemoryStore({ secret: SECRET });
    const probe = probeStore(store);
    let app: RunningApp;
    let twin: RunningApp;
    beforeAll(async () => {
      // A week-long TTL makes the signing window (a quarter of it) 42 h wide: two requests
      // a few ms apart cannot straddle a window boundary.
      const options = { store: probe.store, signedUrlTtl: 604_800 };
      [app, twin] = await Promise.all([startApp(framework, options), startApp(framework, options)]);
    });
    afterAll(async () => {
      await Promise.all([app?.close(), twin?.close()]);
    });

    it('gives every view in the signing window the same Location, and after the first makes no storage call', async () => {
      const { id } = await uploaded(uploadFile(app.baseUrl, PNG));
      const first = await view(app, id);
      expect(first.status).toBe(302);
      const location = first.headers.get('location');
      probe.reset();
      for (const method of ['GET', 'HEAD', 'GET']) {
        const again = await view(app, id, method);
        expect(again.status).toBe(302);
        expect(again.headers.get('location')).toBe(location);
      }
      expect(probe.total()).toBe(0);
    });

    it('gives the same Location from another instance sharing the store and secret (signed on a time bucket)', async () => {
      const { id } = await uploaded(uploadFile(app.baseUrl, PNG));
      const [mine, theirs] = await Promise.all([view(app, id), view(twin, id)]);
      expect(mine.status).toBe(302);
      expect(theirs.headers.get('location')).toBe(mine.headers.get('location'));
    });
  });

  describe('when storage fails', () => {
    // What a store's own message may hold; none of it may reach a client.
    const SECRETS = ['imgstash-private-bucket', 's3.internal.example', '/srv/imgstash/data'];
    const internal = `[imgstash] [s3] bucket imgstash-private-bucket at https://s3.internal.example:9000 (/srv/imgstash/data)`;
    const unavailable = () =>
      new ImageStoreError('STORAGE_UNAVAILABLE', internal, { cause: new Error(`connect ECONNREFUSED ${internal}`) });
    const foreign = () => new Error(`socket hang up: ${internal}`);

    /** A store whose every method rejects with `error()`. */
    function failingStore(error: () => unknown): ImageStore {
      const fail = () => Promise.reject(error());
      return { put: fail, exists: fail, signedUrl: fail, stat: fail, get: fail, delete: fail };
    }

    const apps: RunningApp[] = [];
    afterAll(async () => {
      await Promise.all(apps.map((a) => a.close()));
    });
    const start = async (store: ImageStore) => {
      const app = await startApp(framework, { store });
      apps.push(app);
      return app;
    };

    it('answers 503 STORAGE_UNAVAILABLE to an upload, without internals', async () => {
      const app = await start(failingStore(unavailable));
      const reply = await readReply(await uploadFile(app.baseUrl, PNG, { type: 'image/png' }));
      expectJsonError(reply, 503, 'STORAGE_UNAVAILABLE', SECRETS);
    });

    it('answers 503 STORAGE_UNAVAILABLE to GET and HEAD /i/<id>, never a 302', async () => {
      const app = await start(failingStore(unavailable));
      expectJsonError(await readReply(await view(app, WELL_FORMED_MISSING_ID)), 503, 'STORAGE_UNAVAILABLE', SECRETS);
      const head = await view(app, WELL_FORMED_MISSING_ID, 'HEAD');
      expect(head.status).toBe(503);
      expect(head.headers.get('location')).toBeNull();
    });

    it('answers 503 when signing fails for a stored image, and 302s again once storage is back', async () => {
      const probe = probeStore(createMemoryStore({ secret: SECRET }));
      const app = await start(probe.store);
      const { id } = await uploaded(uploadFile(app.baseUrl, PNG));
      probe.fail('signedUrl', unavailable);
      const res = await view(app, id);
      expect(res.headers.get('location')).toBeNull();
      expectJsonError(await readReply(res), 503, 'STORAGE_UNAVAILABLE', SECRETS);
      probe.fail('signedUrl', undefined);
      expect((await view(app, id)).status).toBe(302);
    });

    it('answers 502 STORAGE_ERROR when a store throws an untranslated Error, on upload and on redirect', async () => {
      const app = await start(failingStore(foreign));
      const upload = await readReply(await uploadFile(app.baseUrl, PNG, { type: 'image/png' }));
      expectJsonError(upload, 502, 'STORAGE_ERROR', [...SECRETS, 'socket hang up']);
      const redirect = await readReply(await view(app, WELL_FORMED_MISSING_ID));
      expectJsonError(redirect, 502, 'STORAGE_ERROR', [...SECRETS, 'socket hang up']);
    });
  });

  describe('authorize and onUploaded', () => {
    const probe = probeStore(createMemoryStore({ secret: SECRET }));
    let app: RunningApp;
    let decide: (request: HandlerRequest, action: AuthorizeAction) => AuthorizeResult | Promise<AuthorizeResult>;
    let hook: (image: UploadedImage) => void | Promise<void>;
    const seen: { action: string; image?: UploadedImage }[] = [];
    beforeAll(async () => {
      app = await startApp(framework, {
        store: probe.store,
        authorize: (request, action) => decide(request, action),
        onUploaded: (image) => hook(image),
      });
    });
    afterAll(() => app?.close());
    beforeEach(() => {
      probe.reset();
      seen.length = 0;
      decide = (_, action) => {
        seen.push({ action });
        return true;
      };
      hook = (image) => {
        seen.push({ action: 'uploaded', image });
      };
    });

    it('answers 403 FORBIDDEN when authorize returns false, and stores nothing', async () => {
      decide = () => false;
      expectJsonError(await readReply(await uploadFile(app.baseUrl, PNG)), 403, 'FORBIDDEN');
      expect(probe.calls.put).toBe(0);
    });

    it('answers 401 UNAUTHORIZED when authorize throws ImageStoreError UNAUTHORIZED, and stores nothing', async () => {
      decide = () => {
        throw new ImageStoreError('UNAUTHORIZED', '[app] no session cookie');
      };
      const reply = await readReply(await uploadFile(app.baseUrl, PNG));
      expectJsonError(reply, 401, 'UNAUTHORIZED', ['no session cookie']);
      expect(probe.calls.put).toBe(0);
    });

    it('asks authorize for "upload" and "view", and refuses a view with 403 before any storage call', async () => {
      const { id } = await uploaded(uploadFile(app.baseUrl, PNG));
      expect((await view(app, id)).status).toBe(302);
      expect(seen.filter((s) => s.action !== 'uploaded').map((s) => s.action)).toEqual(['upload', 'view']);
      decide = () => false;
      probe.reset();
      expectJsonError(await readReply(await view(app, id)), 403, 'FORBIDDEN');
      expect(probe.total()).toBe(0);
    });

    it('hands onUploaded the stored image: the same facts the client gets, but its delete token', async () => {
      const body = await uploaded(uploadFile(app.baseUrl, PNG, { filename: 'hook.png' }));
      const { deleteToken, deleteUrl, ...facts } = body;
      expect(deleteToken).toBeTruthy();
      expect(deleteUrl).toBeTruthy();
      expect(seen.find((s) => s.action === 'uploaded')?.image).toEqual(facts);
      expect(await probe.store.exists(body.id)).toBe(true);
    });

    it('fails the upload with 500 INTERNAL_ERROR and deletes the object when onUploaded throws', async () => {
      let id: string | undefined;
      hook = (image) => {
        id = image.id;
        throw new Error('[app] database is down at /srv/app/db.sqlite');
      };
      const reply = await readReply(await uploadFile(app.baseUrl, PNG));
      expectJsonError(reply, 500, 'INTERNAL_ERROR', ['database is down']);
      expect(id).toMatch(ID_SHAPE);
      expect(await probe.store.exists(id as string)).toBe(false);
      expectJsonError(await readReply(await view(app, id as string)), 404, 'NOT_FOUND');
    });

    it('answers with the status of an ImageStoreError thrown by onUploaded, and deletes the object', async () => {
      let id: string | undefined;
      hook = (image) => {
        id = image.id;
        throw new ImageStoreError('FORBIDDEN', '[app] quota exceeded');
      };
      expectJsonError(await readReply(await uploadFile(app.baseUrl, PNG)), 403, 'FORBIDDEN', ['quota']);
      expect(await probe.store.exists(id as string)).toBe(false);
    });
  });

  describe('the upload page', () => {
    let app: RunningApp;
    let bare: RunningApp;
    beforeAll(async () => {
      [app, bare] = await Promise.all([
        startApp(framework, {
          store: createMemoryStore({ secret: SECRET }),
          fieldName: 'photo',
          paths: { upload: '/api/upload' },
          title: 'Pictures & <friends>',
        }),
        startApp(framework, { store: createMemoryStore({ secret: SECRET }), paths: { page: false } }),
      ]);
    });
    afterAll(async () => {
      await Promise.all([app?.close(), bare?.close()]);
    });

    it('serves GET / as HTML under a CSP with a fresh nonce, posting the configured field to the configured path', async () => {
      const nonces: string[] = [];
      for (let i = 0; i < 2; i++) {
        const res = await fetch(`${app.baseUrl}/`);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        const csp = res.headers.get('content-security-policy') ?? '';
        const nonce = /script-src 'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1] as string;
        expect(nonce).toEqual(expect.any(String));
        expect(csp).toContain("default-src 'none'");
        const html = await res.text();
        expect(html).toContain(`<script nonce="${nonce}">`);
        expect(html).toContain('"uploadUrl":"/api/upload"');
        expect(html).toContain('"fieldName":"photo"');
        expect(html).toContain('name="photo"');
        expect(html).toContain('<title>Pictures &#38; &#60;friends&#62;</title>');
        nonces.push(nonce);
      }
      expect(nonces[0]).not.toBe(nonces[1]);
    });

    it('takes uploads in the configured field at the configured path, and only there', async () => {
      const body = await uploaded(uploadFile(app.baseUrl, PNG, { field: 'photo', path: '/api/upload' }));
      expect(body.url).toBe(`/i/${body.id}`);
      const wrongField = await readReply(await uploadFile(app.baseUrl, PNG, { path: '/api/upload' }));
      expectJsonError(wrongField, 400, 'INVALID_INPUT');
      const oldPath = await uploadFile(app.baseUrl, PNG, { field: 'photo' });
      expect(oldPath.status).toBe(404);
      await oldPath.body?.cancel();
    });

    it('serves no page when paths.page is false', async () => {
      const res = await fetch(`${bare.baseUrl}/`);
      expect(res.status).toBe(404);
      expect(await res.text()).not.toContain('<script');
    });
  });

  describe('SVG, when enabled in allowedTypes', () => {
    let app: RunningApp;
    beforeAll(async () => {
      app = await startApp(framework, {
        store: createMemoryStore({ secret: SECRET }),
        allowedTypes: [...DEFAULT_ALLOWED_TYPES, 'image/svg+xml'],
      });
    });
    afterAll(() => app?.close());

    it('accepts an SVG and serves its link as an attachment under the sandbox CSP, so its script never runs inline', async () => {
      const body = await uploaded(uploadFile(app.baseUrl, SVG, { type: 'image/png', filename: 'drawing.svg' }));
      expect(body.contentType).toBe('image/svg+xml');
      const file = await fetch(`${app.baseUrl}/i/${body.id}`);
      expect(file.status).toBe(200);
      expect(file.headers.get('content-type')).toBe('image/svg+xml');
      expect(file.headers.get('content-disposition')).toMatch(/^attachment\b/);
      expect(file.headers.get('content-security-policy')).toMatch(/(^|;)\s*sandbox\s*(;|$)/);
      expect(file.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await file.text()).toBe(SVG);
    });

    it('still accepts the raster types', async () => {
      const body = await uploaded(uploadFile(app.baseUrl, PNG));
      expect(body.contentType).toBe('image/png');
    });
  });
});
