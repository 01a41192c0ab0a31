// Deadlines: a storage that hangs never holds a request for long. The S3 store talks to a
// real s3rver through a TCP proxy that can freeze (accept connections, forward nothing),
// which is a storage that never answers; thawing it afterwards lets the test look into the
// bucket and prove that the aborted puts left nothing behind. The SDK's own timeouts are
// left at their defaults (30 s per attempt), so only the handlers' deadlines can answer.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { createId, type ErrorBody, type ImageStore, type UploadedImage } from '@imgstash/core';
import { FIXTURES } from '@imgstash/core/testing';
import { createS3Store } from '@imgstash/s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { noiseImage } from './images.js';
import { fileUpload } from './multipart-body.js';
import { chunked, openRawConnection, type RawResponse, rawRequest, requestHead } from './raw-http.js';
import { startS3rver, type TestServer } from './s3rver.js';
import { FRAMEWORKS, type RunningApp, startApp } from './servers.js';
import { waitFor } from './store-probe.js';

const MiB = 1024 * 1024;
const DEADLINES = { lookup: 800, put: 1200 };
const LATE = 'The storage backend did not answer in time. Try again later.';

/** A TCP proxy to `port` that can stop forwarding, in both directions, and start again. */
interface FreezingProxy {
  port: number;
  /** Stops forwarding now, or once `afterBytes` more bytes have gone upstream. */
  freeze(afterBytes?: number): void;
  thaw(): void;
  close(): Promise<void>;
}

async function freezingProxy(target: number): Promise<FreezingProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let frozen = false;
  let budget = Number.POSITIVE_INFINITY;
  const pauseAll = () => {
    frozen = true;
    for (const [a, b] of pairs) {
      a.pause();
      b.pause();
    }
  };
  const server: Server = createServer((client) => {
    const upstream = connect({ port: target, host: '127.0.0.1' });
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    for (const socket of pair) {
      socket.on('error', () => {});
      socket.on('close', () => {
        pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (data: Buffer) => {
      upstream.write(data);
      budget -= data.length;
      if (budget <= 0) pauseAll();
    });
    upstream.on('data', (data: Buffer) => client.write(data));
    if (frozen) {
      client.pause();
      upstream.pause();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    freeze(afterBytes = 0) {
      budget = afterBytes;
      if (afterBytes <= 0) pauseAll();
    },
    thaw() {
      frozen = false;
      budget = Number.POSITIVE_INFINITY;
      for (const [a, b] of pairs) {
        a.resume();
        b.resume();
      }
    },
    async close() {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let s3: TestServer;
let proxy: FreezingProxy;
let bigPng: Uint8Array;
let prefixes = 0;

beforeAll(async () => {
  [s3, bigPng] = await Promise.all([startS3rver(), noiseImage('png', 2048, 2048, 7)]);
  // Sent chunked, this goes up as a multipart upload of 5 MiB parts.
  expect(bigPng.length).toBeGreaterThan(11 * MiB);
  proxy = await freezingProxy(Number(new URL(s3.endpoint).port));
});
afterAll(async () => {
  await proxy?.close();
  await s3?.close();
});

function upload(app: RunningApp, bytes: Uint8Array, framing: 'length' | 'chunked' = 'length'): Promise<RawResponse> {
  const { body, contentType } = fileUpload(bytes);
  const head = requestHead('POST', '/upload', {
    'Content-Type': contentType,
    ...(framing === 'chunked' ? { 'Transfer-Encoding': 'chunked' } : { 'Content-Length': body.length }),
  });
  return rawRequest(app.port, [head, framing === 'chunked' ? chunked(body) : body], { timeoutMs: 20_000 });
}

const view = (app: RunningApp, id: string) => rawRequest(app.port, requestHead('GET', `/i/${id}`));

function expectDeadline(res: RawResponse) {
  expect(res.status, res.text()).toBe(503);
  expect(res.header('retry-after')).toMatch(/^\d+$/);
  expect(res.header('location')).toBeUndefined();
  // This message is the deadline's own: no SDK timeout or connection error gives it.
  expect(res.json<ErrorBody>().error).toEqual({ code: 'STORAGE_UNAVAILABLE', message: LATE });
}

describe.each(FRAMEWORKS)('%s, with the S3 store behind a storage that stops answering', (framework) => {
  const apps: RunningApp[] = [];
  let prefix = '';
  async function start(): Promise<RunningApp> {
    prefix = `deadline${++prefixes}/`;
    const store: ImageStore = createS3Store({
      bucket: s3.bucket,
      prefix,
      ...s3.connection({ endpoint: `http://127.0.0.1:${proxy.port}` }),
    });
    const app = await startApp(framework, { store, deadlines: DEADLINES, maxBytes: 16 * MiB });
    apps.push(app);
    return app;
  }
  const keys = async () => (await s3.objectKeys()).filter((key) => key.startsWith(prefix));

  afterEach(async () => {
    proxy.thaw();
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  it('answers an upload 503 when its put deadline passes, then keeps serving, and stores nothing', async () => {
    const app = await start();
    proxy.freeze();
    expectDeadline(await upload(app, FIXTURES.png.bytes));
    proxy.thaw();
    // The same process serves the next upload and its redirect.
    const ok = await upload(app, FIXTURES.jpeg.bytes);
    expect(ok.status, ok.text()).toBe(201);
    const { id } = ok.json<UploadedImage>();
    expect((await view(app, id)).status).toBe(302);
    expect(await keys()).toEqual([`${prefix}${id}`]);
  });

  it('answers a redirect of an id never seen 503 when its lookup deadline passes', async () => {
    const app = await start();
    proxy.freeze();
    expectDeadline(await view(app, createId()));
    proxy.thaw();
    expect((await view(app, createId())).status).toBe(404);
  });

  it('answers 503 when the storage freezes in the middle of a multipart upload, and leaves no object and no pending upload', async () => {
    const app = await start();
    const pendingBefore = await s3.pendingUploads();
    // Past CreateMultipartUpload, inside the second part.
    proxy.freeze(7 * MiB);
    expectDeadline(await upload(app, bigPng, 'chunked'));
    proxy.thaw();
    // The aborted upload's AbortMultipartUpload goes through once the storage answers.
    await waitFor(async () => (await s3.pendingUploads()) === pendingBefore, 'no pending multipart upload');
    expect(await keys()).toEqual([]);
  });

  it('answers 503 when the storage freezes during a sized streamed PutObject, and leaves no object', async () => {
    const app = await start();
    proxy.freeze(3 * MiB);
    expectDeadline(await upload(app, bigPng, 'length'));
    proxy.thaw();
    // s3rver keeps a cancelled body's bytes as an object; the store removes that leftover
    // as soon as the storage answers again.
    await waitFor(async () => (await keys()).length === 0, 'no leftover object');
    expect(await keys()).toEqual([]);
  });
});

describe.each(FRAMEWORKS)('%s, with a healthy store and a slow client', (framework) => {
  let s3Store: ImageStore;
  let app: RunningApp;
  beforeAll(async () => {
    s3Store = createS3Store({ ...s3.connection(), bucket: s3.bucket, prefix: `slow-${framework}/` });
    app = await startApp(framework, { store: s3Store, deadlines: { lookup: 800, put: 300 } });
  });
  afterAll(() => app.close());

  it('never cuts off a client that pauses longer than the put deadline between its bytes', async () => {
    const { body, contentType } = fileUpload(FIXTURES.jpeg.bytes);
    const connection = await openRawConnection(app.port, { timeoutMs: 20_000 });
    const response = connection.response();
    await connection.write(
      requestHead('POST', '/upload', { 'Content-Type': contentType, 'Content-Length': body.length }),
    );
    const third = Math.floor(body.length / 3);
    for (const slice of [body.subarray(0, third), body.subarray(third, 2 * third), body.subarray(2 * third)]) {
      await connection.write(slice);
      // Three times the put deadline: only time spent waiting on the store counts.
      await new Promise((resolve) => setTimeout(resolve, 900));
    }
    const res = await response;
    expect(res.status, res.text()).toBe(201);
    const { id, size } = res.json<UploadedImage>();
    expect(size).toBe(FIXTURES.jpeg.bytes.length);
    expect((await s3Store.stat(id))?.size).toBe(FIXTURES.jpeg.bytes.length);
  });
});
