import { isImageStoreError } from '../errors.js';
import type { ImageStore } from '../types.js';
import { sendPresignedUpload } from './direct-upload.js';
import { FIXTURES } from './fixtures.js';

/** The test functions the suite needs; vitest's, jest's or node:test's fit. */
export interface TestFunctions {
  describe: (name: string, fn: () => void) => unknown;
  it: (name: string, fn: () => Promise<void>, timeout?: number) => unknown;
}

/** What a store under test can do, and how the suite reaches it. */
export interface ContractOptions<S extends ImageStore = ImageStore> extends TestFunctions {
  /** Creates a fresh, empty store. Called once per test. */
  create: () => S | Promise<S>;
  /** Disposes of a store after its test. */
  destroy?: (store: S) => void | Promise<void>;
  /**
   * Fetches a signed URL and returns the response: a real `fetch` for remote stores,
   * core's `serveSignedUrl` for local ones.
   */
  fetchSignedUrl: (url: string, store: S) => Promise<Response>;
  /**
   * Counts what a put may leave behind besides objects: temporary files, pending
   * multipart uploads. Checked to be unchanged after failed and aborted puts.
   */
  leftovers?: (store: S) => Promise<number>;
  /**
   * Whether the storage itself refuses a direct upload (see `presignUpload`) whose body is
   * longer than, or of another type than, what was signed. Default true. Set it to false only
   * for a test server that ignores POST policies (s3rver): core's `complete` check still
   * refuses such a body, and that is tested apart.
   */
  enforcesUploads?: boolean;
  /** Timeout for the large-body tests, in ms. Default 60000. */
  largeTimeout?: number;
  /** Size of the large streamed body. Default 20 MiB; at least 20 MiB is required to pass. */
  largeSize?: number;
}

class ContractFailure extends Error {
  override name = 'ContractFailure';
}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new ContractFailure(message);
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

async function readStream(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function rejectsWith(promise: Promise<unknown>, code: string | undefined, what: string): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    if (code !== undefined) {
      check(
        isImageStoreError(error) && error.code === code,
        `${what}: expected ImageStoreError ${code}, got ${String((error as Error)?.name)}: ${String((error as Error)?.message)}`,
      );
    }
    return error;
  }
  throw new ContractFailure(`${what}: expected a rejection`);
}

/** A deterministic byte generator (xorshift), so large bodies can be checked without keeping them. */
function pattern(seed: number) {
  let x = seed >>> 0 || 1;
  return (size: number): Uint8Array => {
    const out = new Uint8Array(size);
    for (let i = 0; i < size; i += 4) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      out[i] = x & 0xff;
      out[i + 1] = (x >>> 8) & 0xff;
      out[i + 2] = (x >>> 16) & 0xff;
      out[i + 3] = (x >>> 24) & 0xff;
    }
    return out;
  };
}

/** A stream of `total` deterministic bytes in `chunk`-sized pieces, without a known length. */
export function patternStream(total: number, seed: number = 7, chunk: number = 256 * 1024): ReadableStream<Uint8Array> {
  const next = pattern(seed);
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= total) {
        controller.close();
        return;
      }
      const n = Math.min(chunk, total - sent);
      sent += n;
      controller.enqueue(next(n));
    },
  });
}

/** Reads a stream and compares it with {@link patternStream}'s bytes chunk by chunk. */
async function matchesPattern(stream: ReadableStream<Uint8Array>, total: number, seed = 7): Promise<boolean> {
  const expected = patternStream(total, seed, 64 * 1024).getReader();
  let pending: Uint8Array = new Uint8Array(0);
  let seen = 0;
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
    let at = 0;
    while (at < chunk.length) {
      if (pending.length === 0) {
        const r = await expected.read();
        if (r.done) return false;
        pending = r.value;
      }
      const n = Math.min(pending.length, chunk.length - at);
      if (!equalBytes(pending.subarray(0, n), chunk.subarray(at, at + n))) return false;
      pending = pending.subarray(n);
      at += n;
    }
    seen += chunk.length;
  }
  return seen === total && pending.length === 0 && (await expected.read()).done === true;
}

async function* iterable(chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const c of chunks) yield c;
}

/** Keys every store must refuse with `INVALID_INPUT`, before any I/O. */
export const INVALID_KEYS: readonly string[] = [
  '',
  '..',
  '../etc/passwd',
  'a/b',
  'a\\b',
  '/abs',
  'a\u0000b',
  '%2e%2e',
  'a%2Fb',
  '.hidden',
  'a b',
  'caf\u00e9',
  'x'.repeat(129),
  'a..b',
];

/**
 * Registers the imgstash store contract: every store in the repository runs it, and
 * third-party stores can too. It needs only `describe` and `it`, so vitest is not a
 * runtime import.
 *
 * @example
 * ```ts
 * import { describe, it } from 'vitest';
 * import { describeImageStore, serveSignedUrl } from '@imgstash/core/testing';
 * describeImageStore('memory', {
 *   describe, it,
 *   create: () => createMemoryStore(),
 *   fetchSignedUrl: (url, store) => serveSignedUrl(store, new Request(new URL(url, 'http://local'))),
 * });
 * ```
 */
export function describeImageStore<S extends ImageStore>(name: string, options: ContractOptions<S>): void {
  const { describe, it } = options;
  const largeTimeout = options.largeTimeout ?? 60_000;
  const largeSize = Math.max(options.largeSize ?? 20 * 1024 * 1024, 20 * 1024 * 1024);

  const withStore = (fn: (store: S) => Promise<void>) => async () => {
    const store = await options.create();
    try {
      await fn(store);
    } finally {
      await options.destroy?.(store);
    }
  };
  const leftovers = (store: S) => options.leftovers?.(store) ?? Promise.resolve(0);

  describe(`ImageStore contract: ${name}`, () => {
    for (const [kind, fixture] of Object.entries(FIXTURES)) {
      it(
        `round-trips a real ${kind} through put, exists, stat, get and delete`,
        withStore(async (store) => {
          const key = `rt-${kind}`;
          const stored = await store.put(key, fixture.bytes, { contentType: fixture.type });
          check(stored.key === key, 'put returns the key');
          check(stored.size === fixture.bytes.length, 'put returns the size');
          check(stored.contentType === fixture.type, 'put returns the content type');
          check((await store.exists(key)) === true, 'exists is true after put');
          const info = await store.stat(key);
          check(info !== undefined, 'stat finds the object');
          check(info.size === fixture.bytes.length, `stat size ${info.size}`);
          check(info.contentType === fixture.type, `stat type ${info.contentType}`);
          check(typeof info.etag === 'string' && info.etag.length > 0, 'stat has an etag');
          const object = await store.get(key);
          check(object !== undefined, 'get finds the object');
          check(object.contentType === fixture.type, 'get has the type');
          check(equalBytes(await readStream(object.body), fixture.bytes), 'get returns the exact bytes');
          await store.delete(key);
          check((await store.exists(key)) === false, 'exists is false after delete');
          check((await store.stat(key)) === undefined, 'stat is undefined after delete');
          check((await store.get(key)) === undefined, 'get is undefined after delete');
        }),
      );
    }

    it(
      'accepts a body given as a ReadableStream or an AsyncIterable',
      withStore(async (store) => {
        const bytes = FIXTURES.png.bytes;
        const halves = [bytes.subarray(0, 1000), bytes.subarray(1000)];
        await store.put('as-iterable', iterable(halves), { contentType: 'image/png' });
        await store.put(
          'as-stream',
          new Response(bytes as Uint8Array<ArrayBuffer>).body as ReadableStream<Uint8Array>,
          {
            contentType: 'image/png',
          },
        );
        for (const key of ['as-iterable', 'as-stream']) {
          const object = await store.get(key);
          check(object && equalBytes(await readStream(object.body), bytes), `${key} round-trips`);
        }
      }),
    );

    it(
      `streams a body of ${largeSize} bytes of unknown length, in and out`,
      withStore(async (store) => {
        const stored = await store.put('large', patternStream(largeSize), { contentType: 'image/png' });
        check(stored.size === largeSize, `put size ${stored.size}`);
        check((await store.stat('large'))?.size === largeSize, 'stat size of the large object');
        const object = await store.get('large');
        check(object !== undefined, 'get finds the large object');
        check(await matchesPattern(object.body, largeSize), 'large body comes back byte-identical');
      }),
      largeTimeout,
    );

    it(
      'leaves nothing behind when a put is aborted mid-stream',
      withStore(async (store) => {
        const before = await leftovers(store);
        const controller = new AbortController();
        let sent = 0;
        const total = 12 * 1024 * 1024;
        const next = pattern(3);
        const body = new ReadableStream<Uint8Array>({
          pull(c) {
            if (sent >= total) {
              c.close();
              return;
            }
            sent += 256 * 1024;
            c.enqueue(next(256 * 1024));
            // Abort once a good part of the body has gone through.
            if (sent >= 6 * 1024 * 1024) controller.abort();
          },
        });
        const error = await rejectsWith(
          store.put('aborted', body, { contentType: 'image/png', signal: controller.signal }),
          undefined,
          'aborted put',
        );
        check((error as Error)?.name === 'AbortError', `aborted put rejects with AbortError, got ${String(error)}`);
        check((await store.exists('aborted')) === false, 'no object after an aborted put');
        check((await leftovers(store)) === before, 'no temporary files or pending uploads after an aborted put');
      }),
      largeTimeout,
    );

    it(
      'rejects a put whose signal is already aborted, and stores nothing',
      withStore(async (store) => {
        const controller = new AbortController();
        controller.abort();
        await rejectsWith(
          store.put('pre-aborted', FIXTURES.jpeg.bytes, { contentType: 'image/jpeg', signal: controller.signal }),
          undefined,
          'pre-aborted put',
        );
        check((await store.exists('pre-aborted')) === false, 'no object after a pre-aborted put');
      }),
    );

    it(
      'leaves nothing behind when the body fails mid-stream, and keeps an object already stored',
      withStore(async (store) => {
        await store.put('keep', FIXTURES.gif.bytes, { contentType: 'image/gif' });
        const before = await leftovers(store);
        const failing = new ReadableStream<Uint8Array>({
          start(c) {
            c.enqueue(new Uint8Array(64 * 1024));
          },
          pull(c) {
            c.error(new Error('client went away'));
          },
        });
        await rejectsWith(store.put('broken', failing, { contentType: 'image/png' }), undefined, 'failing body');
        await rejectsWith(
          store.put('keep', failing, { contentType: 'image/png' }),
          undefined,
          'failing body over an existing key',
        );
        check((await store.exists('broken')) === false, 'no object after a failed body');
        const kept = await store.get('keep');
        check(kept && equalBytes(await readStream(kept.body), FIXTURES.gif.bytes), 'the existing object survives');
        check((await leftovers(store)) === before, 'no leftovers after a failed body');
      }),
    );

    it(
      'refuses a body whose length differs from the declared size, and stores nothing',
      withStore(async (store) => {
        await rejectsWith(
          store.put('short', FIXTURES.png.bytes, { contentType: 'image/png', size: FIXTURES.png.bytes.length + 10 }),
          'INVALID_INPUT',
          'size mismatch',
        );
        check((await store.exists('short')) === false, 'no object after a size mismatch');
      }),
    );

    it(
      'keeps a Unicode filename, metadata and cache-control through the round trip',
      withStore(async (store) => {
        const filename = 'Фото 🐱 写真 "été" 2024.png';
        await store.put('named', FIXTURES.png.bytes, {
          contentType: 'image/png',
          filename,
          metadata: { owner: 'user-42' },
          cacheControl: 'public, max-age=31536000, immutable',
        });
        const info = await store.stat('named');
        check(info?.filename === filename, `filename came back as ${JSON.stringify(info?.filename)}`);
        check(info?.metadata.owner === 'user-42', 'metadata round-trips');
        check(info?.cacheControl === 'public, max-age=31536000, immutable', 'cacheControl round-trips');
        check((await store.get('named'))?.filename === filename, 'get carries the filename');
      }),
    );

    it(
      'reports a missing key as absent, and deletes idempotently',
      withStore(async (store) => {
        check((await store.exists('missing')) === false, 'exists is false');
        check((await store.stat('missing')) === undefined, 'stat is undefined');
        check((await store.get('missing')) === undefined, 'get is undefined');
        await store.delete('missing');
        await store.put('twice', FIXTURES.webp.bytes, { contentType: 'image/webp' });
        await store.delete('twice');
        await store.delete('twice');
        check((await store.exists('twice')) === false, 'deleted');
      }),
    );

    it(
      'refuses every key that could escape its namespace, with INVALID_INPUT and no I/O',
      withStore(async (store) => {
        for (const key of INVALID_KEYS) {
          const what = `key ${JSON.stringify(key.slice(0, 20))}`;
          await rejectsWith(
            store.put(key, FIXTURES.png.bytes, { contentType: 'image/png' }),
            'INVALID_INPUT',
            `put ${what}`,
          );
          await rejectsWith(store.exists(key), 'INVALID_INPUT', `exists ${what}`);
          await rejectsWith(store.stat(key), 'INVALID_INPUT', `stat ${what}`);
          await rejectsWith(store.get(key), 'INVALID_INPUT', `get ${what}`);
          await rejectsWith(store.delete(key), 'INVALID_INPUT', `delete ${what}`);
          await rejectsWith(store.signedUrl(key), 'INVALID_INPUT', `signedUrl ${what}`);
        }
      }),
    );

    it(
      'refuses invalid put options with INVALID_INPUT',
      withStore(async (store) => {
        const bytes = FIXTURES.png.bytes;
        await rejectsWith(
          store.put('opt', bytes, { contentType: 'image/png\r\nx-evil: 1' }),
          'INVALID_INPUT',
          'CRLF type',
        );
        await rejectsWith(store.put('opt', bytes, { contentType: '' }), 'INVALID_INPUT', 'empty type');
        await rejectsWith(
          store.put('opt', bytes, { contentType: 'image/png', metadata: { 'Bad Key': 'x' } }),
          'INVALID_INPUT',
          'bad metadata key',
        );
        await rejectsWith(
          store.put('opt', bytes, { contentType: 'image/png', metadata: { note: 'caf\u00e9' } }),
          'INVALID_INPUT',
          'non-ASCII metadata value',
        );
        check((await store.exists('opt')) === false, 'nothing stored');
      }),
    );

    it(
      'runs concurrent puts of different keys safely',
      withStore(async (store) => {
        const kinds = Object.values(FIXTURES);
        const keys = Array.from({ length: 24 }, (_, i) => `c${i}`);
        await Promise.all(
          keys.map((key, i) => {
            const f = kinds[i % kinds.length] as (typeof kinds)[number];
            return store.put(key, iterable([f.bytes.subarray(0, 100), f.bytes.subarray(100)]), {
              contentType: f.type,
            });
          }),
        );
        await Promise.all(
          keys.map(async (key, i) => {
            const f = kinds[i % kinds.length] as (typeof kinds)[number];
            const object = await store.get(key);
            check(object && equalBytes(await readStream(object.body), f.bytes), `${key} intact`);
          }),
        );
      }),
    );

    it(
      'replaces an object on a second put to the same key',
      withStore(async (store) => {
        await store.put('same', FIXTURES.png.bytes, { contentType: 'image/png' });
        await store.put('same', FIXTURES.jpeg.bytes, { contentType: 'image/jpeg' });
        const object = await store.get('same');
        check(object?.contentType === 'image/jpeg', 'the second type wins');
        check(object && equalBytes(await readStream(object.body), FIXTURES.jpeg.bytes), 'the second body wins');
      }),
    );

    it(
      'signs a URL that serves the exact bytes, and refuses it once tampered with or expired',
      withStore(async (store) => {
        await store.put('signed', FIXTURES.jpeg.bytes, { contentType: 'image/jpeg' });
        await store.put('other', FIXTURES.png.bytes, { contentType: 'image/png' });
        const url = await store.signedUrl('signed', { expiresIn: 120 });
        const ok = await options.fetchSignedUrl(url, store);
        check(ok.status === 200, `signed URL answers ${ok.status}`);
        check(ok.headers.get('content-type') === 'image/jpeg', `served as ${ok.headers.get('content-type')}`);
        check(equalBytes(new Uint8Array(await ok.arrayBuffer()), FIXTURES.jpeg.bytes), 'signed URL serves the bytes');

        const forged = url.replace(/([?&](?:sig|X-Amz-Signature)=)([^&]*)/, (_m, p: string, s: string) => {
          const last = s.at(-1) === 'a' ? 'b' : 'a';
          return `${p}${s.slice(0, -1)}${last}`;
        });
        check(forged !== url, 'the URL carries a signature parameter');
        const r1 = await options.fetchSignedUrl(forged, store);
        await r1.body?.cancel();
        check(r1.status === 403, `a forged signature answers ${r1.status}`);

        const otherKey = url.replace('/signed?', '/other?');
        const r2 = await options.fetchSignedUrl(otherKey, store);
        await r2.body?.cancel();
        check(r2.status === 403, `a signature moved to another key answers ${r2.status}`);

        const expired = await store.signedUrl('signed', { expiresIn: 60, signedAt: Date.now() - 3600_000 });
        const r3 = await options.fetchSignedUrl(expired, store);
        await r3.body?.cancel();
        check(r3.status === 403, `an expired URL answers ${r3.status}`);
      }),
    );

    it(
      'rejects exists, stat, get, delete and signedUrl with the abort reason when their signal is aborted, and keeps the object',
      withStore(async (store) => {
        await store.put('kept', FIXTURES.png.bytes, { contentType: 'image/png' });
        const controller = new AbortController();
        const reason = new DOMException('deadline passed', 'TimeoutError');
        controller.abort(reason);
        const signal = controller.signal;
        const calls: [string, () => Promise<unknown>][] = [
          ['exists', () => store.exists('kept', { signal })],
          ['stat', () => store.stat('kept', { signal })],
          ['get', () => store.get('kept', { signal })],
          ['delete', () => store.delete('kept', { signal })],
          ['signedUrl', () => store.signedUrl('kept', { signal })],
        ];
        for (const [what, call] of calls) {
          const error = await rejectsWith(call(), undefined, `${what} with an aborted signal`);
          check(error === reason, `${what} rejects with the signal's reason, got ${String(error)}`);
        }
        check((await store.exists('kept')) === true, 'the aborted delete removed nothing');
      }),
    );

    it(
      'lists the objects under a prefix, with their sizes, when the store can list',
      withStore(async (store) => {
        if (!store.list) return;
        const list = store.list.bind(store);
        const collect = async (prefix: string) => {
          const found: { key: string; size: number }[] = [];
          for await (const entry of list(prefix)) {
            check(entry.lastModified === undefined || entry.lastModified instanceof Date, 'lastModified is a Date');
            found.push({ key: entry.key, size: entry.size });
          }
          return found.sort((a, b) => a.key.localeCompare(b.key));
        };
        await store.put('listed', FIXTURES.png.bytes, { contentType: 'image/png' });
        await store.put('listed.thumb.webp', FIXTURES.webp.bytes, { contentType: 'image/webp' });
        await store.put('listed.large.jpg', FIXTURES.jpeg.bytes, { contentType: 'image/jpeg' });
        await store.put('other', FIXTURES.gif.bytes, { contentType: 'image/gif' });
        const derived = await collect('listed.');
        check(
          JSON.stringify(derived) ===
            JSON.stringify([
              { key: 'listed.large.jpg', size: FIXTURES.jpeg.bytes.length },
              { key: 'listed.thumb.webp', size: FIXTURES.webp.bytes.length },
            ]),
          `list('listed.') found ${JSON.stringify(derived)}`,
        );
        const all = (await collect('')).map((entry) => entry.key);
        check(
          JSON.stringify(all) === JSON.stringify(['listed', 'listed.large.jpg', 'listed.thumb.webp', 'other']),
          `list('') found ${all}`,
        );
        check((await collect('nothing-here')).length === 0, 'an unused prefix lists nothing');
        await store.delete('listed.thumb.webp');
        check((await collect('listed.')).length === 1, 'a deleted object is no longer listed');
        for (const bad of ['../', 'a/b', '.hidden']) {
          await rejectsWith(
            (async () => {
              for await (const _ of list(bad)) {
                // draining
              }
            })(),
            'INVALID_INPUT',
            `list(${JSON.stringify(bad)})`,
          );
        }
      }),
    );

    it(
      'presigns a direct upload of exactly the declared size and type, when the store can',
      withStore(async (store) => {
        if (!store.presignUpload) return;
        const presign = store.presignUpload.bind(store);
        const png = FIXTURES.png.bytes;
        const upload = await presign('pending.contract', {
          size: png.length,
          contentType: 'image/png',
          expiresIn: 300,
        });
        check(upload.method === 'POST' || upload.method === 'PUT', `method ${String(upload.method)}`);
        check(upload.method === 'PUT' || upload.fields !== undefined, 'a POST upload has form fields');
        const sent = await sendPresignedUpload(upload, png, { contentType: 'image/png', store });
        check(sent.ok, `the signed upload answers ${sent.status}: ${await sent.text()}`);
        const info = await store.stat('pending.contract');
        check(info?.size === png.length, `the uploaded object has ${info?.size} bytes`);
        check(info?.contentType === 'image/png', `the uploaded object has type ${info?.contentType}`);
        const object = await store.get('pending.contract');
        check(object && equalBytes(await readStream(object.body), png), 'the uploaded bytes come back');
        for (const [what, bad] of [
          ['a zero size', { size: 0, contentType: 'image/png' }],
          ['a fractional size', { size: 1.5, contentType: 'image/png' }],
          ['a type with a header in it', { size: 10, contentType: 'image/png\r\nx-evil: 1' }],
        ] as const) {
          await rejectsWith(presign('pending.bad', bad), 'INVALID_INPUT', `presignUpload with ${what}`);
        }
        for (const key of INVALID_KEYS) {
          await rejectsWith(
            presign(key, { size: 10, contentType: 'image/png' }),
            'INVALID_INPUT',
            `presignUpload of key ${JSON.stringify(key.slice(0, 20))}`,
          );
        }
      }),
    );

    it(
      'has the storage refuse a direct upload longer than signed, or of another type, and store nothing',
      withStore(async (store) => {
        if (!store.presignUpload || options.enforcesUploads === false) return;
        const png = FIXTURES.png.bytes;
        const upload = await store.presignUpload('pending.strict', { size: png.length, contentType: 'image/png' });
        const longer = new Uint8Array(png.length + 1000);
        longer.set(png);
        const tooLong = await sendPresignedUpload(upload, longer, { contentType: 'image/png', store });
        check(!tooLong.ok, `a longer body answers ${tooLong.status}`);
        check((await store.exists('pending.strict')) === false, 'nothing stored after a longer body');
        const otherType = await sendPresignedUpload(upload, png, { contentType: 'text/html', store });
        check(!otherType.ok, `another type answers ${otherType.status}`);
        check((await store.exists('pending.strict')) === false, 'nothing stored after another type');
      }),
    );

    it(
      'gives the same URL for the same signing time, so caches can reuse it',
      withStore(async (store) => {
        const signedAt = Date.now();
        const a = await store.signedUrl('stable', { expiresIn: 600, signedAt });
        const b = await store.signedUrl('stable', { expiresIn: 600, signedAt });
        check(a === b, 'same signing time, same URL');
      }),
    );

    it(
      'serves a signed URL as an attachment with the requested filename',
      withStore(async (store) => {
        await store.put('dl', FIXTURES.png.bytes, { contentType: 'image/png' });
        const url = await store.signedUrl('dl', { disposition: 'attachment', filename: 'holiday.png' });
        const res = await options.fetchSignedUrl(url, store);
        await res.body?.cancel();
        check(res.status === 200, `answers ${res.status}`);
        const cd = res.headers.get('content-disposition') ?? '';
        check(cd.startsWith('attachment') && cd.includes('holiday.png'), `content-disposition ${cd}`);
      }),
    );
  });
}
