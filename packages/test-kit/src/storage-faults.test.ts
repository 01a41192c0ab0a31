// Storage faults, through a real listener of every framework: the S3 store against a server
// that is down, resets connections, hangs, or fails in the middle of a multipart upload; a
// client that vanishes halfway through a large upload; a store that fails on a redirect.
// Each ends in a clear 502/503 JSON error (never a crash, never a redirect), with no partial
// object and no dangling multipart upload.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createId, type ErrorBody, type ImageStore, ImageStoreError, type UploadedImage } from '@imgstash/core';
import { FIXTURES } from '@imgstash/core/testing';
import { createFsStore } from '@imgstash/fs';
import { createMemoryStore } from '@imgstash/memory';
import { createS3Store, type S3StoreConnectionOptions } from '@imgstash/s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { noiseImage } from './images.js';
import { fileUpload } from './multipart-body.js';
import { chunked, openRawConnection, type RawResponse, rawRequest, requestHead } from './raw-http.js';
import { closedPort, startS3rver, type TestServer } from './s3rver.js';
import { FRAMEWORKS, type RunningApp, startApp } from './servers.js';
import { probeStore, type StoreProbe, waitFor } from './store-probe.js';

const MiB = 1024 * 1024;
const PNG = FIXTURES.png.bytes;

let s3: TestServer;
let bigPng: Uint8Array;
let prefixes = 0;

beforeAll(async () => {
  [s3, bigPng] = await Promise.all([startS3rver(), noiseImage('png', 2048, 2048, 3)]);
  // Big enough that the S3 store goes multipart (5 MiB parts): three parts.
  expect(bigPng.length).toBeGreaterThan(11 * MiB);
});
afterAll(() => s3?.close());

function s3Store(extra: Partial<S3StoreConnectionOptions> = {}, endpoint = s3.endpoint): ImageStore {
  return createS3Store({ bucket: s3.bucket, prefix: `faults${++prefixes}/`, ...s3.connection({ endpoint, ...extra }) });
}

/** A TCP server that does `onSocket` with every connection, and destroys them all on close. */
async function tcpServer(onSocket: (socket: Socket) => void): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function expectStorageError(res: RawResponse, status: 502 | 503, secrets: string[] = []) {
  expect(res.status, res.text()).toBe(status);
  expect(res.header('content-type')).toBe('application/json; charset=utf-8');
  expect(res.header('location')).toBeUndefined();
  const body = res.json<ErrorBody>();
  expect(body.error.code).toBe(status === 503 ? 'STORAGE_UNAVAILABLE' : 'STORAGE_ERROR');
  // No endpoint, port, bucket, key prefix or SDK text reaches the client.
  for (const secret of [...secrets, s3.bucket, 'faults', '127.0.0.1', 'ECONNREFUSED', 'S3RVER']) {
    expect(res.text()).not.toContain(secret);
  }
}

/**
 * POSTs `bytes` as an upload. With a Content-Length the S3 store streams it in one
 * PutObject; sent chunked (no length known), a body over 5 MiB goes up as a multipart upload.
 */
function upload(app: RunningApp, bytes: Uint8Array = PNG, framing: 'length' | 'chunked' = 'length') {
  const { body, contentType } = fileUpload(bytes);
  if (framing === 'chunked') {
    const head = requestHead('POST', '/upload', { 'Content-Type': contentType, 'Transfer-Encoding': 'chunked' });
    return rawRequest(app.port, [head, chunked(body)]);
  }
  return rawRequest(app.port, [
    requestHead('POST', '/upload', { 'Content-Type': contentType, 'Content-Length': body.length }),
    body,
  ]);
}

const view = (app: RunningApp, id: string) => rawRequest(app.port, requestHead('GET', `/i/${id}`));

describe.each(FRAMEWORKS)('%s', (framework) => {
  const apps: RunningApp[] = [];
  const servers: { close(): Promise<void> }[] = [];
  async function start(store: ImageStore, extra: { maxBytes?: number } = {}) {
    const app = await startApp(framework, { store, ...extra });
    apps.push(app);
    return app;
  }
  afterEach(async () => {
    s3.clearFaults();
    await Promise.all([...apps.splice(0), ...servers.splice(0)].map((x) => x.close()));
  });

  describe('the S3 store, when the storage server is unreachable', () => {
    it('answers 503 to an upload and to a redirect when nothing listens on the endpoint', async () => {
      const port = await closedPort();
      const app = await start(s3Store({ maxAttempts: 2 }, `http://127.0.0.1:${port}`));
      expectStorageError(await upload(app), 503, [String(port)]);
      expectStorageError(await view(app, createId()), 503, [String(port)]);
    });

    it('answers 503 to an upload and to a redirect when the server resets every connection', async () => {
      const resetting = await tcpServer((socket) => socket.resetAndDestroy());
      servers.push(resetting);
      const app = await start(s3Store({ maxAttempts: 2 }, `http://127.0.0.1:${resetting.port}`));
      expectStorageError(await upload(app), 503, [String(resetting.port)]);
      expectStorageError(await view(app, createId()), 503, [String(resetting.port)]);
    });

    it('answers 503 once the request timeout fires when the server accepts and never answers', async () => {
      const hanging = await tcpServer(() => {});
      servers.push(hanging);
      const app = await start(s3Store({ requestTimeout: 300, maxAttempts: 1 }, `http://127.0.0.1:${hanging.port}`));
      expectStorageError(await upload(app), 503, [String(hanging.port)]);
      expectStorageError(await view(app, createId()), 503, [String(hanging.port)]);
    });
  });

  describe('the S3 store, when the storage server fails mid-upload', () => {
    it('answers 502 when UploadPart fails with 500 mid multipart upload, leaving no object and no pending upload', async () => {
      const app = await start(s3Store(), { maxBytes: 16 * MiB });
      const before = await s3.objectKeys();
      // Part 2 fails on every attempt the SDK makes (it retries 5xx).
      s3.inject({ method: 'PUT', query: { partNumber: '2' }, status: 500, code: 'InternalError', times: 10 });
      expectStorageError(await upload(app, bigPng, 'chunked'), 502);
      expect(s3.aborted.length).toBeGreaterThan(0);
      expect(await s3.objectKeys()).toEqual(before);
      expect(await s3.pendingUploads()).toBe(0);

      // The same app uploads the same file once the server has recovered.
      s3.clearFaults();
      const ok = await upload(app, bigPng, 'chunked');
      expect(ok.status, ok.text()).toBe(201);
      expect(ok.json<UploadedImage>().size).toBe(bigPng.length);
      expect(await s3.pendingUploads()).toBe(0);
    });

    it('answers 503 when the server throttles every part (SlowDown), leaving nothing behind', async () => {
      const app = await start(s3Store({ maxAttempts: 2 }), { maxBytes: 16 * MiB });
      const before = await s3.objectKeys();
      s3.inject({ method: 'PUT', query: { partNumber: true }, status: 503, code: 'SlowDown', times: 20 });
      expectStorageError(await upload(app, bigPng, 'chunked'), 503);
      expect(await s3.objectKeys()).toEqual(before);
      expect(await s3.pendingUploads()).toBe(0);
    });

    it('answers 502 when the streamed PutObject of a sized upload fails with 500, leaving no object', async () => {
      const app = await start(s3Store(), { maxBytes: 16 * MiB });
      const before = await s3.objectKeys();
      s3.inject({ method: 'PUT', query: { 'x-id': 'PutObject' }, status: 500, code: 'InternalError', times: 10 });
      expectStorageError(await upload(app, bigPng), 502);
      expect(await s3.objectKeys()).toEqual(before);
      expect(await s3.pendingUploads()).toBe(0);
    });
  });

  describe('a client that disconnects halfway through a large upload', () => {
    async function disconnectHalfway(
      probe: StoreProbe<ImageStore>,
      app: RunningApp,
      framing: 'length' | 'chunked',
      started: () => Promise<boolean>,
    ) {
      const { body, contentType } = fileUpload(bigPng);
      const connection = await openRawConnection(app.port);
      const framingHeader: Record<string, string | number> =
        framing === 'chunked' ? { 'Transfer-Encoding': 'chunked' } : { 'Content-Length': body.length };
      await connection.write(requestHead('POST', '/upload', { 'Content-Type': contentType, ...framingHeader }));
      // Send a little over half, in pieces, so the server is writing to the store by then.
      const wire = framing === 'chunked' ? chunked(body) : body;
      const half = wire.length >> 1;
      for (let at = 0; at < half; at += 256 * 1024) await connection.write(wire.subarray(at, at + 256 * 1024));
      await waitFor(started, 'the store write to start');
      connection.destroy();
      await waitFor(() => probe.puts.length === 1 && probe.puts[0]?.state !== 'pending', 'the put to settle');
      const put = probe.puts[0];
      expect(put?.state).toBe('rejected');
      expect(put?.signal?.aborted).toBe(true);
      // The same app still serves the next request.
      const ok = await upload(app);
      expect(ok.status, ok.text()).toBe(201);
      return ok.json<UploadedImage>();
    }

    it('aborts the S3 multipart upload of a chunked body: no object, no pending upload, and the server keeps serving', async () => {
      const probe = probeStore(s3Store());
      const app = await start(probe.store, { maxBytes: 16 * MiB });
      const prefix = `faults${prefixes}/`;
      const next = await disconnectHalfway(probe, app, 'chunked', async () => (await s3.pendingUploads()) > 0);
      expect(await s3.pendingUploads()).toBe(0);
      expect((await s3.objectKeys()).filter((key) => key.startsWith(prefix))).toEqual([prefix + next.id]);
    });

    it('cancels the streamed S3 PutObject of a sized body: no object, and the server keeps serving', async () => {
      const probe = probeStore(s3Store());
      const app = await start(probe.store, { maxBytes: 16 * MiB });
      const prefix = `faults${prefixes}/`;
      const next = await disconnectHalfway(probe, app, 'length', async () => probe.puts.length > 0);
      expect(await s3.pendingUploads()).toBe(0);
      expect((await s3.objectKeys()).filter((key) => key.startsWith(prefix))).toEqual([prefix + next.id]);
    });

    it('aborts the fs write: no file and no temp file left, and the server keeps serving', async () => {
      const root = await mkdtemp(join(tmpdir(), 'imgstash-faults-'));
      servers.push({ close: () => rm(root, { recursive: true, force: true }) });
      const probe = probeStore(createFsStore({ root }));
      const app = await start(probe.store, { maxBytes: 16 * MiB });
      const next = await disconnectHalfway(
        probe,
        app,
        'length',
        async () => (await readdir(join(root, '.tmp')).catch(() => [])).length > 0,
      );
      expect(await readdir(join(root, '.tmp'))).toEqual([]);
      expect((await readdir(root)).filter((name) => !name.startsWith('.'))).toEqual([next.id]);
    });
  });

  describe('a store that fails during a redirect', () => {
    async function storedId(probe: StoreProbe<ImageStore>) {
      // Stored behind the handlers' back, so their caches know nothing of it.
      const id = createId();
      await probe.store.put(id, PNG, { contentType: 'image/png' });
      probe.reset();
      return id;
    }

    it('answers 503, never 302, when stat and exists report the storage unavailable', async () => {
      const probe = probeStore(createMemoryStore());
      const app = await start(probe.store);
      const id = await storedId(probe);
      const unavailable = () => new ImageStoreError('STORAGE_UNAVAILABLE', '[test] backend down at 10.0.0.7');
      probe.fail('stat', unavailable);
      probe.fail('exists', unavailable);
      expectStorageError(await view(app, id), 503, ['10.0.0.7']);
      const head = await rawRequest(app.port, requestHead('HEAD', `/i/${id}`));
      expect(head.status).toBe(503);

      // Once the store recovers, the same id redirects.
      probe.fail('stat', undefined);
      probe.fail('exists', undefined);
      expect((await view(app, id)).status).toBe(302);
    });

    it('answers 502, never 302, when stat throws something that is not an ImageStoreError', async () => {
      const probe = probeStore(createMemoryStore());
      const app = await start(probe.store);
      const id = await storedId(probe);
      probe.fail('stat', () => new Error('socket hang up (s3.internal:9000)'));
      expectStorageError(await view(app, id), 502, ['s3.internal', 'hang up']);
    });

    it('answers 503, never 302, when signing the URL fails', async () => {
      const probe = probeStore(createMemoryStore());
      const app = await start(probe.store);
      const id = await storedId(probe);
      probe.fail('signedUrl', () => new ImageStoreError('STORAGE_UNAVAILABLE', '[test] no credentials'));
      expectStorageError(await view(app, id), 503);
    });

    it('answers 502 to an upload when put throws something that is not an ImageStoreError', async () => {
      const probe = probeStore(createMemoryStore());
      const app = await start(probe.store);
      probe.fail('put', () => new TypeError('Cannot read properties of undefined (reading "send")'));
      expectStorageError(await upload(app), 502, ['Cannot read', 'send']);
    });
  });
});
