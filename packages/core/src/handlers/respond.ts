import { ImageStoreError, isAbortError, isImageStoreError } from '../errors.js';
import { errorResponse, jsonResponse } from '../http.js';

/** Seconds a client should wait before retrying a 503. */
export const RETRY_AFTER_SECONDS = 5;

/** The JSON 404 of an unknown route or a missing image. */
export const json404 = (): Response =>
  errorResponse(new ImageStoreError('NOT_FOUND', '[imgstash] no such route', { publicMessage: 'Not found.' }));

/** A JSON 405 with its `Allow` header (RFC 9110). */
export const methodNotAllowed = (allow: string): Response =>
  jsonResponse(405, { error: { code: 'METHOD_NOT_ALLOWED', message: 'Method not allowed.' } }, { allow });

/** Maps anything thrown inside a handler to a JSON response. */
export function failure(error: unknown, headers: Record<string, string> = {}): Response {
  if (isImageStoreError(error)) {
    // A 503 is temporary by definition: say when to come back (RFC 9110 §10.2.3).
    if (error.status === 503) headers = { 'retry-after': String(RETRY_AFTER_SECONDS), ...headers };
    // A 401 names the scheme to answer with (RFC 9110 §11.6.1; RFC 6750 for Bearer).
    if (error.code === 'UNAUTHORIZED') headers = { 'www-authenticate': 'Bearer realm="imgstash"', ...headers };
    return errorResponse(error, headers);
  }
  if (isAbortError(error)) {
    // The client went away; nobody reads this, but the status must not claim success.
    return errorResponse(new ImageStoreError('INVALID_INPUT', '[imgstash] aborted', { cause: error }), headers);
  }
  return jsonResponse(500, { error: { code: 'INTERNAL_ERROR', message: 'Internal error.' } });
}
