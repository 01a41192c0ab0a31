// Real images of chosen sizes, encoded by sharp (libvips). Noise compresses poorly, so the
// encoded size follows the pixel count; a seed makes every image distinct and repeatable.
import sharp from 'sharp';
// One generator of noise and PNG chunks for every test: core's test helpers (test code
// importing test code by path; neither is published).
import { noise, pngChunk } from '../../core/test-helpers/images.js';

export { pngChunk };

/** Formats {@link noiseImage} encodes. */
export type NoiseFormat = 'png' | 'jpeg' | 'webp' | 'gif';

/**
 * A real `format` image of `width`×`height` RGB noise.
 *
 * @example
 * ```ts
 * const big = await noiseImage('png', 1700, 1800, 1); // ≈ 8.8 MiB
 * ```
 */
export async function noiseImage(format: NoiseFormat, width: number, height: number, seed = 1): Promise<Uint8Array> {
  const image = sharp(noise(width * height * 3, seed), { raw: { width, height, channels: 3 } });
  const encoded =
    format === 'png'
      ? image.png({ compressionLevel: 1 })
      : format === 'jpeg'
        ? image.jpeg({ quality: 92 })
        : format === 'webp'
          ? image.webp({ quality: 80, effort: 0 })
          : image.gif();
  return new Uint8Array(await encoded.toBuffer());
}

/** `png` with one more chunk inserted right before its IEND chunk. */
export function withChunkBeforeIend(png: Uint8Array, chunk: Uint8Array): Buffer {
  const bytes = Buffer.from(png);
  const iend = bytes.lastIndexOf(Buffer.from('IEND', 'latin1')) - 4;
  return Buffer.concat([bytes.subarray(0, iend), chunk, bytes.subarray(iend)]);
}
