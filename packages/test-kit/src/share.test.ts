// The share page /p/:id through a real listener of every framework, on the memory, fs and S3
// (s3rver) stores: its OpenGraph and Twitter tags parse, point at the stable link with the
// stored dimensions, nothing on it is presigned, and no filename can break out of it.
import type { ImageHandlerOptions, ImageStore, UploadedImage } from '@imgstash/core';
import { FIXTURES } from '@imgstash/core/testing';
import { createS3Store } from '@imgstash/s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestStore, expectJsonError, readReply, type TestStore, uploadFile } from './contract-kit.js';
import { startS3rver, type TestServer } from './s3rver.js';
import { FRAMEWORKS, type RunningApp, startApp } from './servers.js';

const PUBLIC = 'https://img.example.com';
const PNG = FIXTURES.png.bytes;
const KINDS = ['memory', 'fs', 's3'] as const;
// What a presigned or locally signed URL carries.
const SIGNED = /X-Amz-Signature|X-Amz-Credential|[?&]sig=|[?&]expires=/i;

let s3: TestServer;
let prefixes = 0;
beforeAll(async () => {
  s3 = await startS3rver();
});
afterAll(() => s3?.close());

const ENTITY: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const decode = (s: string) =>
  s.replace(/&(#\d+|amp|lt|gt|quot|apos);/g, (_, e: string) =>
    e.startsWith('#') ? String.fromCharCode(Number(e.slice(1))) : (ENTITY[e] as string),
  );

/**
 * The page's `<meta property|name=… content=…>` tags, parsed strictly: every `<meta` of the
 * document must be one of the three shapes the page writes, or the parse fails.
 */
function metaTags(html: string): Map<string, string> {
  const tags = new Map<string, string>();
  const all = html.match(/<meta\b[^>]*>/g) ?? [];
  for (const tag of all) {
    if (/^<meta charset="utf-8">$/.test(tag) || /^<meta name="viewport" content="[^"]*">$/.test(tag)) continue;
    const m = /^<meta (property|name)="([a-z:_]+)" content="([^"<>]*)">$/.exec(tag);
    if (!m) throw new Error(`unexpected meta tag: ${tag}`);
    tags.set(m[2] as string, decode(m[3] as string));
  }
  return tags;
}

const title = (html: string) => decode(/<title>([^<]*)<\/title>/.exec(html)?.[1] ?? '');

describe.each(FRAMEWORKS)('%s', (framework) => {
  describe.each(KINDS)('on the %s store', (kind) => {
    const apps: RunningApp[] = [];
    const locals: TestStore[] = [];
    let store: ImageStore;
    async function start(options: Partial<ImageHandlerOptions> = {}) {
      if (kind === 's3') {
        store = createS3Store({ ...s3.connection(), bucket: s3.bucket, prefix: `share${++prefixes}/` });
      } else {
        const local = await createTestStore(kind);
        locals.push(local);
        store = local.store;
      }
      const app = await startApp(framework, { store, publicBaseUrl: PUBLIC, ...options });
      apps.push(app);
      return app;
    }
    afterAll(async () => {
      await Promise.all(apps.map((a) => a.close()));
      await Promise.all(locals.map((s) => s.dispose()));
    });

    async function upload(app: RunningApp, filename: string): Promise<UploadedImage> {
      const reply = await readReply(await uploadFile(app.baseUrl, PNG, { filename, type: 'image/png' }));
      expect(reply.status, reply.text()).toBe(201);
      return reply.json<UploadedImage>();
    }

    it('is the pageUrl of an upload, and its cards point at the stable link, nothing presigned', async () => {
      const app = await start();
      const image = await upload(app, 'holiday 🏖.png');
      expect(image.pageUrl).toBe(`${PUBLIC}/p/${image.id}`);
      const res = await fetch(`${app.baseUrl}/p/${image.id}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const html = await res.text();
      const tags = metaTags(html);
      const stable = `${PUBLIC}/i/${image.id}`;
      expect(Object.fromEntries(tags)).toEqual({
        'og:type': 'website',
        'og:title': 'holiday 🏖.png',
        'og:url': image.pageUrl,
        'og:image': stable,
        'og:image:type': 'image/png',
        // The upload pipeline read the fixture's 48 × 32 from its header and stored it.
        'og:image:width': '48',
        'og:image:height': '32',
        'og:image:alt': 'holiday 🏖.png',
        'twitter:card': 'summary_large_image',
        'twitter:title': 'holiday 🏖.png',
        'twitter:image': stable,
      });
      expect(title(html)).toBe('holiday 🏖.png');
      expect(html).toContain(`<img src="${stable}"`);
      expect(html).not.toMatch(SIGNED);
      expect(html).not.toContain(s3.endpoint);
      // The stable link the cards name works.
      const view = await fetch(`${app.baseUrl}/i/${image.id}`, { redirect: 'manual' });
      expect(view.status).toBe(302);
    });

    it('gives og:image:width and og:image:height from the stored dimensions', async () => {
      const app = await start();
      expect(await upload(app, 'a.png')).toMatchObject({ width: 48, height: 32 });
      // What the upload pipeline stores: the displayed size as metadata.
      const id = 'Dims_0123456789abcdef';
      await store.put(id, PNG, {
        contentType: 'image/png',
        filename: 'wide.png',
        metadata: { width: '1200', height: '630' },
      });
      const tags = metaTags(await (await fetch(`${app.baseUrl}/p/${id}`)).text());
      expect(tags.get('og:image:width')).toBe('1200');
      expect(tags.get('og:image:height')).toBe('630');
      expect(tags.get('og:image')).toBe(`${PUBLIC}/i/${id}`);
      // Without them (an object stored by other means), no dimension tags rather than wrong ones.
      const bare = 'Bare_0123456789abcdef';
      await store.put(bare, PNG, { contentType: 'image/png', filename: 'bare.png' });
      const plain = metaTags(await (await fetch(`${app.baseUrl}/p/${bare}`)).text());
      expect(plain.has('og:image:width')).toBe(false);
      expect(plain.has('og:image:height')).toBe(false);
    });

    it.each([
      '</title><script>alert(1)</script>.png',
      '"><img src=x onerror=alert(1)>.png',
      "' onload='alert(1).png",
      '<meta property="og:image" content="https://evil.example/x.png">.png',
    ])('keeps the filename %j inside its text: no tag, attribute or card escapes', async (filename) => {
      const app = await start();
      const image = await upload(app, filename);
      const res = await fetch(`${app.baseUrl}/p/${image.id}`);
      const html = await res.text();
      const tags = metaTags(html);
      expect(tags.get('og:title')).toBe(image.filename);
      expect(tags.get('og:image')).toBe(`${PUBLIC}/i/${image.id}`);
      expect(title(html)).toBe(image.filename);
      expect(html).not.toContain('<script');
      // Every tag is well formed, with double-quoted values and no event-handler attribute.
      for (const tag of html.match(/<[a-z][^>]*>/g) ?? []) {
        expect(tag).toMatch(/^<[a-z0-9]+(\s+[a-z:-]+(="[^"<>]*")?)*>$/);
        const names = [...tag.matchAll(/\s([a-z:-]+)(?:="[^"]*")?/g)].map((m) => m[1]);
        expect(names.filter((name) => name?.startsWith('on'))).toEqual([]);
      }
      expect(html).not.toContain('evil.example/x.png"');
      // Even if markup got through, the CSP runs no script without the nonce.
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toMatch(/^default-src 'none'; script-src 'nonce-[^']+';/);
      expect(csp).toContain("base-uri 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
    });

    it('answers 404 for a missing or malformed id, and HEAD like GET', async () => {
      const app = await start();
      const image = await upload(app, 'a.png');
      expectJsonError(await readReply(await fetch(`${app.baseUrl}/p/${'x'.repeat(21)}`)), 404, 'NOT_FOUND');
      expectJsonError(await readReply(await fetch(`${app.baseUrl}/p/nope`)), 404, 'NOT_FOUND');
      const head = await fetch(`${app.baseUrl}/p/${image.id}`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(await head.text()).toBe('');
      // Deleted: its page goes too.
      await fetch(`${app.baseUrl}/i/${image.id}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${image.deleteToken}` },
      });
      expect((await fetch(`${app.baseUrl}/p/${image.id}`)).status).toBe(404);
    });
  });

  describe('without publicBaseUrl', () => {
    const apps: RunningApp[] = [];
    let local: TestStore;
    beforeAll(async () => {
      local = await createTestStore('memory');
    });
    afterAll(async () => {
      await Promise.all(apps.map((a) => a.close()));
      await local.dispose();
    });

    it('shows the image but says why it has no cards, instead of emitting relative ones', async () => {
      const app = await startApp(framework, { store: local.store });
      apps.push(app);
      const reply = await readReply(await uploadFile(app.baseUrl, PNG, { filename: 'a.png' }));
      const image = reply.json<UploadedImage>();
      expect(image.pageUrl).toBe(`/p/${image.id}`);
      const html = await (await fetch(`${app.baseUrl}${image.pageUrl}`)).text();
      expect(metaTags(html).size).toBe(0);
      expect(html).toContain('data-note="no-public-base-url"');
      expect(html).toContain('publicBaseUrl');
      expect(html).toContain(`<img src="/i/${image.id}"`);
    });

    it('builds cards from X-Forwarded-* with trustProxy, and ignores a forged Host', async () => {
      const app = await startApp(framework, { store: local.store, trustProxy: true });
      apps.push(app);
      const reply = await readReply(await uploadFile(app.baseUrl, PNG, { filename: 'a.png' }));
      const { id } = reply.json<UploadedImage>();
      const proxied = await fetch(`${app.baseUrl}/p/${id}`, {
        headers: { 'x-forwarded-host': 'img.example.org', 'x-forwarded-proto': 'https' },
      });
      expect(metaTags(await proxied.text()).get('og:image')).toBe(`https://img.example.org/i/${id}`);
      const bare = await (await fetch(`${app.baseUrl}/p/${id}`)).text();
      expect(metaTags(bare).size).toBe(0);
    });

    it('is gone with paths.share = false, and pageUrl is then the stable link', async () => {
      const app = await startApp(framework, { store: local.store, paths: { share: false } });
      apps.push(app);
      const image = (await readReply(await uploadFile(app.baseUrl, PNG))).json<UploadedImage>();
      expect(image.pageUrl).toBe(image.url);
      expect((await fetch(`${app.baseUrl}/p/${image.id}`)).status).toBe(404);
    });
  });
});
