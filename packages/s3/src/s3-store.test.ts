// The S3 store against a real S3-protocol server (s3rver, started in-process on a free
// port): the shared contract suite first, then what is particular to S3. How the fixture
// stands in for the two multipart calls s3rver lacks is explained in
// packages/test-kit/src/s3rver.ts (re-exported by ./testing/s3rver-fixture.ts).
import { createHash } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { contentDisposition, type ImageStore, ImageStoreError, isImageStoreError } from '@imgstash/core';
import { describeImageStore, FIXTURES, patternStream } from '@imgstash/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client, type S3ConnectionOptions } from './s3-client.js';
import { createS3Store, type S3StoreCommonOptions } from './s3-store.js';
import { caught } from './testing/caught.js';
import {
  BUCKET,
  closedPort,
  type RecordedRequest,
  recordRequests,
  startS3rver,
  type TestServer,
} from './testing/s3rver-fixture.js';

const MiB = 1024 * 1024;
let server: TestServer;
let tests = 0;

beforeAll(async () => {
  server = await startS3rver();
});
afterAll(async () => {
  await server?.close();
});

const connection = (extra: S3ConnectionOptions = {}): S3ConnectionOptions => server.connection(extra);

/** A store under its own prefix, so tests sharing the bucket never see each other's objects. */
function newStore(extra: Partial<S3StoreCommonOptions> = {}): ImageStore {
  return createS3Store({ bucket: BUCKET, prefix: `t${++tests}/`, ...connection(), ...extra });
}

/** A store whose client records every request it sends. */
function recordedStore(extra: Partial<S3StoreCommonOptions> = {}, conn: S3ConnectionOptions = {}) {
  const client = createS3Client(connection(conn));
  const requests = recordRequests(client);
  const store = createS3Store({ bucket: BUCKET, prefix: `t${++tests}/`, client, ...extra });
  const sent = (command: string) => requests.filter((r) => r.command === command);
  return { store, client, requests, sent };
}

async function bytesOf(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const checksumHeaders = (r: RecordedRequest) =>
  Object.keys(r.headers).filter((h) => /^x-amz-(checksum-|sdk-checksum-|trailer)/i.test(h));

describeImageStore('s3 (s3rver)', {
  describe,
  it,
  create: () => newStore(),
  fetchSignedUrl: (url) => fetch(url),
  // In-progress multipart uploads on the server: an aborted or failed put must leave none.
  leftovers: () => server.pendingUploads(),
  // s3rver's default here is a POST policy upload, and s3rver ignores POST policies: the
  // storage-side refusal is tested with presigned PUTs in s3-presign-upload.test.ts.
  enforcesUploads: false,
});

describe('createS3Store on a real S3 server', () => {
  it('stores objects under the configured prefix', async () => {
    const store = createS3Store({ bucket: BUCKET, prefix: 'images/', ...connection() });
    await store.put('prefixed', FIXTURES.png.bytes, { contentType: 'image/png' });
    const raw = createS3Client(connection());
    const head = await raw.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'images/prefixed' }));
    expect(head.ContentLength).toBe(FIXTURES.png.bytes.length);
    expect(await store.exists('prefixed')).toBe(true);
    expect(new URL(await store.signedUrl('prefixed')).pathname).toBe(`/${BUCKET}/images/prefixed`);
  });

  it('puts a small body with one PutObject carrying Content-MD5 and no checksum headers', async () => {
    const { store, requests, sent } = recordedStore();
    const bytes = FIXTURES.jpeg.bytes;
    const stored = await store.put('small', bytes, { contentType: 'image/jpeg' });
    expect(stored).toMatchObject({ key: 'small', size: bytes.length, contentType: 'image/jpeg' });
    expect(requests.map((r) => r.command)).toEqual(['PutObjectCommand']);
    const [put] = sent('PutObjectCommand') as [RecordedRequest];
    expect(put.headers['content-md5']).toBe(createHash('md5').update(bytes).digest('base64'));
    expect(checksumHeaders(put)).toEqual([]);
  });

  it('buffers a stream that ends within one part and still sends a single PutObject', async () => {
    const { store, requests } = recordedStore();
    const stored = await store.put('one-part', patternStream(5 * MiB, 11), { contentType: 'image/png' });
    expect(stored.size).toBe(5 * MiB);
    expect(requests.map((r) => r.command)).toEqual(['PutObjectCommand']);
  });

  it('streams a longer body as a bounded multipart upload, then checks the stored size', async () => {
    const { store, requests, sent } = recordedStore();
    const size = 12 * MiB + 123;
    const stored = await store.put('multi', patternStream(size, 5), { contentType: 'image/png' });
    expect(stored.size).toBe(size);
    expect(stored.etag).toMatch(/^".+"$/);
    expect(sent('CreateMultipartUploadCommand')).toHaveLength(1);
    expect(sent('UploadPartCommand').map((r) => Number(r.headers['content-length']))).toEqual(
      expect.arrayContaining([5 * MiB, 5 * MiB, 2 * MiB + 123]),
    );
    expect(sent('CompleteMultipartUploadCommand')).toHaveLength(1);
    // The size check: a HeadObject after Complete.
    expect(requests.at(-1)?.command).toBe('HeadObjectCommand');
    expect(requests.flatMap(checksumHeaders)).toEqual([]);
    expect(await server.pendingUploads()).toBe(0);
  });

  it('aborts the multipart upload when the put is aborted, leaving no object and no pending upload', async () => {
    const { store, sent } = recordedStore();
    const abortedBefore = server.aborted.length;
    const controller = new AbortController();
    let sentBytes = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        sentBytes += MiB;
        c.enqueue(new Uint8Array(MiB));
        // Past two parts, so the upload has been created and parts are in flight.
        if (sentBytes >= 12 * MiB) controller.abort();
      },
    });
    const error = await caught(store.put('aborted', body, { contentType: 'image/png', signal: controller.signal }));
    expect((error as Error).name).toBe('AbortError');
    expect(sent('CreateMultipartUploadCommand')).toHaveLength(1);
    expect(sent('AbortMultipartUploadCommand')).toHaveLength(1);
    expect(sent('CompleteMultipartUploadCommand')).toHaveLength(0);
    expect(server.aborted.length).toBe(abortedBefore + 1);
    expect(await server.pendingUploads()).toBe(0);
    expect(await store.exists('aborted')).toBe(false);
  });

  it('commits nothing when the body fails after its last chunk, and rethrows that very error', async () => {
    const { store, sent } = recordedStore();
    // What core's upload checks do: a structure check can only fail once the last byte is in.
    const late = new ImageStoreError('UNSUPPORTED_MEDIA_TYPE', '[imgstash] refused: truncated image');
    async function* failsAtTheEnd(size: number) {
      for (let sentBytes = 0; sentBytes < size; sentBytes += MiB) yield new Uint8Array(Math.min(MiB, size - sentBytes));
      throw late;
    }
    expect(await caught(store.put('late-small', failsAtTheEnd(MiB), { contentType: 'image/png' }))).toBe(late);
    expect(await caught(store.put('late-multi', failsAtTheEnd(11 * MiB), { contentType: 'image/png' }))).toBe(late);
    expect(sent('PutObjectCommand')).toHaveLength(0);
    expect(sent('CompleteMultipartUploadCommand')).toHaveLength(0);
    expect(sent('AbortMultipartUploadCommand')).toHaveLength(1);
    expect(await store.exists('late-small')).toBe(false);
    expect(await store.exists('late-multi')).toBe(false);
    expect(await server.pendingUploads()).toBe(0);
  });

  it('refuses a multipart body longer than its declared size, and stores nothing', async () => {
    const store = newStore();
    const error = await caught(
      store.put('wrong-size', patternStream(11 * MiB), { contentType: 'image/png', size: 10 * MiB }),
    );
    expect(isImageStoreError(error) && error.code).toBe('INVALID_INPUT');
    expect(await store.exists('wrong-size')).toBe(false);
    expect(await server.pendingUploads()).toBe(0);
  });

  it('keeps a Unicode filename as ASCII user metadata and hides its reserved entry', async () => {
    const store = createS3Store({ bucket: BUCKET, prefix: 'meta/', ...connection() });
    const filename = 'Фото 🐱 写真 "été".png';
    await store.put('named', FIXTURES.png.bytes, {
      contentType: 'image/png',
      filename,
      metadata: { owner: 'user-42' },
      cacheControl: 'public, max-age=60',
    });
    const raw = await createS3Client(connection()).send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'meta/named' }));
    expect(raw.Metadata?.['imgstash-filename']).toMatch(/^[\x20-\x7e]+$/);
    const info = await store.stat('named');
    expect(info).toMatchObject({
      key: 'named',
      size: FIXTURES.png.bytes.length,
      contentType: 'image/png',
      filename,
      cacheControl: 'public, max-age=60',
      metadata: { owner: 'user-42' },
    });
    expect(info?.lastModified).toBeInstanceOf(Date);
    expect(Object.keys(info?.metadata ?? {})).toEqual(['owner']);
    const object = await store.get('named');
    expect(object?.body).toBeInstanceOf(ReadableStream);
    expect(object?.filename).toBe(filename);
    expect(await bytesOf(object?.body as ReadableStream<Uint8Array>)).toEqual(FIXTURES.png.bytes);
  });

  it("stores the filename as the object's Content-Disposition, served by a plain signed GET", async () => {
    const store = newStore();
    const filename = 'Фото 🐱.png';
    await store.put('saved', FIXTURES.png.bytes, { contentType: 'image/png', filename });
    await store.put('plain', FIXTURES.png.bytes, { contentType: 'image/png' });
    const named = await fetch(await store.signedUrl('saved'));
    expect(named.status).toBe(200);
    expect(named.headers.get('content-disposition')).toBe(contentDisposition('inline', filename));
    expect(new Uint8Array(await named.arrayBuffer())).toEqual(FIXTURES.png.bytes);
    const plain = await fetch(await store.signedUrl('plain'));
    expect(plain.headers.get('content-disposition')).toBeNull();
    await plain.arrayBuffer();
  });

  it('stores SVG as an attachment, even when signed without a disposition', async () => {
    const store = newStore();
    const svg = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"/>');
    await store.put('drawing', svg, { contentType: 'image/svg+xml' });
    const res = await fetch(await store.signedUrl('drawing'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe('attachment');
    await res.arrayBuffer();
  });

  it('refuses invalid keys before sending any request', async () => {
    const { store, requests } = recordedStore();
    for (const key of ['../x', 'a/b', '']) {
      for (const call of [
        () => store.put(key, FIXTURES.png.bytes, { contentType: 'image/png' }),
        () => store.exists(key),
        () => store.stat(key),
        () => store.get(key),
        () => store.delete(key),
        () => store.signedUrl(key),
      ]) {
        const error = await caught(call());
        expect(isImageStoreError(error) && error.code).toBe('INVALID_INPUT');
      }
    }
    expect(requests).toEqual([]);
  });
});

describe('signedUrl', () => {
  it('serves the exact bytes with the requested type and an ASCII attachment filename', async () => {
    const store = newStore();
    await store.put('dl', FIXTURES.webp.bytes, { contentType: 'image/webp' });
    const url = await store.signedUrl('dl', {
      disposition: 'attachment',
      filename: 'my cat.webp',
      contentType: 'image/webp',
    });
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/webp');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="my cat.webp"');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(FIXTURES.webp.bytes);

    const tampered = url.replace('X-Amz-Expires=3600', 'X-Amz-Expires=7200');
    expect(tampered).not.toBe(url);
    const forged = await fetch(tampered);
    await forged.body?.cancel();
    expect(forged.status).toBe(403);
  });

  it('signs a Unicode filename as RFC 6266/5987 response-content-disposition', async () => {
    // Checked on the URL, not on s3rver: s3rver re-encodes query values with JS
    // encodeURIComponent when it verifies SigV4, which leaves ' ( ) * ! unescaped where
    // RFC 3986 (and S3) escape them, so it rejects any `filename*=UTF-8''…` with
    // SignatureDoesNotMatch. Real S3 verifies these URLs.
    const store = newStore();
    const filename = 'Фото 🐱.png';
    const url = new URL(await store.signedUrl('unicode', { disposition: 'attachment', filename }));
    expect(url.searchParams.get('response-content-disposition')).toBe(contentDisposition('attachment', filename));
    expect(url.searchParams.get('response-content-disposition')).toContain("filename*=UTF-8''%D0%A4");
    expect(url.search).toContain('response-content-disposition=attachment%3B%20filename%3D%22');
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host');
  });

  it('adds response overrides only when asked for', async () => {
    const store = newStore();
    const plain = new URL(await store.signedUrl('plain'));
    expect([...plain.searchParams.keys()].filter((k) => k.startsWith('response-'))).toEqual([]);
    const inline = new URL(await store.signedUrl('plain', { disposition: 'inline' }));
    expect(inline.searchParams.get('response-content-disposition')).toBe('inline');
    expect(inline.searchParams.has('response-content-type')).toBe(false);
  });

  it('clamps the lifetime to 1..604800 seconds, defaulting to 3600', async () => {
    const store = newStore();
    const expires = async (expiresIn?: number) =>
      new URL(await store.signedUrl('k', expiresIn === undefined ? {} : { expiresIn })).searchParams.get(
        'X-Amz-Expires',
      );
    expect(await expires()).toBe('3600');
    expect(await expires(0)).toBe('1');
    expect(await expires(1e9)).toBe('604800');
    expect(await expires(90.7)).toBe('90');
  });

  it('gives the same URL for the same signing time, and carries no checksum mode', async () => {
    const store = newStore();
    const signedAt = Date.UTC(2030, 0, 1, 12, 0, 0);
    const a = await store.signedUrl('same', { signedAt, expiresIn: 600 });
    const b = await store.signedUrl('same', { signedAt, expiresIn: 600 });
    const c = await store.signedUrl('same', { signedAt: signedAt + 1000, expiresIn: 600 });
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    expect(new URL(a).searchParams.get('X-Amz-Date')).toBe('20300101T120000Z');
    expect(a).not.toMatch(/checksum/i);
  });

  it('signs without a network call', async () => {
    const connections: Socket[] = [];
    const listener: Server = createServer((socket) => {
      connections.push(socket);
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = listener.address() as { port: number };
      const store = createS3Store({ bucket: BUCKET, ...connection({ endpoint: `http://127.0.0.1:${port}` }) });
      const url = await store.signedUrl('offline', { disposition: 'attachment', filename: 'a.png' });
      expect(url.startsWith(`http://127.0.0.1:${port}/${BUCKET}/offline?`)).toBe(true);
      expect(connections).toHaveLength(0);
    } finally {
      listener.close();
    }
  });
});

describe('errors from a real server', () => {
  const expectGenericPublicMessage = (error: ImageStoreError) => {
    expect(error.publicMessage).not.toMatch(/imgstash|127\.0\.0\.1|S3RVER|Signature|AccessKey/i);
  };

  it('reports a wrong secret as a clear credentials error, for writes and reads alike', async () => {
    const store = createS3Store({
      bucket: BUCKET,
      ...connection({ credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'not-the-secret' } }),
    });
    for (const call of [
      () => store.put('creds', FIXTURES.png.bytes, { contentType: 'image/png' }),
      () => store.exists('creds'),
      () => store.get('creds'),
    ]) {
      const error = (await caught(call())) as ImageStoreError;
      expect(isImageStoreError(error)).toBe(true);
      expect(error.code).toBe('STORAGE_ERROR');
      expect(error.status).toBe(502);
      expect(error.message).toContain('credentials or permissions rejected');
      expect(error.message).toContain('AWS_SECRET_ACCESS_KEY');
      expect(error.message).not.toContain('not-the-secret');
      expectGenericPublicMessage(error);
      // A HEAD answer has no body to name the error: the status decides.
      expect((error.cause as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode).toBe(403);
    }
  });

  it('reports an unknown access key as the same credentials error', async () => {
    const store = createS3Store({
      bucket: BUCKET,
      ...connection({ credentials: { accessKeyId: 'NOBODY', secretAccessKey: 'x' } }),
    });
    const error = (await caught(
      store.put('creds', FIXTURES.png.bytes, { contentType: 'image/png' }),
    )) as ImageStoreError;
    expect(error.code).toBe('STORAGE_ERROR');
    expect(error.message).toContain('credentials or permissions rejected');
    expect((error.cause as { name?: string }).name).toBe('InvalidAccessKeyId');
  });

  it('reports a missing bucket as a storage error naming the problem', async () => {
    const store = createS3Store({ bucket: 'no-such-bucket', ...connection() });
    const error = (await caught(store.put('x', FIXTURES.png.bytes, { contentType: 'image/png' }))) as ImageStoreError;
    expect(error.code).toBe('STORAGE_ERROR');
    expect(error.message).toContain('bucket does not exist');
    expect(error.publicMessage).not.toContain('no-such-bucket');
  });

  it('retries a 500 and succeeds', async () => {
    const { store, sent } = recordedStore();
    server.inject({ method: 'PUT', status: 500, code: 'InternalError' });
    await store.put('retried', FIXTURES.gif.bytes, { contentType: 'image/gif' });
    expect(sent('PutObjectCommand')).toHaveLength(2);
    expect(await store.exists('retried')).toBe(true);
  });

  it('reports throttling (503 SlowDown) as STORAGE_UNAVAILABLE once retries are spent', async () => {
    const { store, sent } = recordedStore({}, { maxAttempts: 2 });
    server.inject({ method: 'PUT', status: 503, code: 'SlowDown' }, { method: 'PUT', status: 503, code: 'SlowDown' });
    const error = (await caught(
      store.put('slow', FIXTURES.gif.bytes, { contentType: 'image/gif' }),
    )) as ImageStoreError;
    expect(error.code).toBe('STORAGE_UNAVAILABLE');
    expect(error.status).toBe(503);
    expect(sent('PutObjectCommand')).toHaveLength(2);
  });

  it('reports a refused connection as STORAGE_UNAVAILABLE', async () => {
    const port = await closedPort();
    const store = createS3Store({ bucket: BUCKET, ...connection({ endpoint: `http://127.0.0.1:${port}` }) });
    for (const call of [
      () => store.exists('x'),
      () => store.put('x', FIXTURES.png.bytes, { contentType: 'image/png' }),
    ]) {
      const error = (await caught(call())) as ImageStoreError;
      expect(error.code).toBe('STORAGE_UNAVAILABLE');
      expect(error.message).toContain('ECONNREFUSED');
      expectGenericPublicMessage(error);
    }
  });

  it('reports a server that never answers as STORAGE_UNAVAILABLE once requestTimeout passes', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as { port: number };
      const store = createS3Store({
        bucket: BUCKET,
        ...connection({ endpoint: `http://127.0.0.1:${port}`, requestTimeout: 200, maxAttempts: 1 }),
      });
      const error = (await caught(store.stat('x'))) as ImageStoreError;
      expect(error.code).toBe('STORAGE_UNAVAILABLE');
      expect(error.message).toContain('timed out');
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });
});

describe('createS3Store options', () => {
  it.each([['../up'], ['/abs/'], ['a//b/'], ['a\\b/'], ['sp ace/']])('refuses the prefix %j', (prefix) => {
    expect(() => createS3Store({ bucket: BUCKET, prefix, ...connection() })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
  });

  it('refuses a client together with connection settings, and AWS without a region', () => {
    const client = createS3Client(connection());
    expect(() =>
      createS3Store({ bucket: BUCKET, client, endpoint: 'http://x' } as unknown as Parameters<typeof createS3Store>[0]),
    ).toThrow(/either `client` or `endpoint`/);
    expect(() => createS3Store({ bucket: BUCKET })).toThrow(/`region` is required/);
    expect(() => createS3Store({ bucket: '', region: 'us-east-1' })).toThrow(/`bucket` is required/);
    expect(() => createS3Store({ bucket: BUCKET, endpoint: 'ftp://x' })).toThrow(/http\(s\) URL/);
    expect(() => createS3Store({ bucket: BUCKET, region: 'eu-west-1', partSize: MiB })).toThrow(/partSize/);
  });
});
