import { iterateBody } from './body.js';
import { ImageStoreError } from './errors.js';
import { defaultSha256, type Sha256Factory } from './hash.js';
import { createStructureCheck, MarkupScanner, type StructureCheck } from './inspect.js';
import { concatChunks } from './pipeline/bytes.js';
import { createImageRewriter, type ImageRewriter, type Orientation } from './pipeline/index.js';
import { tooLarge, unsupported } from './pipeline/limits.js';
import { type AllowedImageType, isAllowedType, type UploadPolicy } from './policy.js';
import { SNIFF_BYTES, sniffType } from './sniff.js';
import type { ImageBody } from './types.js';

/** The most header bytes held before the body streams: up to the first image data. */
export const MAX_HEADER_BYTES: number = 1024 * 1024;

/** The facts about an upload that are known once its last byte has passed. */
export interface UploadDigest {
  /** Bytes stored (after metadata stripping), which is what `/i/<id>` serves. */
  size: number;
  /** SHA-256 of the stored bytes, lowercase hex. */
  sha256: string;
  /** Displayed width in pixels (after the orientation); absent for SVG. */
  width?: number;
  /** Displayed height in pixels (after the orientation); absent for SVG. */
  height?: number;
  /** Frames: 1 for a still image, the frame count for an animation; absent for SVG. */
  frames?: number;
}

/** An upload whose type and header are known and whose remaining bytes are checked as they stream. */
export interface PreparedImage {
  /** The type sniffed from the bytes. */
  contentType: AllowedImageType;
  /**
   * The bytes to store, to hand to a store exactly once: metadata already stripped when the
   * policy says so. Iterating it counts the input against `maxBytes`, checks the structure and
   * the frame limits, and hashes the output; it throws an {@link ImageStoreError} the moment a
   * check fails, so the store aborts its put.
   */
  body: AsyncIterable<Uint8Array>;
  /**
   * The exact length `body` will have, known before it streams: given when
   * {@link PrepareImageOptions.expectedSize} was, or when the whole file fit in the header.
   * Pass it to `store.put` as `size`.
   */
  size?: number;
  /** Displayed width in pixels, after the orientation (EXIF, or AVIF `irot`); absent for SVG. */
  width?: number;
  /** Displayed height in pixels, after the orientation; absent for SVG. */
  height?: number;
  /** The EXIF orientation the image carries (kept in the stored bytes), 1 when none; absent for SVG. */
  orientation?: Orientation;
  /** The size, hash, dimensions and frame count; available after `body` has been read to its end without error. */
  digest(): UploadDigest;
}

/** Options for {@link prepareImage}. */
export interface PrepareImageOptions {
  /** A SHA-256 implementation; defaults to the runtime's fastest ({@link defaultSha256}). */
  sha256?: Sha256Factory;
  /**
   * The input's exact length, when known (a multipart part's predicted size). The source must
   * then deliver exactly this many bytes; in return {@link PreparedImage.size} gives the stored
   * length before the body streams.
   */
  expectedSize?: number;
}

/**
 * Reads `source` up to its first image data: sniffs the real type and checks it against
 * `policy`, reads the dimensions and enforces `maxPixels` and `maxFrames` from the headers
 * (before anything decodes a pixel), and removes the header's metadata. Then it returns the
 * rest as a checked stream, whose later metadata is neutralised in place. Memory stays
 * bounded: at most {@link MAX_HEADER_BYTES} are held back, whatever the file's size.
 *
 * Throws `INVALID_INPUT` for an empty file, `UNSUPPORTED_MEDIA_TYPE` for anything that is
 * not an allowed, well-formed image, and `PAYLOAD_TOO_LARGE` past `maxBytes`, `maxPixels`
 * or `maxFrames`.
 *
 * @example
 * ```ts
 * const image = await prepareImage(part.body, resolvePolicy(), { expectedSize: part.expectedSize });
 * await store.put(createId(), image.body, {
 *   contentType: image.contentType,
 *   ...(image.size === undefined ? {} : { size: image.size }),
 *   metadata: { width: String(image.width), height: String(image.height) },
 * });
 * const { size, sha256 } = image.digest();
 * ```
 */
export async function prepareImage(
  source: ImageBody,
  policy: UploadPolicy,
  options: PrepareImageOptions = {},
): Promise<PreparedImage> {
  const it = iterateBody(source);
  const head: Uint8Array[] = [];
  let headSize = 0;
  let ended = false;
  try {
    while (headSize < SNIFF_BYTES) {
      const r = await it.next();
      if (r.done) {
        ended = true;
        break;
      }
      if (r.value.length === 0) continue;
      head.push(r.value);
      headSize += r.value.length;
      if (headSize > policy.maxBytes) throw tooLarge(policy.maxBytes);
    }
  } catch (error) {
    await it.return?.();
    throw error;
  }
  if (headSize === 0) {
    throw new ImageStoreError('INVALID_INPUT', '[imgstash] empty file', { publicMessage: 'The file is empty.' });
  }
  const first = concatChunks(head);
  const type = sniffType(first);
  if (!isAllowedType(policy, type)) {
    await it.return?.();
    throw unsupported(type ? `${type} is not allowed` : 'unrecognised content');
  }

  const isSvg = type === 'image/svg+xml';
  // The JPEG rewriter checks the JPEG structure itself: one scan of the entropy data, not two.
  const structure: StructureCheck | undefined = isSvg || type === 'image/jpeg' ? undefined : createStructureCheck(type);
  const markup = isSvg ? undefined : new MarkupScanner();
  const rewriter: ImageRewriter | undefined = isSvg ? undefined : createImageRewriter(type, policy);
  let inputSize = 0;

  const feed = (chunk: Uint8Array, out: Uint8Array[]) => {
    inputSize += chunk.length;
    if (inputSize > policy.maxBytes) throw tooLarge(policy.maxBytes);
    const reason = structure?.push(chunk);
    if (reason) throw unsupported(reason);
    if (markup?.push(chunk)) throw unsupported('it contains HTML or SVG markup');
    if (rewriter) rewriter.push(chunk, out);
    else out.push(chunk);
  };
  const end = (out: Uint8Array[]) => {
    const reason = structure?.finish();
    if (reason) throw unsupported(reason);
    rewriter?.finish(out);
  };

  // The header, up to the first image data: its metadata is removed, so the stored length is known.
  const ready: Uint8Array[] = [];
  try {
    feed(first, ready);
    let held = 0;
    while (rewriter && !rewriter.headDone && !ended) {
      const r = await it.next();
      if (r.done) {
        ended = true;
        break;
      }
      if (r.value.length === 0) continue;
      const before = ready.length;
      feed(r.value, ready);
      for (let k = before; k < ready.length; k++) held += (ready[k] as Uint8Array).length;
      if (held > MAX_HEADER_BYTES) throw unsupported('its header is larger than 1 MiB');
    }
    if (ended) end(ready);
  } catch (error) {
    await it.return?.();
    throw error;
  }

  let size: number | undefined;
  if (ended) size = ready.reduce((n, c) => n + c.length, 0);
  else if (options.expectedSize !== undefined) size = options.expectedSize + (rewriter?.sizeDelta ?? 0);
  const facts = rewriter?.facts;
  const hash = (options.sha256 ?? defaultSha256)();
  let done = false;
  let digestValue: UploadDigest | undefined;

  async function* body(): AsyncGenerator<Uint8Array> {
    if (done) throw new Error('[imgstash] a prepared body can be read once');
    done = true;
    let finished = false;
    let stored = 0;
    try {
      for (const piece of ready) {
        hash.update(piece);
        stored += piece.length;
        yield piece;
      }
      ready.length = 0;
      if (!ended) {
        const out: Uint8Array[] = [];
        for (;;) {
          const r = await it.next();
          if (r.done) break;
          if (r.value.length === 0) continue;
          out.length = 0;
          feed(r.value, out);
          for (const piece of out) {
            hash.update(piece);
            stored += piece.length;
            yield piece;
          }
        }
        out.length = 0;
        end(out);
        for (const piece of out) {
          hash.update(piece);
          stored += piece.length;
          yield piece;
        }
      }
      if (size !== undefined && stored !== size) {
        throw new ImageStoreError('INVALID_INPUT', `[imgstash] stored ${stored} bytes, announced ${size}`, {
          publicMessage: 'The file is not the announced length.',
        });
      }
      digestValue = { size: stored, sha256: hash.digestHex() };
      if (facts && rewriter) {
        digestValue.width = facts.width;
        digestValue.height = facts.height;
        digestValue.frames = rewriter.frames;
      }
      finished = true;
    } finally {
      // Releases the source when the consumer stops early or a check fails.
      if (!finished) await it.return?.();
    }
  }

  const image: PreparedImage = {
    contentType: type,
    body: { [Symbol.asyncIterator]: body },
    digest() {
      if (!digestValue) throw new Error('[imgstash] digest() before the body was fully read');
      return digestValue;
    },
  };
  if (size !== undefined) image.size = size;
  if (facts) {
    image.width = facts.width;
    image.height = facts.height;
    image.orientation = facts.orientation;
  }
  return image;
}
