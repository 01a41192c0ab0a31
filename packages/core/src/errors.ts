/**
 * Every failure imgstash reports, as a closed union. Core maps each code to an
 * HTTP status exactly once, in {@link statusForCode}.
 */
export type ImageStoreErrorCode =
  | 'INVALID_INPUT'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'UNPROCESSABLE_IMAGE'
  | 'STORAGE_ERROR'
  | 'STORAGE_UNAVAILABLE'
  | 'OVERLOADED';

const STATUS: Readonly<Record<ImageStoreErrorCode, number>> = {
  INVALID_INPUT: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNPROCESSABLE_IMAGE: 422,
  STORAGE_ERROR: 502,
  STORAGE_UNAVAILABLE: 503,
  OVERLOADED: 503,
};

/** All error codes, in a stable order. */
export const IMAGE_STORE_ERROR_CODES: readonly ImageStoreErrorCode[] = Object.freeze(
  Object.keys(STATUS) as ImageStoreErrorCode[],
);

/** Options for {@link ImageStoreError}. */
export interface ImageStoreErrorOptions {
  /** The underlying error (a vendor error, a parser error). Never sent to HTTP clients. */
  cause?: unknown;
  /**
   * A message safe to show to an HTTP client. Defaults to a generic text for the code,
   * so that bucket names, endpoints and SDK messages never leak.
   */
  publicMessage?: string;
}

const PUBLIC_MESSAGES: Readonly<Record<ImageStoreErrorCode, string>> = {
  INVALID_INPUT: 'The request is invalid.',
  UNAUTHORIZED: 'Authentication is required.',
  FORBIDDEN: 'Access is denied.',
  NOT_FOUND: 'Not found.',
  PAYLOAD_TOO_LARGE: 'The file is too large.',
  UNSUPPORTED_MEDIA_TYPE: 'The file is not a supported image type.',
  UNPROCESSABLE_IMAGE: 'The image could not be processed.',
  STORAGE_ERROR: 'The storage backend failed.',
  STORAGE_UNAVAILABLE: 'The storage backend is unavailable. Try again later.',
  OVERLOADED: 'The server is busy. Try again later.',
};

/**
 * The one error type of imgstash. Stores translate vendor errors into it; handlers
 * turn it into a JSON response with {@link statusForCode}.
 *
 * @example
 * ```ts
 * throw new ImageStoreError('NOT_FOUND', `[imgstash] [fs] no object at ${key}`);
 * ```
 */
export class ImageStoreError extends Error {
  /** What went wrong, as a stable machine-readable code. */
  readonly code: ImageStoreErrorCode;
  /** The HTTP status this error maps to. */
  readonly status: number;
  /** A message that is safe to send to an HTTP client. */
  readonly publicMessage: string;

  constructor(code: ImageStoreErrorCode, message: string, options: ImageStoreErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ImageStoreError';
    this.code = code;
    this.status = STATUS[code];
    this.publicMessage = options.publicMessage ?? PUBLIC_MESSAGES[code];
  }
}

/**
 * True for an {@link ImageStoreError}, also across package copies (it checks the
 * shape, not the prototype, so two installed versions of core still agree).
 */
export function isImageStoreError(value: unknown): value is ImageStoreError {
  return (
    value instanceof ImageStoreError ||
    (typeof value === 'object' &&
      value !== null &&
      (value as { name?: unknown }).name === 'ImageStoreError' &&
      typeof (value as { code?: unknown }).code === 'string' &&
      Object.hasOwn(STATUS, (value as { code: string }).code))
  );
}

/** The HTTP status for an error code: the single place this mapping lives. */
export function statusForCode(code: ImageStoreErrorCode): number {
  return STATUS[code];
}

/**
 * True for an `AbortError` (an aborted signal's default reason, or a put aborted by its
 * signal). Timeouts (`TimeoutError`) are not aborts: stores report them as `STORAGE_UNAVAILABLE`.
 */
export function isAbortError(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as { name?: unknown }).name === 'AbortError';
}
