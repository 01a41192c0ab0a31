import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../memory/src/index.js';
import {
  animatedGif,
  bytesOf,
  collect,
  concatBytes,
  noise,
  noisyJpeg,
  pngWithText,
  progressiveJpeg,
  randomSplits,
  realImageVariants,
  repeatChunks,
  sha256Hex,
  splitEvery,
  trackedIterable,
  trackedStream,
} from '../test-helpers/images.js';
import { portableSha256 } from './hash.js';
import { DEFAULT_ALLOWED_TYPES, resolvePolicy } from './policy.js';
import { type PreparedImage, prepareImage } from './prepare.js';
import { SNIFF_BYTES } from './sniff.js';
import { FIXTURES } from './testing/fixtures.js';

const policy = resolvePolicy();
const keepAll = resolvePolicy({ stripMetadata: false });
const withSvg = resolvePolicy({ allowedTypes: [...DEFAULT_ALLOWED_TYPES, 'image/svg+xml'] });
const SVG = bytesOf('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4"/></svg>');

const code = (c: string) => expect.objectContaining({ name: 'ImageStoreError', code: c });

async function* generate(chunks: Iterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

/** Reads a prepared body to its end; returns the chunks read before any error, and the error. */
async function drain(image: PreparedImage): Promise<{ bytes: Uint8Array; error: unknown }> {
  const parts: Uint8Array[] = [];
  try {
    for await (const chunk of image.body) parts.push(chunk.slice());
    return { bytes: concatBytes(...parts), error: undefined };
  } catch (error) {
    return { bytes: concatBytes(...parts), error };
  }
}

async function variants(): Promise<[string, string, Uint8Array][]> {
  return [
    ...Object.entries(FIXTURES).map(([n, f]): [string, string, Uint8Array] => [`the ${n} fixture`, f.type, f.bytes]),
    ...(await realImageVariants()),
  ];
}

describe('prepareImage passes real images through', () => {
  it('passes every real image through byte-identical when stripMetadata is false, with its sniffed type, size and sha256', async () => {
    for (const [name, type, bytes] of await variants()) {
      const image = await prepareImage(bytes, keepAll);
      expect(image.contentType, name).toBe(type);
      const { bytes: out, error } = await drain(image);
      expect(error, name).toBeUndefined();
      expect(out, name).toEqual(bytes);
      expect(image.digest(), name).toMatchObject({ size: bytes.length, sha256: sha256Hex(bytes) });
    }
  });

  it('gives the same bytes and digest from a ReadableStream, an async iterable, random splits and 1-byte chunks', async () => {
    const bytes = await progressiveJpeg();
    const expected = { size: bytes.length, sha256: sha256Hex(bytes), width: 320, height: 240, frames: 1 };
    const sources = [
      trackedStream(randomSplits(bytes, 1, 5000)).stream,
      generate(randomSplits(bytes, 2, 700)),
      generate(splitEvery(bytes, 1)),
      new Blob([bytes as Uint8Array<ArrayBuffer>]).stream(),
    ];
    for (const source of sources) {
      const image = await prepareImage(source, policy);
      expect(await collect(image.body)).toEqual(bytes);
      expect(image.digest()).toEqual(expected);
    }
  });

  it('takes the type from the bytes, never from the type a File claims', async () => {
    for (const [name, fixture] of Object.entries(FIXTURES)) {
      for (const claimed of ['image/png', 'image/gif', 'text/html', 'application/octet-stream']) {
        const file = new File([fixture.bytes as Uint8Array<ArrayBuffer>], 'upload.png', { type: claimed });
        const image = await prepareImage(file.stream(), policy);
        expect(image.contentType, `${name} claimed as ${claimed}`).toBe(fixture.type);
        await collect(image.body);
      }
    }
    const page = new File(['<!DOCTYPE html><script>alert(1)</script>'], 'cat.png', { type: 'image/png' });
    await expect(prepareImage(page.stream(), policy)).rejects.toThrow(code('UNSUPPORTED_MEDIA_TYPE'));
  });

  it('skips empty chunks without changing the result', async () => {
    const bytes = FIXTURES.gif.bytes;
    const empty = new Uint8Array(0);
    const image = await prepareImage(generate([empty, bytes.subarray(0, 3), empty, bytes.subarray(3), empty]), policy);
    expect(await collect(image.body)).toEqual(bytes);
    expect(image.digest().size).toBe(bytes.length);
  });

  it('uses an injected SHA-256, which agrees with node:crypto', async () => {
    const bytes = FIXTURES.webp.bytes;
    let updates = 0;
    const image = await prepareImage(bytes, policy, {
      sha256: () => {
        const h = portableSha256();
        return {
          update: (c) => {
            updates++;
            h.update(c);
          },
          digestHex: () => h.digestHex(),
        };
      },
    });
    await collect(image.body);
    expect(updates).toBeGreaterThan(0);
    expect(image.digest().sha256).toBe(sha256Hex(bytes));
  });

  it('accepts a file of exactly maxBytes', async () => {
    const bytes = FIXTURES.png.bytes;
    const image = await prepareImage(bytes, resolvePolicy({ maxBytes: bytes.length }));
    expect((await drain(image)).error).toBeUndefined();
  });

  it('feeds a store that then holds the exact bytes', async () => {
    const store = createMemoryStore();
    const bytes = await animatedGif();
    const image = await prepareImage(generate(randomSplits(bytes, 3, 1000)), policy);
    await store.put('gif', image.body, { contentType: image.contentType });
    const object = await store.get('gif');
    expect(object?.contentType).toBe('image/gif');
    expect(new Uint8Array(await new Response(object?.body).arrayBuffer())).toEqual(bytes);
    expect(image.digest().sha256).toBe(sha256Hex(bytes));
  });
});

describe('prepareImage refuses before reading the body', () => {
  it.each([
    ['a Uint8Array', () => new Uint8Array(0)],
    ['an empty stream', () => new Blob([]).stream()],
    ['an iterable of empty chunks', () => generate([new Uint8Array(0), new Uint8Array(0)])],
  ])('refuses an empty file given as %s with INVALID_INPUT', async (_what, body) => {
    await expect(prepareImage(body(), policy)).rejects.toThrow(code('INVALID_INPUT'));
  });

  it.each([
    ['an HTML page', bytesOf('<!DOCTYPE html><html><script>alert(1)</script></html>')],
    ['a bare script', bytesOf('<script>alert(document.cookie)</script>')],
    ['plain text', bytesOf('just some text, not an image')],
    ['random bytes', concatBytes(new Uint8Array([0]), noise(4096, 3))],
    ['an SVG, not allowed by default', SVG],
  ])('refuses %s with UNSUPPORTED_MEDIA_TYPE, having read only the head and released the source', async (_w, head) => {
    const source = trackedIterable(repeatChunks(head, 8 * 1024 * 1024, 64));
    await expect(prepareImage(source, policy)).rejects.toThrow(code('UNSUPPORTED_MEDIA_TYPE'));
    expect(source.pulled).toBeLessThan(SNIFF_BYTES + 64);
    expect(source.released).toBe(true);
  });

  it('cancels a ReadableStream source it refuses', async () => {
    const source = trackedStream(repeatChunks(bytesOf('<html><body>'), 1024 * 1024, 100));
    await expect(prepareImage(source.stream, policy)).rejects.toThrow(code('UNSUPPORTED_MEDIA_TYPE'));
    expect(source.released).toBe(true);
    expect(source.pulled).toBeLessThan(SNIFF_BYTES + 100);
  });

  it('refuses a real image whose type the policy leaves out, naming the type for the client', async () => {
    const pngOnly = resolvePolicy({ allowedTypes: ['image/png'] });
    await expect(prepareImage(FIXTURES.jpeg.bytes, pngOnly)).rejects.toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_MEDIA_TYPE', publicMessage: expect.stringContaining('image/jpeg') }),
    );
  });

  it('accepts an SVG when the policy lists it, without structure or markup checks', async () => {
    const image = await prepareImage(SVG, withSvg);
    expect(image.contentType).toBe('image/svg+xml');
    expect(await collect(image.body)).toEqual(SVG);
    expect(image.digest()).toEqual({ size: SVG.length, sha256: sha256Hex(SVG) });
  });

  it('refuses HTML even when SVG is allowed', async () => {
    await expect(prepareImage(bytesOf('<!doctype html><p>x'), withSvg)).rejects.toThrow(code('UNSUPPORTED_MEDIA_TYPE'));
  });
});

describe('prepareImage enforces maxBytes on the stream', () => {
  it('refuses a file whose sniffed head already exceeds maxBytes, and releases the source', async () => {
    const source = trackedIterable(splitEvery(FIXTURES.png.bytes, 200));
    await expect(prepareImage(source, resolvePolicy({ maxBytes: 300 }))).rejects.toThrow(code('PAYLOAD_TOO_LARGE'));
    expect(source.pulled).toBe(400);
    expect(source.released).toBe(true);
  });

  it('refuses a one-chunk file larger than maxBytes', async () => {
    await expect(prepareImage(FIXTURES.png.bytes, resolvePolicy({ maxBytes: 100 }))).rejects.toThrow(
      code('PAYLOAD_TOO_LARGE'),
    );
  });

  it('throws from the body iterator the moment the limit is passed, having pulled a bounded amount', async () => {
    const jpeg = await noisyJpeg();
    const maxBytes = 256 * 1024;
    const chunk = 16 * 1024;
    // A real JPEG head, then 50 MiB more: the check must stop long before the end.
    const source = trackedIterable(repeatChunks(jpeg, 50 * 1024 * 1024, chunk));
    const image = await prepareImage(source, resolvePolicy({ maxBytes }));
    const { bytes, error } = await drain(image);
    expect(error).toEqual(code('PAYLOAD_TOO_LARGE'));
    expect(bytes.length).toBeLessThanOrEqual(maxBytes);
    expect(bytes).toEqual(jpeg.subarray(0, bytes.length));
    expect(source.pulled).toBeGreaterThan(maxBytes);
    expect(source.pulled).toBeLessThanOrEqual(maxBytes + chunk);
    expect(source.released).toBe(true);
    expect(() => image.digest()).toThrow();
  });

  it('reports the limit to the client without internals', async () => {
    const image = await prepareImage(
      generate(splitEvery(await noisyJpeg(), 4096)),
      resolvePolicy({ maxBytes: 10_000 }),
    );
    const { error } = await drain(image);
    expect((error as { publicMessage: string }).publicMessage).toContain('10000');
    expect((error as { status: number }).status).toBe(413);
  });

  it('makes a store abort and keep nothing when the limit is passed mid-put', async () => {
    const store = createMemoryStore();
    const image = await prepareImage(
      generate(splitEvery(await noisyJpeg(), 8192)),
      resolvePolicy({ maxBytes: 50_000 }),
    );
    await expect(store.put('big', image.body, { contentType: image.contentType })).rejects.toThrow(
      code('PAYLOAD_TOO_LARGE'),
    );
    expect(await store.exists('big')).toBe(false);
  });
});

describe('prepareImage checks the structure as the bytes pass', () => {
  it.each(
    Object.entries(FIXTURES),
  )('refuses a truncated %s at its end, having yielded no more than it was given', async (_name, fixture) => {
    // Stripping changed this: a file that ends inside its header now fails in prepareImage itself.
    const cut = fixture.bytes.subarray(0, fixture.bytes.length - 1);
    const image = await prepareImage(generate(splitEvery(cut, 64)), policy).catch((error: unknown) => error);
    if (!(image instanceof Error)) {
      const prepared = image as PreparedImage;
      const { bytes, error } = await drain(prepared);
      expect(error).toEqual(code('UNSUPPORTED_MEDIA_TYPE'));
      expect(bytes).toEqual(cut);
      expect(() => prepared.digest()).toThrow();
    } else expect(image).toEqual(code('UNSUPPORTED_MEDIA_TYPE'));
  });

  it('makes a store abort and keep nothing for a truncated image', async () => {
    const store = createMemoryStore();
    const cut = (await noisyJpeg()).subarray(0, 500_000);
    const image = await prepareImage(generate(splitEvery(cut, 65536)), policy);
    await expect(store.put('cut', image.body, { contentType: image.contentType })).rejects.toThrow(
      code('UNSUPPORTED_MEDIA_TYPE'),
    );
    expect(store.size).toBe(0);
  });

  it('refuses a PNG with HTML after IEND as soon as those bytes arrive, and releases the source', async () => {
    const polyglot = concatBytes(FIXTURES.png.bytes, bytesOf('<html><script>alert(1)</script></html>'));
    const source = trackedIterable([
      ...splitEvery(polyglot, 512),
      ...repeatChunks(new Uint8Array(0), 1024 * 1024, 1024),
    ]);
    const image = await prepareImage(source, policy);
    const { error } = await drain(image);
    expect(error).toEqual(code('UNSUPPORTED_MEDIA_TYPE'));
    expect(source.pulled).toBeLessThanOrEqual(polyglot.length + 512);
    expect(source.released).toBe(true);
  });

  it('refuses a JPEG with <script> after its end marker (camera trailers are fine, markup is not)', async () => {
    const polyglot = concatBytes(FIXTURES.jpeg.bytes, bytesOf('<script>alert(1)</script>'));
    const { error } = await drain(await prepareImage(generate(splitEvery(polyglot, 7)), policy));
    expect(error).toEqual(code('UNSUPPORTED_MEDIA_TYPE'));
    const trailer = concatBytes(FIXTURES.jpeg.bytes, bytesOf('\0\0MotionPhoto_Data'));
    expect((await drain(await prepareImage(trailer, policy))).error).toBeUndefined();
  });

  it('refuses a PNG with <script> in a tEXt chunk', async () => {
    // Refused, not just stripped: the uploader is hostile. The chunk precedes IDAT, so prepareImage itself throws.
    const png = await pngWithText('Comment', '<script>alert(1)</script>');
    await expect(prepareImage(png, policy)).rejects.toThrow(code('UNSUPPORTED_MEDIA_TYPE'));
  });
});

describe('prepareImage body and digest', () => {
  it('throws from digest() before the body has been read to its end', async () => {
    const image = await prepareImage(FIXTURES.png.bytes, policy);
    expect(() => image.digest()).toThrow(/digest\(\) before the body was fully read/);
    const it = image.body[Symbol.asyncIterator]();
    await it.next();
    expect(() => image.digest()).toThrow();
  });

  it('throws when the body is read a second time', async () => {
    const image = await prepareImage(FIXTURES.png.bytes, policy);
    await collect(image.body);
    await expect(collect(image.body)).rejects.toThrow(/read once/);
  });

  it('releases the source when the consumer stops reading early', async () => {
    const bytes = await noisyJpeg();
    const source = trackedStream(splitEvery(bytes, 4096));
    const image = await prepareImage(source.stream, policy);
    for await (const _chunk of image.body) break;
    expect(source.released).toBe(true);
    expect(source.pulled).toBeLessThan(bytes.length);
  });

  it('passes a source failure through and releases the source', async () => {
    const failure = new Error('connection reset');
    let released = false;
    const source: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]() {
        let step = 0;
        return {
          async next() {
            if (step++ === 0) return { done: false, value: FIXTURES.png.bytes.subarray(0, 600) };
            throw failure;
          },
          async return() {
            released = true;
            return { done: true, value: undefined };
          },
        };
      },
    };
    const { error } = await drain(await prepareImage(source, policy));
    expect(error).toBe(failure);
    expect(released).toBe(true);
  });
});
