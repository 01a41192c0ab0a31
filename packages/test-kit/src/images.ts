// Real images of chosen sizes, encoded by sharp (libvips). Noise compresses poorly, so the
// encoded size follows the pixel count; a seed makes every image distinct and repeatable.
import sharp, { type Sharp } from 'sharp';
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

/** Formats {@link gradientImage} encodes: every raster type imgstash accepts. */
export type GradientFormat = NoiseFormat | 'avif';

/** Options of {@link gradientImage}. */
export interface GradientOptions {
  /** An EXIF Copyright (and a camera Make) to embed, where the format carries EXIF (not GIF). */
  exif?: string;
  /** An EXIF orientation 1..8 to embed (JPEG). */
  orientation?: number;
}

/**
 * A real `format` image of a smooth two-axis colour gradient: it survives resizing and
 * re-encoding with its mean colour intact, so a variant can be compared with its original.
 */
export async function gradientImage(
  format: GradientFormat,
  width: number,
  height: number,
  options: GradientOptions = {},
): Promise<Uint8Array> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      pixels[i] = Math.round((255 * x) / width);
      pixels[i + 1] = Math.round((255 * y) / height);
      pixels[i + 2] = 96;
    }
  }
  let image = sharp(pixels, { raw: { width, height, channels: 3 } });
  if (options.exif !== undefined && format !== 'gif') {
    image = image.withExif({ IFD0: { Copyright: options.exif, Make: options.exif } });
  }
  if (options.orientation !== undefined) image = image.withMetadata({ orientation: options.orientation });
  const encoders: Record<GradientFormat, (i: Sharp) => Sharp> = {
    png: (i) => i.png(),
    jpeg: (i) => i.jpeg({ quality: 90 }),
    webp: (i) => i.webp({ quality: 90 }),
    avif: (i) => i.avif({ quality: 70, effort: 0 }),
    gif: (i) => i.gif(),
  };
  const encoded = encoders[format](image);
  return new Uint8Array(await encoded.toBuffer());
}

/** The mean R, G, B of an encoded image (its first frame), 0..255. */
export async function meanColour(bytes: Uint8Array): Promise<[number, number, number]> {
  const { channels } = await sharp(bytes).stats();
  return [channels[0]?.mean ?? 0, channels[1]?.mean ?? 0, channels[2]?.mean ?? 0];
}

/**
 * The largest difference, over every channel of a 4 × 4 grid of cell means, between two
 * images of the same scene (any sizes): low when a variant shows what its original shows.
 */
export async function colourDistance(a: Uint8Array, b: Uint8Array): Promise<number> {
  const grid = (bytes: Uint8Array) =>
    sharp(bytes).removeAlpha().resize(4, 4, { fit: 'fill', kernel: 'cubic' }).toColourspace('srgb').raw().toBuffer();
  const [ga, gb] = await Promise.all([grid(a), grid(b)]);
  let max = 0;
  for (let i = 0; i < ga.length; i++) max = Math.max(max, Math.abs((ga[i] ?? 0) - (gb[i] ?? 0)));
  return max;
}

/**
 * An 800 × 600 JPEG that passes imgstash's upload checks (sniff, structure) but whose
 * entropy-coded data is damaged: libvips refuses it under `failOn: 'warning'`, while
 * browsers still render it.
 */
export async function undecodableJpeg(): Promise<Uint8Array> {
  const bytes = Buffer.from(await gradientImage('jpeg', 800, 600));
  bytes.fill(0x7f, 3000, 7000);
  return new Uint8Array(bytes);
}
