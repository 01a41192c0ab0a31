import { describe, expect, it } from 'vitest';
import { createMemoryStore, type MemoryStore } from '../../memory/src/index.js';
import { bytesOf } from '../test-helpers/images.js';
import { ImageStoreError } from './errors.js';
import type { LocallyServedStore } from './local.js';
import { SERVE_CSP, serveLocalFile, serveSignedUrl } from './serve.js';
import { FIXTURES } from './testing/fixtures.js';
import type { SignedUrlOptions } from './types.js';

const SECRET = 's'.repeat(32);
const SVG = bytesOf('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');

async function storeWith(): Promise<MemoryStore> {
  const store = createMemoryStore({ secret: SECRET });
  await store.put('photo', FIXTURES.jpeg.bytes, { contentType: 'image/jpeg', filename: 'holiday.jpg' });
  await store.put('plain', FIXTURES.png.bytes, { contentType: 'image/png' });
  await store.put('drawing', SVG, { contentType: 'image/svg+xml', filename: 'drawing.svg' });
  return store;
}

function request(url: string, init: RequestInit = {}): Request {
  return new Request(new URL(url, 'http://localhost'), init);
}

async function fetchSigned(store: LocallyServedStore, key: string, options?: SignedUrlOptions, init?: RequestInit) {
  return serveSignedUrl(store, request(await store.signedUrl(key, options), init));
}

/** Rewrites one query parameter of a signed link. */
function withParam(url: string, name: string, value: string | null): string {
  const parsed = new URL(url, 'http://localhost');
  if (value === null) parsed.searchParams.delete(name);
  else parsed.searchParams.set(name, value);
  return `${parsed.pathname}${parsed.search}`;
}

async function expectJsonError(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  const body = (await response.json()) as { error: { code: string; message: string } };
  expect(body).toEqual({ error: { code, message: expect.any(String) } });
  expect(body.error.message).not.toMatch(/\[imgstash\]|stack|at .*\.ts/);
  return body;
}

describe('serveLocalFile: a valid link', () => {
  it('answers 200 with the exact bytes, the stored type, nosniff, a sandboxing CSP, length and ETag', async () => {
    const store = await storeWith();
    const response = await fetchSigned(store, 'photo', { expiresIn: 600 });
    const stat = await store.stat('photo');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/jpeg');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-security-policy')).toBe(SERVE_CSP);
    expect(SERVE_CSP).toContain('sandbox');
    expect(SERVE_CSP).toContain("default-src 'none'");
    expect(response.headers.get('content-length')).toBe(String(FIXTURES.jpeg.bytes.length));
    expect(response.headers.get('etag')).toBe(stat?.etag);
    expect(response.headers.get('last-modified')).toBe(stat?.lastModified?.toUTCString());
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(FIXTURES.jpeg.bytes);
  });

  it('is private and cacheable no longer than the link lives', async () => {
    const store = await storeWith();
    const response = await fetchSigned(store, 'plain', { expiresIn: 600 });
    const maxAge = Number(response.headers.get('cache-control')?.match(/^private, max-age=(\d+)$/)?.[1]);
    expect(maxAge).toBeGreaterThan(0);
    expect(maxAge).toBeLessThanOrEqual(600);
    await response.body?.cancel();
  });

  it('serves inline by default, with the stored filename', async () => {
    const store = await storeWith();
    const photo = await fetchSigned(store, 'photo');
    expect(photo.headers.get('content-disposition')).toBe('inline; filename="holiday.jpg"');
    const plain = await fetchSigned(store, 'plain');
    expect(plain.headers.get('content-disposition')).toBe('inline');
    await photo.body?.cancel();
    await plain.body?.cancel();
  });

  it('turns the signed disposition and filename into Content-Disposition, with filename* for Unicode', async () => {
    const store = await storeWith();
    const response = await fetchSigned(store, 'photo', { disposition: 'attachment', filename: '北京 café.jpg' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toBe(
      `attachment; filename="__ caf_.jpg"; filename*=UTF-8''%E5%8C%97%E4%BA%AC%20caf%C3%A9.jpg`,
    );
    await response.body?.cancel();
  });

  it('honours a signed filename that was sanitized before signing (long, lone surrogate, path)', async () => {
    const store = await storeWith();
    for (const filename of [`${'a'.repeat(254)} ${'b'.repeat(30)}.jpg`, 'bad\ud800.jpg', '../../x.jpg', '  .x.jpg']) {
      const response = await fetchSigned(store, 'photo', { filename });
      expect(response.status, JSON.stringify(filename)).toBe(200);
      expect(response.headers.get('content-disposition')).toMatch(/^inline; filename="/);
      await response.body?.cancel();
    }
  });

  it('always serves a stored SVG as an attachment, whatever the link asks', async () => {
    const store = await storeWith();
    for (const options of [undefined, { disposition: 'inline' as const }, { disposition: 'attachment' as const }]) {
      const response = await fetchSigned(store, 'drawing', options);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('image/svg+xml');
      expect(response.headers.get('content-disposition')).toBe('attachment; filename="drawing.svg"');
      expect(response.headers.get('content-security-policy')).toContain('sandbox');
      await response.body?.cancel();
    }
  });

  it('answers HEAD with the headers and no body', async () => {
    const store = await storeWith();
    const response = await fetchSigned(store, 'photo', undefined, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.body).toBeNull();
    expect(response.headers.get('content-length')).toBe(String(FIXTURES.jpeg.bytes.length));
    expect(response.headers.get('content-type')).toBe('image/jpeg');
    expect(response.headers.get('etag')).toBe((await store.stat('photo'))?.etag);
  });

  it('serves links under a configured base path', async () => {
    const store = createMemoryStore({ secret: SECRET, basePath: '/media/files/' });
    await store.put('k', FIXTURES.gif.bytes, { contentType: 'image/gif' });
    const url = await store.signedUrl('k');
    expect(url.startsWith('/media/files/k?')).toBe(true);
    const response = await serveSignedUrl(store, request(url));
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(FIXTURES.gif.bytes);
  });
});

describe('serveLocalFile: conditional requests', () => {
  it('answers 304 with no body when If-None-Match carries the ETag', async () => {
    const store = await storeWith();
    const etag = (await store.stat('photo'))?.etag as string;
    for (const header of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const response = await fetchSigned(store, 'photo', undefined, { headers: { 'if-none-match': header } });
      expect(response.status, header).toBe(304);
      expect(response.body).toBeNull();
      expect(response.headers.get('etag')).toBe(etag);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('answers 200 when If-None-Match carries another ETag', async () => {
    const store = await storeWith();
    const response = await fetchSigned(store, 'photo', undefined, { headers: { 'if-none-match': '"stale"' } });
    expect(response.status).toBe(200);
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(FIXTURES.jpeg.bytes);
  });
});

describe('serveLocalFile: refused links answer 403 JSON', () => {
  const cases: [string, (url: string) => string | Promise<string>][] = [
    ['a forged signature', (url) => withParam(url, 'sig', `${'A'.repeat(42)}A`)],
    [
      'a signature with one character changed',
      (url) => {
        const sig = new URL(url, 'http://x').searchParams.get('sig') as string;
        return withParam(url, 'sig', `${sig.slice(0, 10)}${sig[10] === 'a' ? 'b' : 'a'}${sig.slice(11)}`);
      },
    ],
    ['a missing signature', (url) => withParam(url, 'sig', null)],
    ['an empty signature', (url) => withParam(url, 'sig', '')],
    ['a missing expiry', (url) => withParam(url, 'expires', null)],
    ['a non-numeric expiry', (url) => withParam(url, 'expires', 'tomorrow')],
    ['an expiry in exponent form', (url) => withParam(url, 'expires', '1e12')],
    ['a negative expiry', (url) => withParam(url, 'expires', '-1')],
    ['an expiry pushed later', (url) => withParam(url, 'expires', String(Math.floor(Date.now() / 1000) + 99_999))],
    ['a tampered filename', (url) => withParam(url, 'filename', 'other.jpg')],
    ['an added filename', (url) => withParam(url, 'filename', 'evil.html')],
    ['an unsanitized filename', (url) => withParam(url, 'filename', '../a.jpg')],
    ['a tampered disposition', (url) => withParam(url, 'disposition', 'attachment')],
    ['an unknown disposition', (url) => withParam(url, 'disposition', 'evil')],
    ['the signature moved to another key', (url) => url.replace('/files/photo?', '/files/plain?')],
  ];

  it.each(cases)('refuses %s', async (_what, tamper) => {
    const store = await storeWith();
    const url = await store.signedUrl('photo', { expiresIn: 600, disposition: 'inline', filename: 'a.jpg' });
    const body = await expectJsonError(await serveSignedUrl(store, request(await tamper(url))), 403, 'FORBIDDEN');
    expect(body.error.message).toBe('The link is invalid or has expired.');
  });

  it('refuses an expired link', async () => {
    const store = await storeWith();
    const url = await store.signedUrl('photo', { expiresIn: 60, signedAt: Date.now() - 120_000 });
    await expectJsonError(await serveSignedUrl(store, request(url)), 403, 'FORBIDDEN');
  });

  it('refuses a link signed with another secret', async () => {
    const store = await storeWith();
    const other = createMemoryStore({ secret: 'o'.repeat(32) });
    const url = await other.signedUrl('photo');
    await expectJsonError(await serveSignedUrl(store, request(url)), 403, 'FORBIDDEN');
  });

  it('refuses invalid keys without touching the store', async () => {
    const store = await storeWith();
    let reads = 0;
    const counted: LocallyServedStore = {
      ...store,
      localUrls: store.localUrls,
      get: (key) => {
        reads++;
        return store.get(key);
      },
      stat: (key) => {
        reads++;
        return store.stat(key);
      },
    };
    for (const key of ['../photo', '.photo', 'a/b', '', 'x'.repeat(129)]) {
      await expectJsonError(await serveLocalFile(counted, request('/files/x?expires=1&sig=x'), key), 403, 'FORBIDDEN');
    }
    for (const path of ['/files/%2e%2e', '/files/..%2Fphoto', '/files/%E0%A4%A', '/elsewhere/photo', '/files']) {
      await expectJsonError(await serveSignedUrl(counted, request(`${path}?expires=1&sig=x`)), 403, 'FORBIDDEN');
    }
    expect(reads).toBe(0);
  });
});

describe('serveLocalFile: other failures', () => {
  it('answers 404 JSON for a missing object behind a valid signature', async () => {
    const store = await storeWith();
    await expectJsonError(await fetchSigned(store, 'missing'), 404, 'NOT_FOUND');
    await expectJsonError(await fetchSigned(store, 'missing', undefined, { method: 'HEAD' }), 404, 'NOT_FOUND');
  });

  it.each(['POST', 'PUT', 'DELETE', 'PATCH'])('answers %s with 405 JSON and an Allow header', async (method) => {
    const store = await storeWith();
    const response = await fetchSigned(store, 'photo', undefined, { method, body: method === 'DELETE' ? null : 'x' });
    await expectJsonError(response, 405, 'METHOD_NOT_ALLOWED');
    expect(response.headers.get('allow')).toBe('GET, HEAD');
    expect(await store.exists('photo')).toBe(true);
  });

  it('answers 502 JSON without internals when the store fails with a foreign error', async () => {
    const store = await storeWith();
    const failing: LocallyServedStore = {
      ...store,
      localUrls: store.localUrls,
      get: async () => {
        throw new Error('connect ECONNREFUSED 10.0.0.5:9000 (bucket prod-images)');
      },
    };
    const response = await fetchSigned(failing, 'photo');
    const text = await response.clone().text();
    await expectJsonError(response, 502, 'STORAGE_ERROR');
    expect(text).not.toContain('10.0.0.5');
    expect(text).not.toContain('prod-images');
    expect(text).not.toContain('ECONNREFUSED');
  });

  it('answers with the code of an ImageStoreError the store throws, and its public message only', async () => {
    const store = await storeWith();
    const failing: LocallyServedStore = {
      ...store,
      localUrls: store.localUrls,
      stat: async () => {
        throw new ImageStoreError('STORAGE_UNAVAILABLE', '[imgstash] [fs] EMFILE /srv/data', { cause: new Error('x') });
      },
    };
    const response = await fetchSigned(failing, 'photo', undefined, { method: 'HEAD' });
    const body = await expectJsonError(response, 503, 'STORAGE_UNAVAILABLE');
    expect(body.error.message).not.toContain('/srv/data');
  });
});
