import { ImageStoreError, isImageStoreError } from '@imgstash/core';

/** What the SDK's errors carry, read defensively: none of it is typed as a contract. */
interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  errno?: unknown;
  errors?: unknown;
  cause?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/** The message for rejected credentials, shared with the docs and tests. */
export const CREDENTIALS_MESSAGE =
  'credentials or permissions rejected (check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY and the bucket policy)';

const CREDENTIAL_NAMES = new Set([
  'AccessDenied',
  'SignatureDoesNotMatch',
  'InvalidAccessKeyId',
  'InvalidToken',
  'ExpiredToken',
  'TokenRefreshRequired',
  'CredentialsProviderError',
]);
const REGION_NAMES = new Set([
  'PermanentRedirect',
  'AuthorizationHeaderMalformed',
  'IllegalLocationConstraintException',
]);
const THROTTLING_NAMES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ServiceUnavailable',
  'RequestTimeout',
]);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

function statusOf(error: SdkErrorShape): number | undefined {
  const status = error.$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

function nameOf(error: SdkErrorShape): string | undefined {
  return text(error.Code) ?? text(error.name);
}

/** The network error code, looking through AggregateError (Node's happy eyeballs) and `cause`. */
function networkCode(error: unknown, depth = 0): string | undefined {
  if (typeof error !== 'object' || error === null || depth > 3) return undefined;
  const e = error as SdkErrorShape;
  const code = text(e.code);
  if (code && NETWORK_CODES.has(code)) return code;
  if (Array.isArray(e.errors)) {
    for (const inner of e.errors) {
      const found = networkCode(inner, depth + 1);
      if (found) return found;
    }
  }
  return networkCode(e.cause, depth + 1);
}

/**
 * True when the SDK error means "no such object". Decided on the HTTP status (a HEAD
 * response has no body to name the error), except that a missing bucket, also a 404,
 * is a configuration error and not an absent object.
 */
export function isMissingObject(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as SdkErrorShape;
  const name = nameOf(e);
  if (name === 'NoSuchBucket') return false;
  const status = statusOf(e);
  if (status !== undefined) return status === 404;
  return name === 'NoSuchKey' || name === 'NotFound';
}

/** True for an abort: an `AbortError` passes through every store method unchanged. */
export function isAbort(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as SdkErrorShape).name === 'AbortError';
}

/**
 * Translates anything the SDK throws into an {@link ImageStoreError}: the single place
 * vendor errors are mapped. An `ImageStoreError` or an `AbortError` is returned unchanged.
 * The SDK error is kept only as `cause`; `publicMessage` stays core's generic text, so
 * bucket names, endpoints and SDK messages never reach an HTTP client.
 *
 * @param operation - The store method, for the log message: `put`, `stat`...
 */
export function toStoreError(error: unknown, operation: string): unknown {
  if (isImageStoreError(error) || isAbort(error)) return error;
  const e = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const status = statusOf(e);
  const name = nameOf(e);
  const detail = [operation, status !== undefined ? `HTTP ${status}` : undefined, name].filter(Boolean).join(', ');
  const fail = (code: 'STORAGE_ERROR' | 'STORAGE_UNAVAILABLE', what: string) =>
    new ImageStoreError(code, `[imgstash] [s3] ${what} [${detail}]`, { cause: error });

  // The SDK names its own connection and request timeouts TimeoutError.
  if (name === 'TimeoutError') return fail('STORAGE_UNAVAILABLE', 'the request timed out');
  const network = networkCode(error);
  if (network) return fail('STORAGE_UNAVAILABLE', `cannot reach the endpoint (${network})`);
  if (name === 'NoSuchBucket') return fail('STORAGE_ERROR', 'the bucket does not exist (check S3_BUCKET)');
  if (name === 'RequestTimeTooSkewed') return fail('STORAGE_ERROR', 'the clock of this host is off by too much');
  if (status === 401 || status === 403 || (name !== undefined && CREDENTIAL_NAMES.has(name))) {
    return fail('STORAGE_ERROR', CREDENTIALS_MESSAGE);
  }
  if (status === 301 || (name !== undefined && REGION_NAMES.has(name))) {
    return fail('STORAGE_ERROR', 'the endpoint or region does not match the bucket (check ENDPOINT and AWS_REGION)');
  }
  if (status === 429 || status === 503 || (name !== undefined && THROTTLING_NAMES.has(name))) {
    return fail('STORAGE_UNAVAILABLE', 'the service is throttling or unavailable');
  }
  if (status !== undefined && status >= 500) return fail('STORAGE_ERROR', 'the service failed');
  return fail('STORAGE_ERROR', `${operation} failed`);
}
