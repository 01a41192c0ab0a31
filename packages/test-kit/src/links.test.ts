// How links are built, through a real listener of every framework: from `publicBaseUrl`,
// from X-Forwarded-* only with `trustProxy`, never from the Host header; and under a mount
// path. Requests that forge Host go through node:http, which sends the Host it is given.
import type { UploadedImage } from '@imgstash/core';
import { FIXTURES } from '@imgstash/core/testing';
import { createMemoryStore } from '@imgstash/memory';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeForm, expectJsonError, readReply, SECRET, send, sha256Hex, uploadFile } from './contract-kit.js';
import { FRAMEWORKS, type Framework, type RunningApp, startApp } from './servers.js';

const PNG = FIXTURES.png.bytes;
const PUBLIC = 'https://img.example.com';
const FORGED = { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' };

/** Uploads through node:http with `headers`, then views the link with the same headers. */
async function uploadAndView(app: RunningApp, headers: Record<string, string>, prefix = '') {
  const form = new FormData();
  form.append('file', new Blob([PNG as Uint8Array<ArrayBuffer>], { type: 'image/png' }), 'p.png');
  const { body, contentType } = await encodeForm(form);
  const res = await send(
    app.port,
    'POST',
    `${prefix}/upload`,
    { ...headers, 'content-type': contentType, 'content-length': body.length },
    body,
  );
  expect(res.status, res.text()).toBe(201);
  const uploaded = res.json<UploadedImage>();
  const view = await send(app.port, 'GET', `${prefix}/i/${uploaded.id}`, headers);
  expect(view.status).toBe(302);
  return { res, uploaded, location: view.headers.get('location') as string };
}

describe.each(FRAMEWORKS)('%s', (framework: Framework) => {
  const apps: RunningApp[] = [];
  const start = async (...args: Parameters<typeof startApp> extends [Framework, ...infer R] ? R : never) => {
    const app = await startApp(framework, ...args);
    apps.push(app);
    return app;
  };
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
  });

  describe('with publicBaseUrl', () => {
    let app: RunningApp;
    beforeAll(async () => {
      app = await start({ store: createMemoryStore({ secret: SECRET }), publicBaseUrl: `${PUBLIC}/` });
    });

    it('makes url, pageUrl, Location and the redirect absolute on it, whatever Host and X-Forwarded-* say', async () => {
      const { res, uploaded, location } = await uploadAndView(app, FORGED);
      expect(uploaded.url).toBe(`${PUBLIC}/i/${uploaded.id}`);
      expect(uploaded.pageUrl).toBe(`${PUBLIC}/p/${uploaded.id}`);
      expect(res.headers.get('location')).toBe(uploaded.url);
      expect(location).toMatch(new RegExp(`^${PUBLIC.replace(/\./g, '\\.')}/files/${uploaded.id}\\?`));
      expect(res.text() + location).not.toContain('evil.example');

      // The same link, asked of this listener, serves the bytes.
      const link = new URL(location);
      const file = await fetch(new URL(link.pathname + link.search, app.origin));
      expect(file.status).toBe(200);
      expect(sha256Hex(new Uint8Array(await file.arrayBuffer()))).toBe(uploaded.sha256);
    });
  });

  describe('without publicBaseUrl, trustProxy off (the default)', () => {
    let app: RunningApp;
    beforeAll(async () => {
      app = await start({ store: createMemoryStore({ secret: SECRET }) });
    });

    it('gives root-relative links that a forged Host or X-Forwarded-Host cannot change', async () => {
      const honest = await uploadAndView(app, {});
      const forged = await uploadAndView(app, FORGED);
      for (const { res, uploaded, location } of [honest, forged]) {
        expect(uploaded.url).toBe(`/i/${uploaded.id}`);
        expect(res.headers.get('location')).toBe(uploaded.url);
        expect(location).toMatch(new RegExp(`^/files/${uploaded.id}\\?`));
      }
      expect(forged.res.text() + forged.location).not.toContain('evil.example');
    });
  });

  describe('with trustProxy', () => {
    let app: RunningApp;
    beforeAll(async () => {
      app = await start({ store: createMemoryStore({ secret: SECRET }), trustProxy: true });
    });

    it('builds links from X-Forwarded-Proto and X-Forwarded-Host, never from Host', async () => {
      const headers = { host: 'internal:8080', 'x-forwarded-host': 'img.example.org', 'x-forwarded-proto': 'https' };
      const { uploaded, location } = await uploadAndView(app, headers);
      expect(uploaded.url).toBe(`https://img.example.org/i/${uploaded.id}`);
      expect(location).toMatch(new RegExp(`^https://img\\.example\\.org/files/${uploaded.id}\\?`));
    });

    it('uses the first (client-facing) entry of a forwarded list, with its port', async () => {
      const headers = {
        'x-forwarded-host': 'img.example.org:8443, proxy.internal',
        'x-forwarded-proto': 'https, http',
      };
      const { uploaded } = await uploadAndView(app, headers);
      expect(uploaded.url).toBe(`https://img.example.org:8443/i/${uploaded.id}`);
    });

    it.each([
      ['a slash', 'evil.example/path'],
      ['userinfo (@)', 'user@evil.example'],
      ['a space', 'evil.example injected'],
      ['a backslash', 'evil.example\\x'],
    ])('ignores a forwarded host with %s: links stay root-relative', async (_, host) => {
      const { uploaded, location } = await uploadAndView(app, {
        'x-forwarded-host': host,
        'x-forwarded-proto': 'https',
      });
      expect(uploaded.url).toBe(`/i/${uploaded.id}`);
      expect(location).toMatch(/^\/files\//);
    });

    it('ignores a forwarded proto other than http or https, and a forwarded host without one', async () => {
      const bad = await uploadAndView(app, {
        'x-forwarded-host': 'img.example.org',
        'x-forwarded-proto': 'javascript',
      });
      expect(bad.uploaded.url).toBe(`/i/${bad.uploaded.id}`);
      const bare = await uploadAndView(app, { 'x-forwarded-host': 'img.example.org' });
      expect(bare.uploaded.url).toBe(`/i/${bare.uploaded.id}`);
    });
  });

  describe('mounted under /img', () => {
    let app: RunningApp;
    let pub: RunningApp;
    beforeAll(async () => {
      const store = createMemoryStore({ secret: SECRET });
      [app, pub] = await Promise.all([
        start({ store }, { mountPath: '/img' }),
        start({ store, publicBaseUrl: PUBLIC }, { mountPath: '/img' }),
      ]);
    });

    it('uploads at /img/upload, links to /img/i/<id>, and redirects to /img/files/… that serve the bytes', async () => {
      const res = await uploadFile(app.baseUrl, PNG, { type: 'image/png' });
      expect(res.status).toBe(201);
      const uploaded = (await res.json()) as UploadedImage;
      expect(uploaded.url).toBe(`/img/i/${uploaded.id}`);
      expect(res.headers.get('location')).toBe(uploaded.url);

      const view = await fetch(new URL(uploaded.url, app.origin), { redirect: 'manual' });
      expect(view.status).toBe(302);
      const location = view.headers.get('location') as string;
      expect(location).toMatch(new RegExp(`^/img/files/${uploaded.id}\\?`));
      const file = await fetch(new URL(location, app.origin));
      expect(file.status).toBe(200);
      expect(file.headers.get('content-type')).toBe('image/png');
      expect(Buffer.from(await file.arrayBuffer()).equals(Buffer.from(PNG))).toBe(true);
    });

    it('puts the mount path after publicBaseUrl', async () => {
      const { uploaded, location } = await uploadAndView(pub, {}, '/img');
      expect(uploaded.url).toBe(`${PUBLIC}/img/i/${uploaded.id}`);
      expect(location).toMatch(new RegExp(`^${PUBLIC.replace(/\./g, '\\.')}/img/files/${uploaded.id}\\?`));
    });

    it('serves the upload page at /img, posting to /img/upload', async () => {
      const res = await fetch(app.baseUrl);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await res.text()).toContain('"uploadUrl":"/img/upload"');
    });

    it('answers 404 JSON to a malformed id under the mount, and leaves the root alone', async () => {
      expectJsonError(await readReply(await fetch(`${app.baseUrl}/i/not-an-id`)), 404, 'NOT_FOUND');
      const root = await fetch(`${app.origin}/upload`, { method: 'POST' });
      expect(root.status).toBe(404);
      await root.body?.cancel();
    });
  });
});
