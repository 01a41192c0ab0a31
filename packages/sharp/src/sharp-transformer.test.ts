import { ImageStoreError, type TransformOptions } from '@imgstash/core';
import sharp from 'sharp';
import { rgbaToThumbHash, thumbHashToApproximateAspectRatio, thumbHashToAverageRGBA } from 'thumbhash';
import { beforeAll, describe, expect, it } from 'vitest';
// Test code importing test code by path: the shared image makers (neither is published).
import { colourDistance, type GradientFormat, gradientImage } from '../../test-kit/src/images.js';
import { createSharpTransformer } from './sharp-transformer.js';

const FORMATS: GradientFormat[] = ['jpeg', 'png', 'gif', 'webp', 'avif'];
const SECRET = 'exif-secret-of-the-original';
const transformer = createSharpTransformer();
const signal = () => new AbortController().signal;
const thumb = (extra: Partial<TransformOptions> = {}): TransformOptions => ({
  width: 320,
  height: 320,
  fit: 'inside',
  format: 'webp',
  maxPixels: 100_000_000,
  signal: signal(),
  ...extra,
});

async function* chunks(bytes: Uint8Array, size = 4096): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

const originals = new Map<GradientFormat, Uint8Array>();
beforeAll(async () => {
  for (const format of FORMATS) originals.set(format, await gradientImage(format, 800, 600, { exif: SECRET }));
});

describe('createSharpTransformer: transform', () => {
  it.each(FORMATS)('fits a %s original inside 320 × 320 as WebP, same picture, no metadata', async (format) => {
    const original = originals.get(format) as Uint8Array;
    const out = await transformer.transform(chunks(original), thumb());
    expect(out).toMatchObject({ contentType: 'image/webp', width: 320, height: 240 });
    const meta = await sharp(out.bytes).metadata();
    expect(meta).toMatchObject({ format: 'webp', width: 320, height: 240 });
    expect(meta.exif).toBeUndefined();
    expect(meta.xmp).toBeUndefined();
    expect(meta.icc).toBeUndefined();
    expect(Buffer.from(out.bytes).includes(SECRET)).toBe(false);
    expect(await colourDistance(original, out.bytes)).toBeLessThan(24);
  });

  it.each([
    ['avif', 'image/avif', 'heif'],
    ['jpeg', 'image/jpeg', 'jpeg'],
    ['png', 'image/png', 'png'],
    ['gif', 'image/gif', 'gif'],
  ] as const)('encodes %s, reading a stream or bytes alike', async (format, type, sharpFormat) => {
    const original = originals.get('jpeg') as Uint8Array;
    const out = await transformer.transform(original, thumb({ format, width: 200, height: 200, fit: 'cover' }));
    expect(out).toMatchObject({ contentType: type, width: 200, height: 200 });
    expect((await sharp(out.bytes).metadata()).format).toBe(sharpFormat);
  });

  it('never enlarges: a 1600-wide preset of an 800-wide original stays 800 wide', async () => {
    const out = await transformer.transform(originals.get('png') as Uint8Array, {
      width: 1600,
      fit: 'inside',
      format: 'jpeg',
      maxPixels: 100_000_000,
      signal: signal(),
    });
    expect([out.width, out.height]).toEqual([800, 600]);
  });

  it('applies the EXIF orientation, then drops it: a rotated 400 × 300 photo becomes 240 × 320', async () => {
    const rotated = await gradientImage('jpeg', 400, 300, { orientation: 6 });
    const out = await transformer.transform(rotated, thumb());
    expect([out.width, out.height]).toEqual([240, 320]);
    expect((await sharp(out.bytes).metadata()).orientation).toBeUndefined();
  });

  it('converts a wide-gamut (Display P3) JPEG to sRGB and drops its profile, so its colours stay right', async () => {
    const srgb = await gradientImage('png', 400, 300);
    const p3 = await sharp(srgb).withIccProfile('p3').jpeg({ quality: 95 }).toBuffer();
    expect((await sharp(p3).metadata()).icc).toBeDefined();
    const out = await transformer.transform(new Uint8Array(p3), thumb({ format: 'png' }));
    const meta = await sharp(out.bytes).metadata();
    expect(meta.icc).toBeUndefined();
    expect(meta.space).toBe('srgb');
    expect(await colourDistance(srgb, out.bytes)).toBeLessThan(12);
  });

  it('uses the first frame of an animated GIF, and writes a still image', async () => {
    const frame = (r: number) =>
      sharp({ create: { width: 64, height: 64, channels: 3, background: { r, g: 0, b: 0 } } })
        .raw()
        .toBuffer();
    const frames = Buffer.concat([await frame(250), await frame(10), await frame(120)]);
    const gif = await sharp(frames, { raw: { width: 64, height: 192, channels: 3, pageHeight: 64 } } as never)
      .gif({ loop: 0, delay: [100, 100, 100] })
      .toBuffer();
    expect((await sharp(gif).metadata()).pages).toBe(3);
    const out = await transformer.transform(new Uint8Array(gif), thumb({ format: 'gif', width: 32, height: 32 }));
    const meta = await sharp(out.bytes).metadata();
    expect(meta.pages ?? 1).toBe(1);
    expect([meta.width, meta.height]).toEqual([32, 32]);
    const { channels } = await sharp(out.bytes).stats();
    expect(channels[0]?.mean).toBeGreaterThan(200);
  });

  it.each([
    ['a truncated JPEG', async () => (originals.get('jpeg') as Uint8Array).subarray(0, 2000)],
    [
      'a PNG with its pixels replaced by garbage',
      async () => {
        const png = Buffer.from(originals.get('png') as Uint8Array);
        png.fill(0x5a, 100, png.length - 20);
        return new Uint8Array(png);
      },
    ],
    ['bytes that are no image at all', async () => new TextEncoder().encode('<html>not an image</html>')],
  ])('refuses %s with UNPROCESSABLE_IMAGE (422), never an output', async (_what, make) => {
    const error = await transformer.transform(await make(), thumb()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageStoreError);
    expect(error).toMatchObject({ code: 'UNPROCESSABLE_IMAGE', status: 422 });
  });

  it('refuses an input over maxPixels before it decodes', async () => {
    const error = await transformer
      .transform(originals.get('jpeg') as Uint8Array, thumb({ maxPixels: 800 * 600 - 1 }))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'UNPROCESSABLE_IMAGE' });
    // The transformer's own limit applies when it is the lower one.
    const strict = createSharpTransformer({ maxPixels: 1000 });
    await expect(strict.transform(originals.get('png') as Uint8Array, thumb())).rejects.toMatchObject({
      code: 'UNPROCESSABLE_IMAGE',
    });
  });

  it('refuses an input over maxInputBytes while reading it', async () => {
    const small = createSharpTransformer({ maxInputBytes: 10_000 });
    await expect(small.transform(chunks(originals.get('png') as Uint8Array), thumb())).rejects.toMatchObject({
      code: 'UNPROCESSABLE_IMAGE',
    });
  });

  it('rejects with the abort reason once its signal aborts', async () => {
    const controller = new AbortController();
    const reason = new DOMException('gone', 'AbortError');
    async function* stalled(): AsyncGenerator<Uint8Array> {
      yield (originals.get('jpeg') as Uint8Array).subarray(0, 100);
      controller.abort(reason);
      yield (originals.get('jpeg') as Uint8Array).subarray(100);
    }
    await expect(transformer.transform(stalled(), thumb({ signal: controller.signal }))).rejects.toBe(reason);
  });

  it('refuses bad options with a TypeError', () => {
    expect(() => createSharpTransformer({ maxPixels: 0 })).toThrow(TypeError);
    expect(() => createSharpTransformer({ timeoutSeconds: 1.5 })).toThrow(TypeError);
  });
});

describe('createSharpTransformer: placeholder', () => {
  it.each(FORMATS)('makes a ThumbHash of a %s upload from its streamed bytes', async (format) => {
    const original = originals.get(format) as Uint8Array;
    const hash = await transformer.placeholder?.(chunks(original), {
      kind: 'thumbhash',
      contentType: `image/${format}` as never,
      maxPixels: 100_000_000,
      signal: signal(),
    });
    expect(hash).toMatch(/^[A-Za-z0-9+/]+=*$/);
    const bytes = Uint8Array.from(atob(hash as string), (c) => c.charCodeAt(0));
    // The same hash a direct ThumbHash of a ≤ 100 px rendering gives, within rounding.
    const { data, info } = await sharp(original)
      .resize(100, 100, { fit: 'inside' })
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const expected = rgbaToThumbHash(info.width, info.height, data);
    expect(thumbHashToApproximateAspectRatio(bytes)).toBeCloseTo(thumbHashToApproximateAspectRatio(expected), 1);
    const mean = thumbHashToAverageRGBA(bytes);
    expect(mean.r * 255).toBeCloseTo(127, -1.5);
    expect(mean.g * 255).toBeCloseTo(127, -1.5);
    expect(mean.b * 255).toBeCloseTo(96, -1.5);
  });

  it('fails cleanly on a corrupt upload, so the caller can leave the placeholder out', async () => {
    const corrupt = (originals.get('jpeg') as Uint8Array).subarray(0, 1500);
    await expect(
      transformer.placeholder?.(chunks(corrupt), {
        kind: 'thumbhash',
        contentType: 'image/jpeg',
        maxPixels: 100_000_000,
        signal: signal(),
      }),
    ).rejects.toMatchObject({ code: 'UNPROCESSABLE_IMAGE' });
  });
});
