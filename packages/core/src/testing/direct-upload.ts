import { createImageHandlers } from '../handlers/handlers.js';
import type { ImageStore, PresignedUpload } from '../types.js';

/**
 * Sends a body the way a browser sends a {@link PresignedUpload}: a `PUT` of the bytes with
 * its headers, or a `POST` form with its fields first and the file last. An absolute URL goes
 * out through `fetch`; a root-relative one (a local store's) goes to core's own files route
 * for `store`, without a listener.
 *
 * @example
 * ```ts
 * const upload = await store.presignUpload('pending.abc', { size: bytes.length, contentType: 'image/png' });
 * const response = await sendPresignedUpload(upload, bytes, { contentType: 'image/png', store });
 * ```
 */
export async function sendPresignedUpload(
  upload: PresignedUpload,
  bytes: Uint8Array,
  options: { contentType: string; store?: ImageStore },
): Promise<Response> {
  const blob = new Blob([bytes as Uint8Array<ArrayBuffer>], { type: options.contentType });
  let init: RequestInit;
  if (upload.method === 'POST') {
    const form = new FormData();
    for (const [name, value] of Object.entries(upload.fields ?? {})) form.append(name, value);
    form.append('file', blob, 'upload');
    init = { method: 'POST', body: form, ...(upload.headers ? { headers: upload.headers } : {}) };
  } else {
    init = { method: 'PUT', body: blob, headers: { ...upload.headers, 'content-type': options.contentType } };
  }
  if (/^https?:\/\//.test(upload.url)) return fetch(upload.url, init);
  if (!options.store) throw new TypeError('[imgstash] a root-relative upload URL needs its store');
  return createImageHandlers({ store: options.store, paths: { page: false } }).fetch(
    new Request(new URL(upload.url, 'http://localhost'), init),
  );
}
