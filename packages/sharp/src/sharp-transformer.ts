import {
  type ImageBody,
  ImageStoreError,
  type ImageTransformer,
  isImageStoreError,
  iterateBody,
  type PlaceholderOptions,
  type TransformFormat,
  type TransformOptions,
  type TransformResult,
  TYPE_OF_FORMAT,
} from '@imgstash/core';
import sharp, { type FailOnOptions, type Sharp } from 'sharp';
import { rgbaToThumbHash } from 'thumbhash';

/** Encoder qualities per format, 1..100. */
export interface SharpQualities {
  /** Default 80. */
  webp?: number;
  /** Default 50 (AVIF's scale runs lower than JPEG's for the same look). */
  avif?: number;
  /** Default 80. */
  jpeg?: number;
}

/** Options for {@link createSharpTransformer}. */
export interface SharpTransformerOptions {
  /**
   * The most pixels (width × height of one frame) an input may have; larger inputs are
   * refused before they decode (sharp's `limitInputPixels`). The handlers pass their own
   * limit too, and the lower one applies. Default 100 000 000.
   */
  maxPixels?: number;
  /**
   * The most bytes read from one input; more is refused (`UNPROCESSABLE_IMAGE`). sharp reads
   * an input whole before it decodes, so this bounds its memory. Default 64 MiB.
   */
  maxInputBytes?: number;
  /**
   * How strict decoding is (sharp's `failOn`). Default `warning`: a truncated or damaged
   * image fails rather than decoding to grey, since inputs are untrusted.
   */
  failOn?: FailOnOptions;
  /** libvips' time budget per transform, in seconds (sharp's `timeout`). Default 20. */
  timeoutSeconds?: number;
  /** Encoder qualities when a preset sets none. */
  quality?: SharpQualities;
  /** AVIF encoder effort 0 (fastest) .. 9 (smallest). Default 2: AVIF's default effort costs seconds per image. */
  avifEffort?: number;
  /** WebP encoder effort 0 (fastest) .. 6 (smallest). Default 4. */
  webpEffort?: number;
}

const MiB = 1024 * 1024;
const DEFAULTS = {
  maxPixels: 100_000_000,
  maxInputBytes: 64 * MiB,
  failOn: 'warning' as FailOnOptions,
  timeoutSeconds: 20,
  avifEffort: 2,
  webpEffort: 4,
};
const DEFAULT_QUALITY = { webp: 80, avif: 50, jpeg: 80 } as const;
/** ThumbHash encodes at most 100 × 100 pixels. */
const THUMBHASH_SIZE = 100;

function unprocessable(message: string, cause?: unknown): ImageStoreError {
  return new ImageStoreError('UNPROCESSABLE_IMAGE', `[imgstash] [sharp] ${message}`, {
    cause,
    publicMessage: 'The image could not be processed.',
  });
}

/** Reads `input` whole, up to `maxBytes`, stopping when `signal` aborts. */
async function readInput(input: ImageBody, maxBytes: number, signal: AbortSignal): Promise<Buffer> {
  if (input instanceof Uint8Array) {
    if (input.length > maxBytes) throw unprocessable(`input over ${maxBytes} bytes`);
    return Buffer.from(input.buffer, input.byteOffset, input.length);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const it = iterateBody(input);
  try {
    for (;;) {
      signal.throwIfAborted();
      const r = await it.next();
      if (r.done) break;
      size += r.value.length;
      if (size > maxBytes) throw unprocessable(`input over ${maxBytes} bytes`);
      chunks.push(r.value);
    }
  } catch (error) {
    await it.return?.().catch(() => {});
    throw error;
  }
  if (size === 0) throw unprocessable('empty input');
  return Buffer.concat(chunks, size);
}

/**
 * An {@link ImageTransformer} on sharp (libvips), for Node, Bun and Deno.
 *
 * - Inputs are untrusted: the pixel limit is checked from the header before decoding,
 *   `failOn: 'warning'` refuses damaged files, libvips gets a time budget, and any failure
 *   is an `UNPROCESSABLE_IMAGE` error: never the original in the variant's place.
 * - Animated GIF and WebP: variants and placeholders use the first frame only.
 * - The EXIF orientation is applied, then every metadata block (EXIF, XMP, IPTC, ICC) is
 *   dropped, and pixels are converted to sRGB, so colours stay right without a profile.
 * - JPEG and WebP shrink on load: a 12 MP JPEG decodes at 1/8 scale for a 320 px thumbnail.
 *
 * @example
 * ```ts
 * import { createSharpTransformer } from '@imgstash/sharp';
 *
 * const handlers = createImageHandlers({
 *   store,
 *   transformer: createSharpTransformer(),
 *   variants: { thumb: { width: 320, height: 320, fit: 'inside', format: 'webp' } },
 *   placeholder: 'thumbhash',
 * });
 * ```
 */
export function createSharpTransformer(options: SharpTransformerOptions = {}): ImageTransformer {
  const settings = { ...DEFAULTS, ...options };
  const quality = { ...DEFAULT_QUALITY, ...options.quality };
  for (const [name, value] of Object.entries({
    maxPixels: settings.maxPixels,
    maxInputBytes: settings.maxInputBytes,
    timeoutSeconds: settings.timeoutSeconds,
  })) {
    if (!Number.isInteger(value) || value < 1)
      throw new TypeError(`[imgstash] [sharp] ${name} must be a positive integer`);
  }

  /** A sharp pipeline on `bytes` with the untrusted-input limits, first frame only, upright. */
  function open(bytes: Buffer, maxPixels: number): Sharp {
    return sharp(bytes, {
      failOn: settings.failOn,
      limitInputPixels: Math.min(maxPixels, settings.maxPixels),
      sequentialRead: true,
      animated: false,
      autoOrient: true,
    }).timeout({ seconds: settings.timeoutSeconds });
  }

  /** Runs `work`, rejecting when `signal` aborts; sharp errors become `UNPROCESSABLE_IMAGE`. */
  async function guarded<T>(signal: AbortSignal, work: () => Promise<T>): Promise<T> {
    signal.throwIfAborted();
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    const running = work();
    // libvips cannot be stopped midway; its own timeout ends it, and its result is dropped.
    running.catch(() => {});
    try {
      return await Promise.race([running, aborted]);
    } catch (error) {
      if (signal.aborted || isImageStoreError(error)) throw error;
      if (error instanceof Error && /timeout/i.test(error.message)) {
        throw new ImageStoreError('OVERLOADED', '[imgstash] [sharp] the transform ran out of time', {
          cause: error,
          publicMessage: 'The image took too long to process. Try again later.',
        });
      }
      throw unprocessable('the image did not decode', error);
    } finally {
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
  }

  const encoders: Record<TransformFormat, (pipeline: Sharp, q: number | undefined) => Sharp> = {
    webp: (p, q) => p.webp({ quality: q ?? quality.webp, effort: settings.webpEffort }),
    avif: (p, q) => p.avif({ quality: q ?? quality.avif, effort: settings.avifEffort }),
    jpeg: (p, q) => p.jpeg({ quality: q ?? quality.jpeg, progressive: true }),
    png: (p) => p.png({ compressionLevel: 6 }),
    gif: (p) => p.gif(),
  };

  return {
    async transform(input: ImageBody, transform: TransformOptions): Promise<TransformResult> {
      const { signal } = transform;
      const bytes = await readInput(input, settings.maxInputBytes, signal);
      return guarded(signal, async () => {
        let pipeline = open(bytes, transform.maxPixels);
        if (transform.width !== undefined || transform.height !== undefined) {
          pipeline = pipeline.resize({
            ...(transform.width === undefined ? {} : { width: transform.width }),
            ...(transform.height === undefined ? {} : { height: transform.height }),
            fit: transform.fit,
            withoutEnlargement: true,
          });
        }
        // sRGB pixels and no metadata: sharp writes none unless asked (keepMetadata etc.).
        pipeline = encoders[transform.format](pipeline.toColourspace('srgb'), transform.quality);
        const { data, info } = await pipeline.toBuffer({ resolveWithObject: true });
        return {
          bytes: new Uint8Array(data.buffer, data.byteOffset, data.length),
          contentType: TYPE_OF_FORMAT[transform.format],
          width: info.width,
          height: info.height,
        };
      });
    },

    async placeholder(input: AsyncIterable<Uint8Array>, placeholder: PlaceholderOptions): Promise<string | undefined> {
      if (placeholder.kind !== 'thumbhash') return undefined;
      const { signal } = placeholder;
      // The bytes arrive as the upload streams; the decode starts with the last one, and
      // JPEG/WebP shrink on load, so only a ≤ 100 px image is ever held decoded.
      const bytes = await readInput(input, settings.maxInputBytes, signal);
      return guarded(signal, async () => {
        const { data, info } = await open(bytes, placeholder.maxPixels)
          .resize({ width: THUMBHASH_SIZE, height: THUMBHASH_SIZE, fit: 'inside', withoutEnlargement: true })
          .toColourspace('srgb')
          .ensureAlpha()
          .raw()
          .toBuffer({ resolveWithObject: true });
        const hash = rgbaToThumbHash(info.width, info.height, data);
        return btoa(String.fromCharCode(...hash));
      });
    },
  };
}
