// Deleting through a real listener of every framework, on the memory, fs and S3 (s3rver)
// stores: the delete token from the upload answer, DELETE /i/:id, the unfurl-safe
// confirmation page /d/:id (a GET deletes nothing; its form POSTs), admins through
// authorize, and what a delete removes: the original, its derived keys, the caches.
import type { ImageHandlerOptions, ImageStore, UploadedImage } from '@imgstash/core';
import { FIXTURES } from '@imgstash/core/testing';
import { createS3Store } from '@imgstash/s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestStore, expectJsonError, readReply, send, type TestStore, uploadFile } from './contract-kit.js';
import { startS3rver, type TestServer } from './s3rver.js';
import { FRAMEWORKS, type RunningApp, startApp } from './servers.js';

const PNG = FIXTURES.png.bytes;
const KINDS = ['memory', 'fs', 's3'] as const;
type Kind = (typeof KINDS)[number];

let s3: TestServer;
let prefixes = 0;
beforeAll(async () => {
  s3 = await startS3rver();
});
afterAll(() => s3?.close());

/** A store of `kind`, every key it holds (through `list`), and its clean-up. */
async function makeStore(kind: Kind): Promise<{ store: ImageStore; keys(): Promise<string[]>; local?: TestStore }> {
  if (kind === 's3') {
    const store = createS3Store({ ...s3.connection(), bucket: s3.bucket, prefix: `delete${++prefixes}/` });
    return { store, keys: () => listAll(store) };
  }
  const local = await createTestStore(kind);
  return { store: local.store, keys: () => listAll(local.store), local };
}

async function listAll(store: ImageStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const entry of store.list?.('') ?? []) keys.push(entry.key);
  return keys.sort();
}

async function upload(app: RunningApp, filename = 'cat.png'): Promise<UploadedImage> {
  const reply = await readReply(await uploadFile(app.baseUrl, PNG, { filename, type: 'image/png' }));
  expect(reply.status, reply.text()).toBe(201);
  return reply.json<UploadedImage>();
}

const view = (app: RunningApp, id: string) => fetch(`${app.baseUrl}/i/${id}`, { redirect: 'manual' });

function del(app: RunningApp, id: string, token?: string) {
  return fetch(`${app.baseUrl}/i/${id}`, {
    method: 'DELETE',
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
}

/** The confirmation page's own POST: the token in a urlencoded form body. */
function confirm(app: RunningApp, id: string, token: string, accept = 'application/json') {
  return fetch(`${app.baseUrl}/d/${id}`, {
    method: 'POST',
    headers: { accept },
    body: new URLSearchParams({ token }),
  });
}

describe.each(FRAMEWORKS)('%s', (framework) => {
  describe.each(KINDS)('on the %s store', (kind) => {
    const apps: RunningApp[] = [];
    const locals: TestStore[] = [];
    let store: ImageStore;
    let keys: () => Promise<string[]>;
    async function start(options: Partial<ImageHandlerOptions> = {}) {
      const made = await makeStore(kind);
      if (made.local) locals.push(made.local);
      store = made.store;
      keys = made.keys;
      const app = await startApp(framework, { store, ...options });
      apps.push(app);
      return app;
    }
    afterAll(async () => {
      await Promise.all(apps.map((a) => a.close()));
      await Promise.all(locals.map((s) => s.dispose()));
    });

    it('hands out a delete token of ≥ 128 bits and a deleteUrl carrying it in the fragment, and stores only its hash', async () => {
      const app = await start();
      const image = await upload(app);
      expect(image.deleteToken).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(image.deleteUrl).toBe(`/d/${image.id}#${image.deleteToken}`);
      const info = await store.stat(image.id);
      expect(info?.metadata['delete-token-sha256']).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(info)).not.toContain(image.deleteToken);
    });

    it('answers DELETE with the token 204, and the original, its derived keys and the cache are gone at once', async () => {
      const app = await start();
      const image = await upload(app);
      const other = await upload(app);
      // Variants are stored as `<id>.<preset>.<ext>`: the delete must find them through list.
      await store.put(`${image.id}.thumb.webp`, FIXTURES.webp.bytes, { contentType: 'image/webp' });
      await store.put(`${image.id}.small.png`, PNG, { contentType: 'image/png' });
      expect((await view(app, image.id)).status).toBe(302); // cached now

      const res = await del(app, image.id, image.deleteToken);
      expect(res.status).toBe(204);
      expect(await res.text()).toBe('');
      expectJsonError(await readReply(await view(app, image.id)), 404, 'NOT_FOUND');
      expect(await keys()).toEqual([other.id]);
      // The other image is untouched, and a second delete finds nothing.
      expect((await view(app, other.id)).status).toBe(302);
      expectJsonError(await readReply(await del(app, image.id, image.deleteToken)), 404, 'NOT_FOUND');
    });

    it('leaves the store empty after deleting the only image', async () => {
      const app = await start();
      const image = await upload(app);
      expect((await del(app, image.id, image.deleteToken)).status).toBe(204);
      expect(await keys()).toEqual([]);
      if (kind === 'fs') expect(await locals.at(-1)?.contents()).toEqual([]);
      if (kind === 'memory') expect(await locals.at(-1)?.contents()).toEqual(['0 object(s)']);
    });

    it('answers 403 to a wrong, missing or malformed token, never echoes it, and deletes nothing', async () => {
      const app = await start();
      const image = await upload(app);
      const other = await upload(app);
      const wrong = `${image.deleteToken?.slice(0, -1)}${image.deleteToken?.endsWith('A') ? 'B' : 'A'}`;
      for (const res of [
        await del(app, image.id, wrong),
        await del(app, image.id, other.deleteToken),
        await del(app, image.id),
        await fetch(`${app.baseUrl}/i/${image.id}`, {
          method: 'DELETE',
          headers: { authorization: `Basic ${image.deleteToken}` },
        }),
        await confirm(app, image.id, wrong),
      ]) {
        expectJsonError(await readReply(res), 403, 'FORBIDDEN', [wrong, image.deleteToken ?? '']);
      }
      expect(await keys()).toEqual([image.id, other.id].sort());
      expect((await view(app, image.id)).status).toBe(302);
    });

    it('answers 404 for a missing id and for a malformed one, without a storage call for the latter', async () => {
      const app = await start();
      const image = await upload(app);
      expectJsonError(await readReply(await del(app, 'A'.repeat(21), image.deleteToken)), 404, 'NOT_FOUND');
      expectJsonError(await readReply(await del(app, 'short', image.deleteToken)), 404, 'NOT_FOUND');
      expectJsonError(await readReply(await fetch(`${app.baseUrl}/d/short`)), 404, 'NOT_FOUND');
      expect(await keys()).toEqual([image.id]);
    });

    it('shows a confirmation page on GET of deleteUrl (as an unfurler would), and deletes nothing', async () => {
      const app = await start();
      const image = await upload(app);
      // A link unfurler fetches the URL; the fragment never leaves the client.
      const url = new URL(image.deleteUrl as string, app.baseUrl);
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('x-robots-tag')).toBe('noindex, nofollow');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      const csp = res.headers.get('content-security-policy') ?? '';
      const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
      expect(nonce).toBeTruthy();
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("form-action 'self'");
      const html = await res.text();
      expect(html).toContain(`<form id="delete" method="post" action="/d/${image.id}">`);
      expect(html).toContain('<meta name="robots" content="noindex, nofollow">');
      expect(html).not.toContain(image.deleteToken);
      // Every script carries the nonce; no inline handlers.
      expect(html.split('<script').length).toBe(html.split(`<script nonce="${nonce}">`).length);
      expect(html).not.toMatch(/\son[a-z]+=/i);
      expect((await fetch(url, { method: 'HEAD' })).status).toBe(200);
      expect(await keys()).toEqual([image.id]);
      expect((await view(app, image.id)).status).toBe(302);
    });

    it("deletes on the confirmation page's POST: 204 for its script, a small page for a plain form", async () => {
      const app = await start();
      const first = await upload(app);
      const second = await upload(app);
      expect((await confirm(app, first.id, first.deleteToken as string)).status).toBe(204);
      const plain = await confirm(app, second.id, second.deleteToken as string, 'text/html,*/*');
      expect(plain.status).toBe(200);
      expect(plain.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await plain.text()).toContain('Image deleted');
      expect(await keys()).toEqual([]);
      // The page of a deleted image is a 404.
      expectJsonError(await readReply(await fetch(`${app.baseUrl}/d/${first.id}`)), 404, 'NOT_FOUND');
    });

    it('lets authorize(request, "delete") = true delete without a token, and false refuse even with it', async () => {
      const app = await start({
        authorize: (request, action) =>
          action !== 'delete'
            ? true
            : request.headers.get('x-admin') === 'yes'
              ? true
              : request.headers.get('x-banned')
                ? false
                : undefined,
      });
      const image = await upload(app);
      const banned = await fetch(`${app.baseUrl}/i/${image.id}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${image.deleteToken}`, 'x-banned': '1' },
      });
      expectJsonError(await readReply(banned), 403, 'FORBIDDEN');
      // The confirmation form takes the token only: an admin's credentials there would be CSRF-able.
      const viaForm = await fetch(`${app.baseUrl}/d/${image.id}`, { method: 'POST', headers: { 'x-admin': 'yes' } });
      expectJsonError(await readReply(viaForm), 403, 'FORBIDDEN');
      expect(await keys()).toEqual([image.id]);
      const admin = await fetch(`${app.baseUrl}/i/${image.id}`, { method: 'DELETE', headers: { 'x-admin': 'yes' } });
      expect(admin.status).toBe(204);
      expect(await keys()).toEqual([]);
    });

    it('answers other methods 405 with Allow, on /i/:id and /d/:id', async () => {
      const app = await start();
      const image = await upload(app);
      const put = await fetch(`${app.baseUrl}/i/${image.id}`, { method: 'PUT' });
      expect(put.status).toBe(405);
      expect(put.headers.get('allow')).toBe('GET, HEAD, DELETE');
      const patch = await fetch(`${app.baseUrl}/d/${image.id}`, { method: 'PATCH' });
      expect(patch.status).toBe(405);
      expect(patch.headers.get('allow')).toBe('GET, HEAD, POST');
      expect(await keys()).toEqual([image.id]);
    });
  });

  describe('on the memory store', () => {
    const apps: RunningApp[] = [];
    afterAll(() => Promise.all(apps.map((a) => a.close())));

    it('gives onUploaded the image without its delete token', async () => {
      const seen: UploadedImage[] = [];
      const local = await createTestStore('memory');
      const app = await startApp(framework, { store: local.store, onUploaded: (image) => void seen.push(image) });
      apps.push(app);
      const image = await upload(app);
      expect(seen).toHaveLength(1);
      expect(seen[0]).toEqual({ ...image, deleteToken: undefined, deleteUrl: undefined });
      expect(JSON.stringify(seen)).not.toContain(image.deleteToken);
    });

    it('refuses a form body over 4 KiB with 413, and deletes nothing', async () => {
      const local = await createTestStore('memory');
      const app = await startApp(framework, { store: local.store });
      apps.push(app);
      const image = await upload(app);
      const body = new TextEncoder().encode(`token=${image.deleteToken}&pad=${'x'.repeat(8192)}`);
      const res = await send(
        app.port,
        'POST',
        `/d/${image.id}`,
        {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': body.length,
        },
        body,
      );
      expectJsonError(res, 413, 'PAYLOAD_TOO_LARGE');
      expect((await view(app, image.id)).status).toBe(302);
    });

    it('on a store without list, deletes the original (derived keys need list)', async () => {
      const local = await createTestStore('memory');
      const s = local.store;
      const bare: ImageStore = {
        put: (...args) => s.put(...args),
        exists: (...args) => s.exists(...args),
        signedUrl: (...args) => s.signedUrl(...args),
        stat: (...args) => s.stat(...args),
        get: (...args) => s.get(...args),
        delete: (...args) => s.delete(...args),
      };
      const app = await startApp(framework, { store: bare });
      apps.push(app);
      const image = await upload(app);
      expect((await del(app, image.id, image.deleteToken)).status).toBe(204);
      expect(await local.store.exists(image.id)).toBe(false);
    });

    it('lets another instance forget the image within infoCacheTtl (0: at once)', async () => {
      const local = await createTestStore('memory');
      const a = await startApp(framework, { store: local.store });
      const b = await startApp(framework, { store: local.store, infoCacheTtl: 0 });
      apps.push(a, b);
      const image = await upload(a);
      expect((await view(b, image.id)).status).toBe(302);
      expect((await del(a, image.id, image.deleteToken)).status).toBe(204);
      expect((await view(b, image.id)).status).toBe(404);
    });
  });
});
