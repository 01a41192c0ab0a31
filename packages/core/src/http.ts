import { type ImageStoreError, isImageStoreError } from './errors.js';

/** Security headers on every response imgstash writes. */
export const BASE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'x-content-type-options': 'nosniff',
});

/** The JSON body of every error response. */
export interface ErrorBody {
  error: { code: string; message: string };
}

/** A JSON response with imgstash's base headers. */
export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      ...BASE_HEADERS,
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      ...headers,
    },
  });
}

/** The JSON error response for an {@link ImageStoreError}: code and public message, never internals. */
export function errorResponse(error: ImageStoreError, headers: Record<string, string> = {}): Response {
  const body: ErrorBody = { error: { code: error.code, message: error.publicMessage } };
  return jsonResponse(error.status, body, headers);
}

/**
 * Turns anything thrown into an {@link ImageStoreError}: known errors pass through,
 * anything else becomes `STORAGE_ERROR` with the original as `cause`.
 */
export function toImageStoreError(error: unknown, fallback: () => ImageStoreError): ImageStoreError {
  return isImageStoreError(error) ? error : fallback();
}
