// Puts of a known size above 1 MiB (every upload that arrives with a Content-Length):
// one PutObject streamed as the bytes arrive, against a real S3-protocol server (s3rver).
// Whatever goes wrong before the last byte, nothing is stored.
import { createHash } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { ImageStore, ImageStoreError } from '@imgstash/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client, type S3ConnectionOptions } from './s3-client.js';
import { createS3Store } from './s3-store.js';
import { caught } from './testing/caught.js';
import { BUCKET, recordRequests, startS3rver, type TestServer } from './testing/s3rver-fixture.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const SIZE = 3 * MiB + 123;
let server: TestServer;
let tests = 0;

beforeAll(async () => {
  server = await startS3rver();
});
afterAll(async () => {
  await server?.close();
});

const connection = (extra: S3ConnectionOptions = {}): S3ConnectionOptions => server.connection(extra);

/** A store under its own prefix, whose client records every request. */
function recordedStore() {
  const prefix = `stream${++tests}/`;
  const client = createS3Client(connection());
  const requests = recordRequests(client);
  const store = createS3Store({ bucket: BUCKET, prefix, client });
  const sent = (command: string) => requests.filter((r) => r.command === command);
  const stored = async () => (await server.objectKeys()).filter((key) => key.startsWith(prefix));
  // s3rver keeps a cancelled body as the object, and may write it after the put has
  // settled; the store deletes it then. Nothing may remain once that is done.
  const expectNothingStored = async () => {
    await expect.poll(stored, { timeout: 3000, interval: 50 }).toEqual([]);
  };
  return { store, client, prefix, sent, stored, expectNothingStored };
}

/** Deterministic bytes. */
function bytes(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** `data` in 64 KiB chunks, then `end()` (which may throw, as core's end-of-file checks do). */
async function* chunksOf(data: Uint8Array, end: () => void = () => {}, pause = 0): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < data.length; at += 64 * KiB) {
    if (pause) await new Promise((resolve) => setTimeout(resolve, pause));
    yield data.subarray(at, at + 64 * KiB);
  }
  end();
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

describe('S3 store: streamed puts of a known size', () => {
  it('sends a body of known size in one PutObject of that length, with no multipart upload, byte-identical', async () => {
    const { store, client, prefix, sent } = recordedStore();
    const data = bytes(SIZE);
    const result = await store.put('streamed', chunksOf(data), { contentType: 'image/png', size: SIZE });
    expect(result.size).toBe(SIZE);
    const puts = sent('PutObjectCommand');
    expect(puts).toHaveLength(1);
    expect(puts[0]?.headers['content-length']).toBe(String(SIZE));
    expect(sent('CreateMultipartUploadCommand')).toHaveLength(0);
    const out = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: `${prefix}streamed` }));
    expect(sha256(await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray())).toBe(
      sha256(data),
    );
  });

  it('stores nothing when the body fails after its last byte, and rejects with the body’s error', async () => {
    const { store, expectNothingStored } = recordedStore();
    const late = new Error('the structure check failed at the end');
    const error = await caught(
      store.put(
        'late-failure',
        chunksOf(bytes(SIZE), () => {
          throw late;
        }),
        { contentType: 'image/png', size: SIZE },
      ),
    );
    expect(error).toBe(late);
    await expectNothingStored();
  });

  it.each([
    ['longer', SIZE + 1],
    ['shorter', SIZE - 1],
  ])('refuses a body %s than its size with INVALID_INPUT, and stores nothing', async (_what, actual) => {
    const { store, expectNothingStored } = recordedStore();
    const error = (await caught(
      store.put('wrong-size', chunksOf(bytes(actual)), { contentType: 'image/png', size: SIZE }),
    )) as ImageStoreError;
    expect(error.code).toBe('INVALID_INPUT');
    await expectNothingStored();
  });

  it('stores nothing when the put is aborted halfway, and rejects with an AbortError', async () => {
    const { store, expectNothingStored } = recordedStore();
    const controller = new AbortController();
    const data = bytes(SIZE);
    async function* body() {
      for await (const chunk of chunksOf(data)) {
        yield chunk;
        if (chunk.byteOffset >= MiB) controller.abort();
      }
    }
    const error = (await caught(
      store.put('aborted', body(), { contentType: 'image/png', size: SIZE, signal: controller.signal }),
    )) as Error;
    expect(error.name).toBe('AbortError');
    await expectNothingStored();
  });

  it('lets a slow body take longer than requestTimeout: only the server’s waits are timed', async () => {
    const prefix = `stream${++tests}/`;
    const store: ImageStore = createS3Store({ bucket: BUCKET, prefix, ...connection({ requestTimeout: 300 }) });
    const data = bytes(1536 * KiB);
    // 24 chunks, 25 ms apart: about 600 ms in all, twice the requestTimeout.
    await store.put('slow', chunksOf(data, undefined, 25), { contentType: 'image/png', size: data.length });
    expect((await store.stat('slow'))?.size).toBe(data.length);
  });

  it('reports a server that never answers as STORAGE_UNAVAILABLE once requestTimeout passes', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as { port: number };
      const store = createS3Store({
        bucket: BUCKET,
        ...connection({ endpoint: `http://127.0.0.1:${port}`, requestTimeout: 300, maxAttempts: 1 }),
      });
      const error = (await caught(
        store.put('x', chunksOf(bytes(SIZE)), { contentType: 'image/png', size: SIZE }),
      )) as ImageStoreError;
      expect(error.code).toBe('STORAGE_UNAVAILABLE');
      expect(error.message).toContain('timed out');
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });
});
