import fc from 'fast-check';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../../memory/src/index.js';
import {
  bytesOf,
  collect,
  concatBytes,
  containsText,
  decodedPixels,
  jpegSegment,
  pngChunk,
  randomSplits,
  SECRETS,
  sha256Hex,
  solidPngBomb,
  splitEvery,
  type TaggedFormat,
  taggedImage,
  taggedType,
  trackedIterable,
} from '../../test-helpers/images.js';
import { resolvePolicy, type UploadPolicy } from '../policy.js';
import { prepareImage } from '../prepare.js';
import { createImageRewriter } from './index.js';

const policy = resolvePolicy();
const keepAll = resolvePolicy({ stripMetadata: false });
const FORMATS: TaggedFormat[] = ['jpeg', 'progressive-jpeg', 'png', 'webp', 'animated-webp', 'avif', 'gif'];
const code = (c: string) => expect.objectContaining({ name: 'ImageStoreError', code: c });

async function* generate(chunks: Iterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

/** Prepares and reads `source`; returns the stored bytes, the prepared image, or the error from either phase. */
async function run(source: Uint8Array | Iterable<Uint8Array>, with_: UploadPolicy = policy, expectedSize?: number) {
  try {
    const image = await prepareImage(
      source instanceof Uint8Array ? source : generate(source),
      with_,
      expectedSize === undefined ? {} : { expectedSize },
    );
    const bytes = await collect(image.body);
    return { image, bytes, error: undefined };
  } catch (error) {
    return { image: undefined, bytes: undefined, error };
  }
}

async function strip(bytes: Uint8Array, with_: UploadPolicy = policy) {
  const { image, bytes: out, error } = await run(bytes, with_, bytes.length);
  if (error || !image || !out) throw error;
  return { image, out };
}

describe('stripMetadata removes what identifies the uploader, losslessly', () => {
  it.each(FORMATS)('leaves no GPS, make, model, XMP, IPTC or comment in a %s, and the same pixels', async (format) => {
    const input = await taggedImage(format);
    const before = await sharp(input).metadata();
    expect(SECRETS.filter((s) => containsText(input, s)).length, 'the input carries them').toBeGreaterThan(1);
    if (format !== 'gif') expect(before.exif, 'the input has EXIF').toBeDefined();
    const { image, out } = await strip(input);
    expect(image.contentType).toBe(taggedType(format));
    for (const secret of SECRETS) expect(containsText(out, secret), secret).toBe(false);
    const after = await sharp(out).metadata();
    expect(after.exif, 'no EXIF left (orientation 1 needs none)').toBeUndefined();
    expect(after.xmp).toBeUndefined();
    expect(after.iptc).toBeUndefined();
    expect(after.comments ?? []).toEqual([]);
    expect(after.icc, 'the ICC profile is kept').toEqual(before.icc);
    expect(after.pages ?? 1).toBe(before.pages ?? 1);
    expect(await decodedPixels(out)).toEqual(await decodedPixels(input));
    expect(out.length).toBeLessThanOrEqual(input.length);
  });

  it.each(FORMATS)('announces the stored size of a %s before it streams, and digest() agrees', async (format) => {
    const input = await taggedImage(format);
    const { image, out } = await strip(input);
    expect(image.size).toBe(out.length);
    expect(image.digest()).toEqual({
      size: out.length,
      sha256: sha256Hex(out),
      width: 64,
      height: 48,
      frames: format === 'gif' || format === 'animated-webp' ? 3 : 1,
    });
    expect([image.width, image.height]).toEqual([64, 48]);
  });

  it.each(
    FORMATS,
  )('passes a %s through byte for byte when stripMetadata is false, still reading its size', async (format) => {
    const input = await taggedImage(format);
    const { image, out } = await strip(input, keepAll);
    expect(out).toEqual(input);
    expect([image.width, image.height, image.size]).toEqual([64, 48, input.length]);
  });

  it('removes the metadata that precedes the image data and zeroes the rest in place, keeping the length fixed after the head', async () => {
    // A progressive JPEG's late segments, a PNG's text after IDAT, a WebP's trailing EXIF/XMP.
    for (const format of ['progressive-jpeg', 'png', 'webp'] as const) {
      const input = await taggedImage(format);
      const { out } = await strip(input);
      expect(containsText(out, format === 'webp' ? 'JUNK' : format === 'png' ? 'nuLl' : 'Exif'), format).toBe(
        format !== 'progressive-jpeg',
      );
    }
  });

  it('keeps the RIFF size of a WebP right and clears its VP8X EXIF and XMP flags', async () => {
    const input = await taggedImage('webp');
    expect((input[20] as number) & 0x0c).toBe(0x0c);
    const { out } = await strip(input);
    expect(new DataView(out.buffer, out.byteOffset).getUint32(4, true)).toBe(out.length - 8);
    expect((out[20] as number) & 0x0c).toBe(0);
  });

  it('removes an EXIF chunk placed before the WebP image data, shrinking the RIFF size', async () => {
    const input = await taggedImage('webp');
    const exif = concatBytes(bytesOf('EXIF'), Uint8Array.of(12, 0, 0, 0), bytesOf('ImgstashCam\0'));
    // RIFF header (12) + VP8X chunk (18), then the early EXIF chunk.
    const early = concatBytes(input.subarray(0, 30), exif, input.subarray(30));
    new DataView(early.buffer).setUint32(4, early.length - 8, true);
    const { image, out } = await strip(early);
    expect(containsText(out, 'ImgstashCam')).toBe(false);
    expect(image.size).toBe(out.length);
    expect(new DataView(out.buffer, out.byteOffset).getUint32(4, true)).toBe(out.length - 8);
    expect(await decodedPixels(out)).toEqual(await decodedPixels(input));
  });

  it('zeroes JPEG trailers after EOI (a second MPF image carries its own EXIF)', async () => {
    const jpeg = await taggedImage('jpeg');
    const trailer = concatBytes(jpeg, jpeg);
    const { out } = await strip(trailer);
    for (const secret of SECRETS) expect(containsText(out, secret), secret).toBe(false);
    expect(await decodedPixels(out)).toEqual(await decodedPixels(jpeg));
  });

  it('takes a GIF’s size from its first frame when the logical screen says 0 × 0', async () => {
    const gif = await taggedImage('gif');
    const zero = patched(gif, [[6, [0, 0, 0, 0]]]);
    const { image } = await strip(zero);
    expect([image.width, image.height]).toEqual([64, 48]);
    expect(image.digest().frames).toBe(3);
  });

  it('keeps a GIF’s NETSCAPE2.0 loop extension', async () => {
    const { out } = await strip(await taggedImage('gif'));
    expect(containsText(out, 'NETSCAPE2.0')).toBe(true);
    expect((await sharp(out).metadata()).loop).toBe(0);
  });

  it('drops PNG tIME and keeps the colour chunks', async () => {
    const input = await taggedImage('png');
    expect(containsText(input, 'tIME')).toBe(true);
    const { out } = await strip(input);
    expect(containsText(out, 'tIME')).toBe(false);
    expect(containsText(out, 'iCCP')).toBe(true);
  });
});

describe('orientation and displayed dimensions', () => {
  it.each([
    1, 2, 3, 4, 5, 6, 7, 8,
  ])('keeps JPEG and PNG orientation %i, swapping width and height for 5 to 8', async (o) => {
    for (const format of ['jpeg', 'progressive-jpeg', 'png'] as const) {
      const input = await taggedImage(format, { orientation: o, icc: false });
      const { image, out } = await strip(input);
      const swapped = o >= 5;
      expect(image.orientation, format).toBe(o);
      expect([image.width, image.height], format).toEqual(swapped ? [48, 64] : [64, 48]);
      const after = await sharp(out).metadata();
      expect(after.orientation ?? 1, format).toBe(o);
      for (const secret of SECRETS) expect(containsText(out, secret), `${format} ${secret}`).toBe(false);
      // The displayed pixels, after auto-orientation, are the input's.
      const shown = (bytes: Uint8Array) => sharp(bytes).rotate().raw().toBuffer();
      expect(await shown(out), format).toEqual(await shown(input));
    }
  });

  it('reads an AVIF’s irot as the displayed size', async () => {
    const input = await taggedImage('avif', { orientation: 6 });
    const { image } = await strip(input);
    const meta = await sharp(input).metadata();
    expect([image.width, image.height]).toEqual([meta.width, meta.height]);
    expect([image.width, image.height]).toEqual([48, 64]);
    expect(image.orientation).toBe(6);
  });
});

/** `bytes` with the 4 bytes at `at` set to `value` (big-endian). */
function patched(bytes: Uint8Array, edits: [number, number[]][]): Uint8Array {
  const out = bytes.slice();
  for (const [at, values] of edits) out.set(values, at);
  return out;
}

function find(bytes: Uint8Array, text: string, from = 0): number {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).indexOf(text, from, 'latin1');
}

/** Real images whose headers claim 20000 × 20000 pixels (400 MP), each a few KB. */
async function bombs(): Promise<[string, Uint8Array][]> {
  const be16 = [20000 >> 8, 20000 & 0xff];
  const jpeg = await taggedImage('jpeg');
  const sof = Buffer.from(jpeg).indexOf(Buffer.of(0xff, 0xc0));
  const png = await taggedImage('png');
  const ihdr = pngChunk('IHDR', concatBytes(Uint8Array.of(0, 0, 0x4e, 0x20, 0, 0, 0x4e, 0x20), png.subarray(24, 29)));
  const gif = await taggedImage('gif');
  const webp = await taggedImage('webp');
  const le24 = [19999 & 0xff, (19999 >> 8) & 0xff, 19999 >> 16];
  const avif = await taggedImage('avif');
  const ispe = find(avif, 'ispe');
  return [
    ['a JPEG', patched(jpeg, [[sof + 5, [...be16, ...be16]]])],
    ['a PNG', concatBytes(png.subarray(0, 8), ihdr, png.subarray(33))],
    ['a GIF', patched(gif, [[6, [0x20, 0x4e, 0x20, 0x4e]]])],
    ['a WebP', patched(webp, [[24, [...le24, ...le24]]])],
    ['an AVIF', patched(avif, [[ispe + 8, [0, 0, 0x4e, 0x20, 0, 0, 0x4e, 0x20]]])],
  ];
}

describe('pixel and frame limits, from the headers, before any decode', () => {
  it('refuses a 20000 × 20000 pixel bomb in every format with 413, having read only its header', async () => {
    for (const [name, bomb] of await bombs()) {
      const source = trackedIterable(splitEvery(bomb, 512));
      const error = await prepareImage(source, policy).catch((e: unknown) => e);
      expect(error, name).toEqual(code('PAYLOAD_TOO_LARGE'));
      expect((error as { status: number }).status).toBe(413);
      expect((error as { publicMessage: string }).publicMessage, name).toMatch(
        /20000×20000 pixels, more than the limit/,
      );
      expect(source.released, name).toBe(true);
      expect(source.pulled, name).toBeLessThan(bomb.length);
    }
  });

  it('refuses a real 20000 × 20000 PNG made by sharp (solid colour, about 1 MB), having read its first chunk only', async () => {
    const png = await solidPngBomb();
    expect(png.length).toBeLessThan(2 * 1024 * 1024);
    const source = trackedIterable(splitEvery(png, 64 * 1024));
    await expect(prepareImage(source, policy)).rejects.toThrow(code('PAYLOAD_TOO_LARGE'));
    expect(source.pulled).toBeLessThanOrEqual(64 * 1024);
  }, 60_000);

  it.each([
    'gif',
    'animated-webp',
  ] as const)('counts every frame of an animated %s against maxFrames and maxPixels', async (format) => {
    const input = await taggedImage(format);
    const frames = await run(input, resolvePolicy({ maxFrames: 2 }));
    expect(frames.error).toEqual(code('PAYLOAD_TOO_LARGE'));
    expect((frames.error as { publicMessage: string }).publicMessage).toMatch(/more than the limit of 2 frames/);
    const pixels = await run(input, resolvePolicy({ maxPixels: 64 * 48 * 2 }));
    expect(pixels.error).toEqual(code('PAYLOAD_TOO_LARGE'));
    expect((await run(input, resolvePolicy({ maxFrames: 3, maxPixels: 64 * 48 * 3 }))).error).toBeUndefined();
  });

  it('accepts an image of exactly maxPixels', async () => {
    expect((await run(await taggedImage('jpeg'), resolvePolicy({ maxPixels: 64 * 48 }))).error).toBeUndefined();
    expect((await run(await taggedImage('jpeg'), resolvePolicy({ maxPixels: 64 * 48 - 1 }))).error).toEqual(
      code('PAYLOAD_TOO_LARGE'),
    );
  });
});

describe('limits mid-stream and the store', () => {
  it('makes a store abort and keep nothing when a later GIF frame passes maxFrames', async () => {
    const store = createMemoryStore();
    const image = await prepareImage(
      generate(splitEvery(await taggedImage('gif'), 512)),
      resolvePolicy({ maxFrames: 2 }),
    );
    await expect(store.put('gif', image.body, { contentType: image.contentType })).rejects.toThrow(
      code('PAYLOAD_TOO_LARGE'),
    );
    expect(store.size).toBe(0);
  });

  it('counts the frames an APNG declares in acTL against maxFrames, before any decode', async () => {
    const png = await taggedImage('png');
    // A well-formed acTL chunk (5 frames, loop forever) inserted after IHDR; sharp cannot write APNG.
    const apng = concatBytes(
      png.subarray(0, 33),
      pngChunk('acTL', Uint8Array.of(0, 0, 0, 5, 0, 0, 0, 0)),
      png.subarray(33),
    );
    await expect(prepareImage(apng, resolvePolicy({ maxFrames: 4 }))).rejects.toThrow(code('PAYLOAD_TOO_LARGE'));
    const { image } = await strip(apng);
    expect(image.digest().frames).toBe(5);
  });

  it('without expectedSize, leaves size unknown until digest() for a file longer than its header', async () => {
    const input = await taggedImage('progressive-jpeg');
    const image = await prepareImage(generate(splitEvery(input, 1000)), policy);
    expect(image.size).toBeUndefined();
    const out = await collect(image.body);
    expect(image.digest().size).toBe(out.length);
    expect(out.length).toBeLessThan(input.length);
  });

  it('refuses a body that turns out longer than the expectedSize it was announced with', async () => {
    const input = await taggedImage('jpeg');
    const { error } = await run(input, policy, input.length - 1);
    expect(error).toEqual(code('INVALID_INPUT'));
  });
});

/** An ISOBMFF box. */
function box(type: string, ...payload: Uint8Array[]): Uint8Array {
  const body = concatBytes(...payload);
  const out = concatBytes(new Uint8Array(4), bytesOf(type), body);
  new DataView(out.buffer).setUint32(0, out.length);
  return out;
}
const u32 = (...values: number[]) => {
  const out = new Uint8Array(values.length * 4);
  for (const [k, v] of values.entries()) new DataView(out.buffer).setUint32(k * 4, v);
  return out;
};

/**
 * The container of an AVIF image sequence (`avis`: ftyp, moov with one `pict` track, mdat), made
 * by hand: sharp cannot encode sequences, so the frame data is filler and is never decoded.
 */
function avisContainer(frames: number, width: number, height: number): Uint8Array {
  const tkhd = box('tkhd', u32(0, 0, 0, 1, 0, 0, 0, 0, 0), new Uint8Array(36), u32(width << 16, height << 16));
  const hdlr = box('hdlr', u32(0, 0), bytesOf('pict'), u32(0, 0, 0), Uint8Array.of(0));
  const stsz = box('stsz', u32(0, 0, frames));
  const trak = box('trak', tkhd, box('mdia', hdlr, box('minf', box('stbl', stsz))));
  const udta = box('udta', box('name', bytesOf('CommentSecret in udta')));
  return concatBytes(
    box('ftyp', bytesOf('avis'), u32(0), bytesOf('avismsf1miaf')),
    box('moov', trak, udta),
    box('mdat', new Uint8Array(frames * 16)),
  );
}

describe('createImageRewriter, the stage on its own', () => {
  it.each(
    FORMATS,
  )('gives a %s the same bytes as prepareImage, with its length change fixed once the head is done', async (format) => {
    const input = await taggedImage(format);
    const { out: prepared } = await strip(input);
    const rewriter = createImageRewriter(taggedType(format), policy);
    const out: Uint8Array[] = [];
    let deltaAtHead: number | undefined;
    for (const chunk of splitEvery(input, 333)) {
      rewriter.push(chunk, out);
      if (rewriter.headDone) deltaAtHead ??= rewriter.sizeDelta;
    }
    rewriter.finish(out);
    expect(concatBytes(...out)).toEqual(prepared);
    expect(deltaAtHead).toBe(prepared.length - input.length);
    expect(rewriter.sizeDelta).toBe(deltaAtHead);
    expect(rewriter.facts).toEqual({ width: 64, height: 48, orientation: 1 });
  });
});

describe('AVIF image sequences', () => {
  it('counts the frames of an avis track against maxFrames and maxPixels, and takes the size from tkhd', async () => {
    const avis = avisContainer(30, 320, 240);
    const { image, out } = await strip(avis);
    expect([image.width, image.height]).toEqual([320, 240]);
    expect(image.digest().frames).toBe(30);
    expect(containsText(out, 'CommentSecret')).toBe(false);
    expect(out.length).toBe(avis.length);
    expect((await run(avis, resolvePolicy({ maxFrames: 29 }))).error).toEqual(code('PAYLOAD_TOO_LARGE'));
    expect((await run(avis, resolvePolicy({ maxPixels: 320 * 240 * 29 }))).error).toEqual(code('PAYLOAD_TOO_LARGE'));
    expect((await run(avisContainer(1000, 20000, 20000), policy)).error).toEqual(code('PAYLOAD_TOO_LARGE'));
  });
});

describe('bounded memory before the body streams', () => {
  const segments = (count: number, prefix: string) =>
    concatBytes(
      ...Array.from({ length: count }, () => jpegSegment(0xe2, concatBytes(bytesOf(prefix), new Uint8Array(60_000)))),
    );

  it('holds no dropped metadata: 3 MB of segments before the frame header pass without being held', async () => {
    const jpeg = await taggedImage('jpeg');
    const padded = concatBytes(jpeg.subarray(0, 2), segments(50, 'MPF\0'), jpeg.subarray(2));
    const { image, out } = await strip(padded);
    expect(out.length).toBeLessThan(jpeg.length);
    expect(image.size).toBe(out.length);
    expect(await decodedPixels(out)).toEqual(await decodedPixels(jpeg));
  });

  it('refuses with 415 a header that keeps more than 1 MiB before the image data (ICC segments here)', async () => {
    const jpeg = await taggedImage('jpeg');
    const source = trackedIterable(
      splitEvery(concatBytes(jpeg.subarray(0, 2), segments(40, 'ICC_PROFILE\0'), jpeg.subarray(2)), 64 * 1024),
    );
    const error = await prepareImage(source, policy).catch((e: unknown) => e);
    expect(error).toEqual(code('UNSUPPORTED_MEDIA_TYPE'));
    expect((error as { publicMessage: string }).publicMessage).toMatch(/header is larger than 1 MiB/);
    expect(source.released).toBe(true);
    expect(source.pulled).toBeLessThanOrEqual(1024 * 1024 + 2 * 64 * 1024);
  });
});

describe('truncated and malformed headers', () => {
  it.each(FORMATS)('refuses a %s cut anywhere with 415, never another error', async (format) => {
    const input = await taggedImage(format);
    for (let cut = 1; cut < input.length; cut += Math.max(1, Math.floor(input.length / 97))) {
      const { error } = await run(splitEvery(input.subarray(0, cut), 100));
      expect(error, `cut at ${cut}`).toEqual(code('UNSUPPORTED_MEDIA_TYPE'));
    }
  });

  it.each(
    FORMATS,
  )('answers a %s with corrupted header bytes with an ImageStoreError or a clean pass, never a crash', async (format) => {
    const input = await taggedImage(format);
    const head = Math.min(input.length, 600);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat({ max: head - 1 }), fc.nat({ max: 255 })), { minLength: 1, maxLength: 8 }),
        async (edits) => {
          const bytes = input.slice();
          for (const [at, value] of edits) bytes[at] = value;
          const { error, image, bytes: out } = await run(splitEvery(bytes, 97), policy, bytes.length);
          // Refused cleanly, or stored with exactly the length announced before it streamed.
          if (error) expect(error).toEqual(expect.objectContaining({ name: 'ImageStoreError' }));
          if (error) expect((error as Error).message).not.toMatch(/announced/);
          else expect(out?.length).toBe(image?.size);
        },
      ),
      { numRuns: 150, seed: 10 },
    );
  });

  it('refuses an AVIF whose meta box says its image data comes first', async () => {
    const avif = await taggedImage('avif');
    const meta = find(avif, 'meta');
    const { error } = await run(patched(avif, [[meta, [0x6d, 0x64, 0x61, 0x74]]]));
    expect(error).toEqual(code('UNSUPPORTED_MEDIA_TYPE'));
  });
});

describe('any chunking gives identical output', () => {
  it.each(FORMATS)('strips a %s to the same bytes however the stream is cut', async (format) => {
    const input = await taggedImage(format);
    const { out: whole } = await strip(input);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.integer({ min: 1, max: 400 }),
        async (seed, max) => {
          const { bytes, image, error } = await run(randomSplits(input, seed, max), policy, input.length);
          expect(error).toBeUndefined();
          expect(bytes).toEqual(whole);
          expect(image?.size).toBe(whole.length);
        },
      ),
      { numRuns: 25, seed: 42 },
    );
    const { bytes } = await run(splitEvery(input, 1));
    expect(bytes).toEqual(whole);
  });
});
