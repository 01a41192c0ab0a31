import { ImageStoreError } from './errors.js';
import { clampExpiresIn } from './expires.js';
import { sanitizeFilename } from './filename.js';
import { assertValidKey } from './keys.js';
import type { PresignUploadOptions, PutOptions } from './types.js';

/** {@link PutOptions} after validation: what a store may write as is. */
export interface NormalizedPutOptions {
  contentType: string;
  size?: number;
  filename?: string;
  metadata: Record<string, string>;
  cacheControl?: string;
  signal?: AbortSignal;
}

const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;
const META_KEY = /^[a-z0-9-]{1,64}$/;
const PRINTABLE = /^[\x20-\x7e]*$/;

function invalid(message: string): ImageStoreError {
  return new ImageStoreError('INVALID_INPUT', `[imgstash] ${message}`, { publicMessage: 'The request is invalid.' });
}

/**
 * Validates a key and put options once, for every store: the media type is a bare
 * `type/subtype`, metadata keys are `[a-z0-9-]`, metadata values and `cacheControl`
 * are printable ASCII (what S3 metadata allows), and the filename is sanitized.
 * Throws `INVALID_INPUT` otherwise.
 */
export function normalizePutOptions(key: string, options: PutOptions): NormalizedPutOptions {
  assertValidKey(key);
  const contentType = String(options?.contentType ?? '').toLowerCase();
  if (!MEDIA_TYPE.test(contentType)) throw invalid('contentType must be a bare media type');
  const metadata: Record<string, string> = {};
  let metaBytes = 0;
  for (const [k, v] of Object.entries(options.metadata ?? {})) {
    if (!META_KEY.test(k) || k.startsWith('imgstash-'))
      throw invalid(`metadata key ${JSON.stringify(k)} is not allowed`);
    if (typeof v !== 'string' || !PRINTABLE.test(v)) throw invalid(`metadata ${k} must be printable ASCII`);
    metaBytes += k.length + v.length;
    metadata[k] = v;
  }
  // S3 caps user metadata at 2 KB; the filename takes up to ~1 KB of it.
  if (metaBytes > 1024) throw invalid('metadata exceeds 1024 bytes');
  const out: NormalizedPutOptions = { contentType, metadata };
  if (options.size !== undefined) {
    if (!Number.isSafeInteger(options.size) || options.size < 0) throw invalid('size must be a non-negative integer');
    out.size = options.size;
  }
  const filename = sanitizeFilename(options.filename);
  if (filename !== undefined) out.filename = filename;
  if (options.cacheControl !== undefined) {
    if (!PRINTABLE.test(options.cacheControl)) throw invalid('cacheControl must be printable ASCII');
    out.cacheControl = options.cacheControl;
  }
  if (options.signal) out.signal = options.signal;
  return out;
}

/** Throws `INVALID_INPUT` when a known size disagrees with the bytes actually received. */
export function assertSize(expected: number | undefined, actual: number): void {
  if (expected !== undefined && expected !== actual) {
    throw invalid(`the body had ${actual} bytes, not the declared ${expected}`);
  }
}

/** {@link PresignUploadOptions} after validation. */
export interface NormalizedPresignUpload {
  size: number;
  contentType: string;
  /** Seconds, clamped to 1..604800. */
  expiresIn: number;
}

/**
 * Validates the key and options of a `presignUpload` once, for every store: `size` is a
 * positive safe integer and `contentType` a bare lowercase `type/subtype`. Throws
 * `INVALID_INPUT` otherwise.
 */
export function normalizePresignUpload(key: string, options: PresignUploadOptions): NormalizedPresignUpload {
  assertValidKey(key);
  const { size } = options;
  if (!Number.isSafeInteger(size) || size < 1) throw invalid('`size` must be a positive integer');
  const contentType = String(options.contentType ?? '');
  if (!MEDIA_TYPE.test(contentType)) throw invalid('`contentType` must be a bare lowercase type/subtype');
  return { size, contentType, expiresIn: clampExpiresIn(options.expiresIn) };
}
