// GET /sharex.sxcu through a real listener of every framework, on the fs and S3 (s3rver)
// stores: the config is ShareX's own `CustomUploaderItem` shape, and a request built from it
// the way ShareX builds one (multipart/form-data with the file in `FileFormName`, the config's
// `Headers`, POST to `RequestURL`) uploads, and its `{json:…}` paths resolve on the answers.
import type { ImageHandlerOptions, ImageStore, ShareXConfig } from '@imgstash/core';
import { FIXTURES } from '@imgstash/core/testing';
import { createS3Store } from '@imgstash/s3';
import { createSharpTransformer } from '@imgstash/sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestStore, expectJsonError, readReply, type TestStore } from './contract-kit.js';
import { multipartBody } from './multipart-body.js';
import { startS3rver, type TestServer } from './s3rver.js';
import { FRAMEWORKS, type RunningApp, startApp } from './servers.js';

const KEY = 'sharex-key-0123456789abcdefghij';

let s3: TestServer;
let prefixes = 0;
beforeAll(async () => {
  s3 = await startS3rver();
});
afterAll(() => s3?.close());

/** The headers a proxy in front of `app` would set: links then point at the listener itself. */
const proxied = (app: RunningApp) => ({ 'x-forwarded-host': new URL(app.origin).host, 'x-forwarded-proto': 'http' });

/**
 * Resolves ShareX's `{json:a.b}` syntax on a response body, as its parser does for the plain
 * dotted paths the config uses (anything else is a test failure).
 */
function resolve(template: string, body: unknown): string {
  return template.replace(/\{json:([^{}]+)\}/g, (_, path: string) => {
    let value: unknown = body;
    for (const part of path.split('.')) value = (value as Record<string, unknown> | undefined)?.[part];
    if (typeof value !== 'string') throw new Error(`{json:${path}} does not resolve to a string`);
    return value;
  });
}

/**
 * Uploads `bytes` as ShareX does with `config`: its RequestURL, Headers and FileFormName.
 * The X-Forwarded-* headers are what the proxy in front of the app adds to every request.
 */
async function shareXUpload(config: ShareXConfig, bytes: Uint8Array, filename: string, type: string) {
  const { body, contentType } = multipartBody([
    { name: config.FileFormName, filename, contentType: type, body: bytes },
  ]);
  const { host } = new URL(config.RequestURL);
  const res = await fetch(config.RequestURL, {
    method: config.RequestMethod,
    headers: { ...config.Headers, 'content-type': contentType, 'x-forwarded-host': host, 'x-forwarded-proto': 'http' },
    body: new Uint8Array(body),
  });
  return readReply(res);
}

describe.each(FRAMEWORKS)('%s', (framework) => {
  describe.each(['fs', 's3'] as const)('on the %s store', (kind) => {
    const apps: RunningApp[] = [];
    const locals: TestStore[] = [];
    let store: ImageStore;
    async function start(options: Partial<ImageHandlerOptions> = {}) {
      if (kind === 's3')
        store = createS3Store({ ...s3.connection(), bucket: s3.bucket, prefix: `sharex${++prefixes}/` });
      else {
        const local = await createTestStore('fs');
        locals.push(local);
        store = local.store;
      }
      const app = await startApp(framework, { store, trustProxy: true, ...options });
      apps.push(app);
      return app;
    }
    afterAll(async () => {
      await Promise.all(apps.map((a) => a.close()));
      await Promise.all(locals.map((s) => s.dispose()));
    });

    it('serves a config with the fields ShareX reads, as an attachment', async () => {
      const app = await start();
      const res = await fetch(`${app.baseUrl}/sharex.sxcu`, { headers: proxied(app) });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('no-store');
      const host = new URL(app.origin).host;
      expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${host.replace(':', '-')}.sxcu"`);
      const config = JSON.parse(await res.text()) as ShareXConfig;
      expect(config).toEqual({
        Version: '15.0.0',
        Name: host,
        DestinationType: 'ImageUploader',
        RequestMethod: 'POST',
        RequestURL: `${app.origin}/upload`,
        Body: 'MultipartFormData',
        FileFormName: 'file',
        URL: '{json:url}',
        ThumbnailURL: '{json:url}',
        DeletionURL: '{json:deleteUrl}',
        ErrorMessage: '{json:error.message}',
      });
      // ShareX migrates configs of 13.7.1 and older from its old syntax: this one is newer.
      const [major = 0, minor = 0] = config.Version.split('.').map(Number);
      expect(major * 100 + minor).toBeGreaterThan(13 * 100 + 7);
    });

    it('uploads with a request built from it, and its {json:…} paths resolve on the answers', async () => {
      const app = await start();
      const config = (await (
        await fetch(`${app.baseUrl}/sharex.sxcu`, { headers: proxied(app) })
      ).json()) as ShareXConfig;
      const ok = await shareXUpload(config, FIXTURES.png.bytes, 'Screenshot 2026-12-01.png', 'image/png');
      expect(ok.status, ok.text()).toBe(201);
      const body = ok.json<Record<string, unknown>>();
      const url = resolve(config.URL, body);
      expect(url).toBe(`${app.origin}/i/${body.id}`);
      expect(resolve(config.ThumbnailURL, body)).toBe(url);
      const deletion = resolve(config.DeletionURL, body);
      expect(deletion).toBe(`${app.origin}/d/${body.id}#${body.deleteToken}`);
      // The links ShareX copies work: the image redirects, the deletion URL opens its page.
      expect((await fetch(url, { redirect: 'manual' })).status).toBe(302);
      expect((await fetch(deletion)).status).toBe(200);
      expect(await store.exists(body.id as string)).toBe(true);

      const refused = await shareXUpload(config, new TextEncoder().encode('<html>'), 'page.png', 'image/png');
      expect(refused.status).toBe(415);
      expect(resolve(config.ErrorMessage, refused.json())).toMatch(/not .*image/i);
    });

    it('with apiKeys, answers a plain GET 401 and a wrong key 403, and embeds the valid key it was asked with', async () => {
      const app = await start({ apiKeys: [KEY, 'another-key-of-sixteen-plus'] });
      const plain = await readReply(await fetch(`${app.baseUrl}/sharex.sxcu`, { headers: proxied(app) }));
      expectJsonError(plain, 401, 'UNAUTHORIZED');
      expect(plain.headers.get('www-authenticate')).toBe('Bearer realm="imgstash"');
      expect(plain.text()).not.toContain(KEY);
      const wrong = await readReply(
        await fetch(`${app.baseUrl}/sharex.sxcu`, {
          headers: { ...proxied(app), authorization: 'Bearer not-a-key-but-long' },
        }),
      );
      expectJsonError(wrong, 403, 'FORBIDDEN', [KEY]);

      const res = await fetch(`${app.baseUrl}/sharex.sxcu`, {
        headers: { ...proxied(app), authorization: `Bearer ${KEY}` },
      });
      expect(res.status).toBe(200);
      const config = (await res.json()) as ShareXConfig;
      expect(config.Headers).toEqual({ Authorization: `Bearer ${KEY}` });
      const ok = await shareXUpload(config, FIXTURES.jpeg.bytes, 'photo.jpg', 'image/jpeg');
      expect(ok.status, ok.text()).toBe(201);
      // Without the config's headers, the same request is refused.
      const { Headers: _headers, ...bare } = config;
      expect((await shareXUpload(bare, FIXTURES.jpeg.bytes, 'photo.jpg', 'image/jpeg')).status).toBe(401);
    });
  });

  describe('without a public base URL', () => {
    let local: TestStore;
    const apps: RunningApp[] = [];
    beforeAll(async () => {
      local = await createTestStore('memory');
    });
    afterAll(async () => {
      await Promise.all(apps.map((a) => a.close()));
      await local.dispose();
    });

    it('answers 404 and says what to set, instead of a config with a relative RequestURL', async () => {
      const app = await startApp(framework, { store: local.store });
      apps.push(app);
      const reply = await readReply(await fetch(`${app.baseUrl}/sharex.sxcu`, { headers: proxied(app) }));
      expectJsonError(reply, 404, 'NOT_FOUND');
      expect(reply.text()).toContain('publicBaseUrl');
    });

    it('points ThumbnailURL at the thumb variant when a thumb preset is configured', async () => {
      const app = await startApp(framework, {
        store: local.store,
        publicBaseUrl: 'https://img.example.com',
        transformer: createSharpTransformer(),
        variants: { thumb: { width: 320, height: 320, fit: 'inside', format: 'webp' } },
      });
      apps.push(app);
      const config = (await (await fetch(`${app.baseUrl}/sharex.sxcu`)).json()) as ShareXConfig;
      expect(config.ThumbnailURL).toBe('{json:variants.thumb}');
      expect(resolve(config.ThumbnailURL, { variants: { thumb: 'https://img.example.com/i/x/thumb' } })).toBe(
        'https://img.example.com/i/x/thumb',
      );
    });

    it('names the config after the title, uses fieldName, and is gone with paths.sharex = false', async () => {
      const app = await startApp(framework, {
        store: local.store,
        publicBaseUrl: 'https://img.example.com/base',
        title: 'My images',
        fieldName: 'image',
      });
      const off = await startApp(framework, {
        store: local.store,
        publicBaseUrl: 'https://x.example',
        paths: { sharex: false },
      });
      apps.push(app, off);
      const config = (await (await fetch(`${app.baseUrl}/sharex.sxcu`)).json()) as ShareXConfig;
      expect(config).toMatchObject({
        Name: 'My images',
        RequestURL: 'https://img.example.com/base/upload',
        FileFormName: 'image',
      });
      expect((await fetch(`${off.baseUrl}/sharex.sxcu`)).status).toBe(404);
    });
  });
});
