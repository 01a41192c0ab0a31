// Hostile input, through a real listener of every framework: malformed multipart, sizes
// that lie, content that is not an image, names and ids built to escape, and forged links.
// Every refusal is a JSON error with the right status, nothing is stored (memory store
// emptied, fs root without a leftover file, `.tmp` included), and the same app keeps
// serving a valid upload afterwards. (Links poisoned through Host and X-Forwarded-* are
// links.test.ts's.)
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { ErrorBody, LocallyServedStore, UploadedImage } from '@imgstash/core';
import { FIXTURES } from '@imgstash/core/testing';
import { createS3Store } from '@imgstash/s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestStore, STORE_KINDS, type StoreKind } from './contract-kit.js';
import { noiseImage, pngChunk, withChunkBeforeIend } from './images.js';
import { fileUpload, type MultipartBody, multipartBody, type Part, randomBoundary } from './multipart-body.js';
import { chunked, type RawResponse, rawRequest, requestHead } from './raw-http.js';
import { startS3rver, type TestServer } from './s3rver.js';
import { FRAMEWORKS, type Framework, type RunningApp, startApp } from './servers.js';
import { type StoreProbe, waitFor } from './store-probe.js';

const KiB = 1024;
const MAX_BYTES = 256 * KiB;
const PNG = FIXTURES.png.bytes;
const JPEG = FIXTURES.jpeg.bytes;

interface Target {
  app: RunningApp;
  probe: StoreProbe<LocallyServedStore>;
  /** What the store holds: object descriptions, or files under the fs root. */
  leftovers(): Promise<string[]>;
  close(): Promise<void>;
}

async function startTarget(framework: Framework, kind: StoreKind): Promise<Target> {
  const testStore = await createTestStore(kind);
  const app = await startApp(framework, { store: testStore.store, maxBytes: MAX_BYTES });
  return {
    app,
    probe: testStore.probe,
    async leftovers() {
      return (await testStore.contents()).filter((entry) => entry !== '0 object(s)');
    },
    async close() {
      await app.close();
      await testStore.dispose();
    },
  };
}

/** POSTs `body` to /upload as raw bytes, with an exact Content-Length. */
function post(app: RunningApp, body: Uint8Array | string, contentType?: string, headers: Record<string, string> = {}) {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const head = requestHead('POST', '/upload', {
    ...(contentType === undefined ? {} : { 'Content-Type': contentType }),
    'Content-Length': bytes.length,
    ...headers,
  });
  return rawRequest(app.port, [head, bytes]);
}

function postForm(app: RunningApp, form: MultipartBody, headers: Record<string, string> = {}) {
  return post(app, form.body, form.contentType, headers);
}

function expectJsonError(res: RawResponse, status: number, code: string) {
  expect(res.status, res.text()).toBe(status);
  expect(res.header('content-type')).toBe('application/json; charset=utf-8');
  expect(res.header('x-content-type-options')).toBe('nosniff');
  const body = res.json<ErrorBody>();
  expect(body.error.code).toBe(code);
  expect(body.error.message).toEqual(expect.any(String));
  // Internals never reach the client.
  expect(res.text()).not.toMatch(/\bat .+:\d+|node_modules|\/tmp\/|imgstash-hostile/);
}

/** Nothing is stored, and a valid upload on the same app still works (then is removed). */
async function expectNothingStoredAndStillServing(target: Target) {
  // Node may answer before the app is done with the request: let every put settle, and an
  // aborted write clean up its temp file (bounded: a file that stays fails the test).
  await waitFor(() => target.probe.puts.every((p) => p.state !== 'pending'), 'every put to settle');
  await waitFor(async () => (await target.leftovers()).length === 0, 'the store to hold nothing', 5000).catch(() => {});
  expect(await target.leftovers()).toEqual([]);
  const form = new FormData();
  form.append('file', new Blob([PNG as Uint8Array<ArrayBuffer>], { type: 'image/png' }), 'ok.png');
  const res = await fetch(`${target.app.baseUrl}/upload`, { method: 'POST', body: form });
  expect(res.status).toBe(201);
  const uploaded = (await res.json()) as UploadedImage;
  const view = await fetch(`${target.app.baseUrl}/i/${uploaded.id}`, { redirect: 'manual' });
  expect(view.status).toBe(302);
  await target.probe.store.delete(uploaded.id);
  target.app.handlers.invalidate(uploaded.id);
  expect(await target.leftovers()).toEqual([]);
  target.probe.reset();
}

/** A valid body whose closing delimiter is cut after `keep` of its characters. */
function truncatedClose(keep: number): MultipartBody {
  const form = fileUpload(PNG);
  const close = `--${form.boundary}--\r\n`;
  return { ...form, body: form.body.subarray(0, form.body.length - close.length + keep) };
}

const filePart = (extra: Partial<Part> = {}): Part => ({
  name: 'file',
  filename: 'image.png',
  contentType: 'image/png',
  body: PNG,
  ...extra,
});

interface RefusalCase {
  what: string;
  status: number;
  code: string;
  send(app: RunningApp): Promise<RawResponse>;
}

const form = (parts: Part[]) => (app: RunningApp) => postForm(app, multipartBody(parts));

const MALFORMED: RefusalCase[] = [
  {
    what: 'a body cut inside its closing boundary',
    status: 400,
    code: 'INVALID_INPUT',
    send: (app) => postForm(app, truncatedClose(10)),
  },
  {
    what: 'a body whose closing boundary lacks its final "--"',
    status: 400,
    code: 'INVALID_INPUT',
    send: (app) => postForm(app, truncatedClose(-4)),
  },
  {
    what: 'a file part with an empty filename',
    status: 400,
    code: 'INVALID_INPUT',
    send: form([filePart({ filename: '' })]),
  },
  {
    what: 'a file part with an empty field name',
    status: 400,
    code: 'INVALID_INPUT',
    send: form([filePart({ name: '' })]),
  },
  {
    what: 'a field with an empty name before the file',
    status: 400,
    code: 'INVALID_INPUT',
    send: form([{ name: '', body: 'x' }, filePart()]),
  },
  {
    what: 'a part header line starting with a space',
    status: 400,
    code: 'INVALID_INPUT',
    send: form([filePart({ headers: [' X-Folded: evil'] })]),
  },
  {
    what: 'a part header line starting with a tab',
    status: 400,
    code: 'INVALID_INPUT',
    send: form([filePart({ headers: ['\tname="other"'] })]),
  },
  {
    what: 'a part without Content-Disposition',
    status: 400,
    code: 'INVALID_INPUT',
    send: form([filePart({ disposition: null })]),
  },
  {
    what: 'a file part with a non-form-data disposition',
    status: 400,
    code: 'INVALID_INPUT',
    send: form([filePart({ disposition: 'attachment; name="file"; filename="a.png"' })]),
  },
  {
    what: 'a part header over 16 KiB',
    status: 400,
    code: 'INVALID_INPUT',
    send: form([filePart({ headers: [`X-Padding: ${'a'.repeat(17 * KiB)}`] })]),
  },
  {
    what: '5000 tiny fields before the file',
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    send: form([...Array.from({ length: 5000 }, (_, i) => ({ name: `f${i}`, body: 'x' })), filePart()]),
  },
  {
    what: '2000 file parts',
    status: 400,
    code: 'INVALID_INPUT',
    send: form(Array.from({ length: 2000 }, () => filePart({ body: new Uint8Array(0) }))),
  },
  {
    what: 'a multipart Content-Type without a boundary',
    status: 400,
    code: 'INVALID_INPUT',
    send: (app) => post(app, fileUpload(PNG).body, 'multipart/form-data'),
  },
  {
    what: 'a multipart Content-Type with an empty boundary',
    status: 400,
    code: 'INVALID_INPUT',
    send: (app) => post(app, fileUpload(PNG).body, 'multipart/form-data; boundary='),
  },
  {
    what: 'a boundary that does not match the body',
    status: 400,
    code: 'INVALID_INPUT',
    send: (app) => post(app, fileUpload(PNG).body, `multipart/form-data; boundary=${randomBoundary()}`),
  },
  {
    what: 'a JSON body',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    send: (app) => post(app, JSON.stringify({ file: 'iVBORw0KGgo=' }), 'application/json'),
  },
  {
    what: 'a urlencoded body',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    send: (app) => post(app, 'file=%89PNG', 'application/x-www-form-urlencoded'),
  },
  {
    what: 'raw image bytes sent as image/png',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    send: (app) => post(app, PNG, 'image/png'),
  },
  {
    what: 'a body without Content-Type',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    send: (app) => post(app, fileUpload(PNG).body),
  },
];

const HTML = '<!doctype html><html><body><script>alert(document.cookie)</script></body></html>';
const SVG =
  '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>';
const pngWithTrailer = Buffer.concat([PNG, Buffer.from('<html><script>alert(1)</script></html>')]);
const pngWithScriptText = withChunkBeforeIend(
  PNG,
  pngChunk('tEXt', Buffer.from('Comment\0<script>alert(1)</script>', 'latin1')),
);
const pngWithHandlerText = withChunkBeforeIend(
  PNG,
  pngChunk('tEXt', Buffer.from('Comment\0<img src=x onerror=alert(document.domain)>', 'latin1')),
);
const asPng = (body: Uint8Array | string) => form([filePart({ body })]);

const CONTENT: RefusalCase[] = [
  { what: 'an HTML page declared as image/png', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', send: asPng(HTML) },
  {
    what: 'a bare <script> declared as image/png',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    send: asPng('<script>alert(1)</script>'),
  },
  { what: 'an SVG with script declared as image/png', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', send: asPng(SVG) },
  {
    what: 'a valid PNG with <html><script> appended after IEND',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    send: asPng(pngWithTrailer),
  },
  {
    what: 'a valid PNG with <script> in a tEXt chunk',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    send: asPng(pngWithScriptText),
  },
  {
    what: 'a valid PNG with <img onerror=…> in a tEXt chunk',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    send: asPng(pngWithHandlerText),
  },
  {
    what: 'a real JPEG cut in half',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    send: asPng(JPEG.subarray(0, JPEG.length >> 1)),
  },
  {
    what: 'a real PNG cut in half',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    send: asPng(PNG.subarray(0, PNG.length >> 1)),
  },
  { what: 'a zero-byte file', status: 400, code: 'INVALID_INPUT', send: asPng(new Uint8Array(0)) },
  {
    what: 'a second file part',
    status: 400,
    code: 'INVALID_INPUT',
    send: form([filePart(), filePart({ filename: 'second.png' })]),
  },
  {
    what: 'a file under another field name',
    status: 400,
    code: 'INVALID_INPUT',
    send: form([filePart({ name: 'image' })]),
  },
];

let bigPng: Uint8Array;

const SIZES: RefusalCase[] = [
  {
    what: 'a file over maxBytes with a correct Content-Length',
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    send: (app) => postForm(app, fileUpload(bigPng)),
  },
  {
    what: 'a file over maxBytes whose total still passes the early Content-Length check',
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    send: (app) => postForm(app, fileUpload(bigPng.subarray(0, MAX_BYTES + 1))),
  },
  {
    what: 'a file over maxBytes sent chunked, without Content-Length',
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    send: (app) => {
      const { body, contentType } = fileUpload(bigPng);
      const head = requestHead('POST', '/upload', { 'Content-Type': contentType, 'Transfer-Encoding': 'chunked' });
      return rawRequest(app.port, [head, chunked(body, 16 * KiB)]);
    },
  },
];

const FILENAMES: [string, string][] = [
  ['CR/LF (RFC 5987 encoded)', "filename*=UTF-8''evil%0D%0ASet-Cookie%3A%20a%3Db.png"],
  ['CR/LF (as browsers escape it)', 'filename="evil%0D%0ASet-Cookie: a=b.png"'],
  ['double quotes', 'filename="a\\"b\\";c=\\"d.png"'],
  ['path separators', 'filename="../../../etc/passwd.png"'],
  ['backslash path separators', 'filename="..\\\\..\\\\windows\\\\win.ini.png"'],
  ['NUL', "filename*=UTF-8''nul%00byte.png"],
  ['4 KB of characters', `filename="${'n'.repeat(4096)}.png"`],
  ['emoji', 'filename="🦊📷 holiday.png"'],
  ['CJK', 'filename="写真テスト.png"'],
  ['bidi override', "filename*=UTF-8''invoice%E2%80%AEgnp.exe"],
  ['300 CJK characters', `filename="${'写'.repeat(300)}.png"`],
  ['300 emoji', `filename="${'🦊'.repeat(300)}.png"`],
];

const BAD_IDS: [string, string][] = [
  ['..', '..%2F..%2F..%2Fetc%2Fpasswd'],
  ['.. (dot-encoded)', '%2e%2e%2f%2e%2e%2fetc%2fpasswd'],
  ['an encoded slash', 'abcdefghij%2Fklmnopqrst'],
  ['a double-encoded slash', 'abcdefghi%252Fklmnopqr'],
  ['a backslash', 'abcdefghij%5Cklmnopqrst'],
  ['NUL', 'abcdefghijk%00lmnopqrs'],
  ['an overlong id', 'a'.repeat(4096)],
  ['one character too many', 'a'.repeat(22)],
  ['malformed percent-encoding', 'abcdefghijklmnopqrs%E0%A4%A'],
];

// Keys of local stores may be longer than ids; these are the ones that try to escape.
const BAD_KEYS = BAD_IDS.filter(([what]) => what !== 'one character too many');

describe.each(FRAMEWORKS)('%s', (framework) => {
  beforeAll(async () => {
    bigPng ??= await noiseImage('png', 400, 400, 7);
    expect(bigPng.length).toBeGreaterThan(MAX_BYTES + 64 * KiB);
  });

  describe.each(STORE_KINDS)('with the %s store', (kind) => {
    let target: Target;
    beforeAll(async () => {
      target = await startTarget(framework, kind);
    });
    afterAll(() => target?.close());
    beforeEach(() => target.probe.reset());

    describe('malformed multipart', () => {
      it.each(MALFORMED)('answers $status $code to $what, stores nothing and keeps serving', async (c) => {
        expectJsonError(await c.send(target.app), c.status, c.code);
        await expectNothingStoredAndStillServing(target);
      });
    });

    describe('sizes', () => {
      it.each(SIZES)('answers $status $code to $what, stores nothing and keeps serving', async (c) => {
        expectJsonError(await c.send(target.app), c.status, c.code);
        await expectNothingStoredAndStillServing(target);
      });

      // Node's HTTP parser answers these itself, with a bare `400 Bad Request` and no JSON,
      // and closes the connection; the app may never see the request.
      it('answers 400 to a non-numeric Content-Length (Node’s parser answers, before the app) and keeps serving', async () => {
        const { body, contentType } = fileUpload(PNG);
        const head = requestHead('POST', '/upload', { 'Content-Type': contentType, 'Content-Length': '12ab' });
        const res = await rawRequest(target.app.port, [head, body]);
        expect(res.status).toBe(400);
        expect(target.probe.total()).toBe(0);
        await expectNothingStoredAndStillServing(target);
      });

      it('answers 400 to a Content-Length smaller than the body (Node’s parser answers) and keeps serving', async () => {
        // Node hands the app Content-Length bytes, a truncated multipart body, then parses
        // the bytes after them as a second request; that one is malformed, and Node answers
        // it 400 and closes the socket, before the app's own 400 for the first is written.
        const { body, contentType } = fileUpload(PNG);
        const head = requestHead('POST', '/upload', {
          'Content-Type': contentType,
          'Content-Length': body.length >> 1,
        });
        const res = await rawRequest(target.app.port, [head, body]);
        expect(res.status).toBe(400);
        await expectNothingStoredAndStillServing(target);
      });
    });

    describe('content that is not a safe image', () => {
      it.each(CONTENT)('answers $status $code to $what, stores nothing and keeps serving', async (c) => {
        expectJsonError(await c.send(target.app), c.status, c.code);
        await expectNothingStoredAndStillServing(target);
      });
    });

    describe('filenames', () => {
      it.each(FILENAMES)('accepts a filename with %s, and never reflects it raw into a header', async (_, param) => {
        const form = multipartBody([
          { disposition: `form-data; name="file"; ${param}`, contentType: 'image/png', body: PNG },
        ]);
        const res = await postForm(target.app, form);
        expect(res.status, res.text()).toBe(201);
        expectSafeHeaders(res);
        const uploaded = res.json<UploadedImage>();
        if (uploaded.filename !== undefined) {
          expect(uploaded.filename).not.toMatch(/[\u0000-\u001f\u007f/\\\u202e]/);
          expect(Array.from(uploaded.filename).length).toBeLessThanOrEqual(255);
        }

        // Followed as a browser would: /i/<id> → /files/<key>?… → the bytes.
        const view = await rawRequest(target.app.port, requestHead('GET', `/i/${uploaded.id}`));
        expect(view.status).toBe(302);
        expectSafeHeaders(view);
        const file = await rawRequest(target.app.port, requestHead('GET', view.header('location') as string));
        expect(file.status).toBe(200);
        expectSafeHeaders(file);
        const disposition = file.header('content-disposition') as string;
        expect(disposition).toMatch(/^inline(; filename="[^"\\]*"(; filename\*=UTF-8''[A-Za-z0-9%!#$&+.^_`|~-]+)?)?$/);
        const extended = /filename\*=UTF-8''(.+)$/.exec(disposition)?.[1];
        const plain = /filename="([^"]*)"/.exec(disposition)?.[1];
        expect(extended === undefined ? plain : decodeURIComponent(extended)).toBe(uploaded.filename);
        expect(Buffer.compare(file.body, PNG)).toBe(0);

        await target.probe.store.delete(uploaded.id);
        target.app.handlers.invalidate(uploaded.id);
        expect(await target.leftovers()).toEqual([]);
      });
    });

    describe('ids built to escape', () => {
      it.each(BAD_IDS)('answers 404 to an id with %s, without a storage call', async (_, id) => {
        target.probe.reset();
        for (const method of ['GET', 'HEAD']) {
          const res = await rawRequest(target.app.port, requestHead(method, `/i/${id}`));
          expect(res.status).toBe(404);
          if (method === 'GET') expectJsonError(res, 404, 'NOT_FOUND');
        }
        expect(target.probe.calls).toEqual({ put: 0, exists: 0, signedUrl: 0, stat: 0, get: 0, delete: 0 });
      });

      it.each(BAD_KEYS)('refuses a /files/ link whose key has %s, without a storage call', async (_, id) => {
        target.probe.reset();
        const expires = Math.floor(Date.now() / 1000) + 600;
        const sig = await target.probe.store.localUrls.signer.sign(decodeSafe(id), { expires });
        const res = await rawRequest(target.app.port, requestHead('GET', `/files/${id}?expires=${expires}&sig=${sig}`));
        expect([403, 404]).toContain(res.status);
        expectJsonError(res, res.status, res.status === 403 ? 'FORBIDDEN' : 'NOT_FOUND');
        expect(target.probe.total()).toBe(0);
      });
    });

    describe('signed links', () => {
      let id: string;
      let link: URL;
      beforeAll(async () => {
        const res = await postForm(target.app, fileUpload(PNG, 'signed.png'));
        id = res.json<UploadedImage>().id;
        const view = await rawRequest(target.app.port, requestHead('GET', `/i/${id}`));
        link = new URL(view.header('location') as string, target.app.origin);
      });
      afterAll(async () => {
        await target.probe.store.delete(id);
        target.app.handlers.invalidate(id);
      });

      const getLink = (url: URL) => rawRequest(target.app.port, requestHead('GET', url.pathname + url.search));
      const tampered = (edit: (q: URLSearchParams) => void) => {
        const url = new URL(link);
        edit(url.searchParams);
        return url;
      };

      it('serves the untouched link', async () => {
        const res = await getLink(link);
        expect(res.status).toBe(200);
        expect(res.header('content-security-policy')).toContain('sandbox');
      });

      it.each([
        ['a forged signature', (q: URLSearchParams) => q.set('sig', 'A'.repeat(43))],
        ['a signature of another length', (q: URLSearchParams) => q.set('sig', `${q.get('sig')}A`)],
        ['no signature', (q: URLSearchParams) => q.delete('sig')],
        ['a later expiry', (q: URLSearchParams) => q.set('expires', String(Number(q.get('expires')) + 3600))],
        ['an added attachment disposition', (q: URLSearchParams) => q.set('disposition', 'attachment')],
        ['an added filename', (q: URLSearchParams) => q.set('filename', 'evil.html')],
      ])('answers 403 to a link with %s, without reading the file', async (_, edit) => {
        target.probe.reset();
        expectJsonError(await getLink(tampered(edit)), 403, 'FORBIDDEN');
        expect(target.probe.calls.get + target.probe.calls.stat).toBe(0);
      });

      it('answers 403 to a correctly signed link that has expired', async () => {
        const expires = Math.floor(Date.now() / 1000) - 1;
        const sig = await target.probe.store.localUrls.signer.sign(id, { expires });
        target.probe.reset();
        const res = await rawRequest(target.app.port, requestHead('GET', `/files/${id}?expires=${expires}&sig=${sig}`));
        expectJsonError(res, 403, 'FORBIDDEN');
        expect(target.probe.total()).toBe(0);
      });

      it('answers 403 to a link signed for another key', async () => {
        const url = new URL(link);
        url.pathname = `/files/${'x'.repeat(21)}`;
        expectJsonError(await getLink(url), 403, 'FORBIDDEN');
      });
    });
  });

  describe('filenames with the S3 store', () => {
    let s3: TestServer;
    let app: RunningApp;
    let client: S3Client;
    beforeAll(async () => {
      s3 = await startS3rver();
      const connection = s3.connection();
      client = new S3Client({ ...connection, requestChecksumCalculation: 'WHEN_REQUIRED' });
      app = await startApp(framework, { store: createS3Store({ bucket: s3.bucket, ...connection }) });
    });
    afterAll(async () => {
      await app?.close();
      client?.destroy();
      await s3?.close();
    });

    it.each(FILENAMES)('stores a filename with %s within S3’s 2 KB of user metadata', async (_, param) => {
      const form = multipartBody([
        { disposition: `form-data; name="file"; ${param}`, contentType: 'image/png', body: PNG },
      ]);
      const res = await postForm(app, form);
      expect(res.status, res.text()).toBe(201);
      expectSafeHeaders(res);
      const { id } = res.json<UploadedImage>();
      const head = await client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: id }));
      // AWS counts the UTF-8 bytes of every key and value and refuses more than 2 KB.
      const bytes = Object.entries(head.Metadata ?? {}).reduce(
        (sum, [key, value]) => sum + Buffer.byteLength(key) + Buffer.byteLength(value),
        0,
      );
      expect(bytes).toBeLessThanOrEqual(2048);
      for (const value of Object.values(head.Metadata ?? {})) expect(value).toMatch(/^[\x20-\x7e]*$/);

      const view = await rawRequest(app.port, requestHead('GET', `/i/${id}`));
      expect(view.status).toBe(302);
      expectSafeHeaders(view);
      const followed = await fetch(view.header('location') as string);
      expect(followed.status).toBe(200);
      expect(Buffer.compare(Buffer.from(await followed.arrayBuffer()), PNG)).toBe(0);
    });
  });
});

/** Every response header is printable ASCII on one line: nothing from a filename got through raw. */
function expectSafeHeaders(res: RawResponse) {
  for (const [name, value] of res.headerList) {
    expect(name).toMatch(/^[a-z0-9-]+$/);
    expect(value, `${name} header`).toMatch(/^[\x20-\x7e]*$/);
  }
  expect(res.headerList.map(([name]) => name)).not.toContain('set-cookie');
}

function decodeSafe(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
