import { iterateBody } from './body.js';
import { ImageStoreError } from './errors.js';
import { defaultSha256, type Sha256Factory } from './hash.js';
import { createStructureCheck, MarkupScanner, type StructureCheck } from './inspect.js';
import { type AllowedImageType, isAllowedType, type UploadPolicy } from './policy.js';
import { SNIFF_BYTES, sniffType } from './sniff.js';
import type { ImageBody } from './types.js';

/** The facts about an upload that are known once its last byte has passed. */
export interface UploadDigest {
  /** Bytes counted. */
  size: number;
  /** SHA-256 of the bytes, lowercase hex. */
  sha256: string;
}

/** An upload whose type is known and whose remaining bytes are checked as they stream. */
export interface PreparedImage {
  /** The type sniffed from the bytes. */
  contentType: AllowedImageType;
  /**
   * The bytes, to hand to a store exactly once. Iterating it counts against `maxBytes`,
   * hashes, and checks the structure; it throws an {@link ImageStoreError} the moment a
   * check fails, so the store aborts its put.
   */
  body: AsyncIterable<Uint8Array>;
  /** The size and hash; available after `body` has been read to its end without error. */
  digest(): UploadDigest;
}

/** Options for {@link prepareImage}. */
export interface PrepareImageOptions {
  /** A SHA-256 implementation; defaults to the runtime's fastest ({@link defaultSha256}). */
  sha256?: Sha256Factory;
}

function tooLarge(maxBytes: number): ImageStoreError {
  return new ImageStoreError('PAYLOAD_TOO_LARGE', `[imgstash] file exceeds ${maxBytes} bytes`, {
    publicMessage: `The file is larger than the limit of ${maxBytes} bytes.`,
  });
}

function unsupported(reason: string): ImageStoreError {
  return new ImageStoreError('UNSUPPORTED_MEDIA_TYPE', `[imgstash] refused: ${reason}`, {
    publicMessage: `The file is not an accepted image (${reason}).`,
  });
}

/**
 * Reads just enough of `source` to sniff its real type and check it against `policy`,
 * then returns the whole body as a checked stream. Memory stays bounded: only the
 * first {@link SNIFF_BYTES} are held back, whatever the file's size.
 *
 * Throws `INVALID_INPUT` for an empty file, `UNSUPPORTED_MEDIA_TYPE` for anything that is
 * not an allowed image, and `PAYLOAD_TOO_LARGE` past `maxBytes`.
 *
 * @example
 * ```ts
 * const image = await prepareImage(request.body!, resolvePolicy());
 * await store.put(createId(), image.body, { contentType: image.contentType });
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
  const first = head.length === 1 ? (head[0] as Uint8Array) : concat(head, headSize);
  const type = sniffType(first);
  if (!isAllowedType(policy, type)) {
    await it.return?.();
    throw unsupported(type ? `${type} is not allowed` : 'unrecognised content');
  }

  const isSvg = type === 'image/svg+xml';
  const structure: StructureCheck | undefined = isSvg ? undefined : createStructureCheck(type);
  const markup = isSvg ? undefined : new MarkupScanner();
  const hash = (options.sha256 ?? defaultSha256)();
  let size = 0;
  let done = false;
  let digestValue: UploadDigest | undefined;

  const check = (chunk: Uint8Array) => {
    size += chunk.length;
    if (size > policy.maxBytes) throw tooLarge(policy.maxBytes);
    const reason = structure?.push(chunk);
    if (reason) throw unsupported(reason);
    if (markup?.push(chunk)) throw unsupported('it contains HTML or SVG markup');
    hash.update(chunk);
  };

  async function* body(): AsyncGenerator<Uint8Array> {
    if (done) throw new Error('[imgstash] a prepared body can be read once');
    done = true;
    let finished = false;
    try {
      check(first);
      yield first;
      if (!ended) {
        for (;;) {
          const r = await it.next();
          if (r.done) break;
          if (r.value.length === 0) continue;
          check(r.value);
          yield r.value;
        }
      }
      const reason = structure?.finish();
      if (reason) throw unsupported(reason);
      digestValue = { size, sha256: hash.digestHex() };
      finished = true;
    } finally {
      // Releases the source when the consumer stops early or a check fails.
      if (!finished) await it.return?.();
    }
  }

  return {
    contentType: type,
    body: { [Symbol.asyncIterator]: body },
    digest() {
      if (!digestValue) throw new Error('[imgstash] digest() before the body was fully read');
      return digestValue;
    },
  };
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
