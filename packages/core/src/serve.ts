import { ImageStoreError, isImageStoreError } from './errors.js';
import { contentDisposition, sanitizeFilename } from './filename.js';
import { BASE_HEADERS, errorResponse, jsonResponse } from './http.js';
import { isValidKey } from './keys.js';
import type { LocallyServedStore } from './local.js';
import type { SignedParams } from './signer.js';
import type { ObjectBody, ObjectInfo } from './types.js';

/** The CSP on served files: nothing may load or run, and the document is sandboxed. */
export const SERVE_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

const forbidden = () =>
  new ImageStoreError('FORBIDDEN', '[imgstash] invalid or expired link', {
    publicMessage: 'The link is invalid or has expired.',
  });
const notFound = () => new ImageStoreError('NOT_FOUND', '[imgstash] no such file');

function matchesEtag(header: string | null, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const bare = etag.replace(/^W\//, '');
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === bare);
}

/**
 * Serves a signed `/files/:key` link of a local store (memory, fs): verifies the HMAC
 * token and its expiry (403 when forged or expired), then streams the stored bytes with
 * their stored type, `nosniff`, a sandboxing CSP, an ETag and 304 handling.
 * SVG is always served as an attachment.
 *
 * @example
 * ```ts
 * const res = await serveLocalFile(store, request, key);
 * ```
 */
export async function serveLocalFile(store: LocallyServedStore, request: Request, key: string): Promise<Response> {
  try {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      // The same 405 the routed handlers give: an Allow header belongs on a 405 (RFC 9110).
      const body = { error: { code: 'METHOD_NOT_ALLOWED', message: 'Method not allowed.' } };
      return jsonResponse(405, body, { allow: 'GET, HEAD' });
    }
    if (!isValidKey(key)) throw forbidden();
    const query = new URL(request.url).searchParams;
    const expires = Number(query.get('expires'));
    const sig = query.get('sig') ?? '';
    const params: SignedParams = { expires };
    const disposition = query.get('disposition');
    if (disposition === 'inline' || disposition === 'attachment') params.disposition = disposition;
    else if (disposition !== null) throw forbidden();
    const filename = query.get('filename');
    if (filename !== null) {
      const safe = sanitizeFilename(filename);
      if (safe !== filename) throw forbidden();
      params.filename = safe;
    }
    if (!/^\d{1,12}$/.test(query.get('expires') ?? '')) throw forbidden();
    if (!(await store.localUrls.signer.verify(key, params, sig))) throw forbidden();

    const object: ObjectInfo | ObjectBody | undefined =
      request.method === 'HEAD' ? await store.stat(key) : await store.get(key);
    if (!object) throw notFound();
    const body = (object as Partial<ObjectBody>).body ?? null;
    const remaining = Math.max(0, expires - Math.floor(Date.now() / 1000));
    const isSvg = object.contentType === 'image/svg+xml';
    const headers: Record<string, string> = {
      ...BASE_HEADERS,
      'content-type': object.contentType,
      'content-security-policy': SERVE_CSP,
      'content-disposition': contentDisposition(
        isSvg ? 'attachment' : (params.disposition ?? 'inline'),
        params.filename ?? object.filename,
      ),
      'cache-control': `private, max-age=${remaining}`,
    };
    if (object.etag) headers.etag = object.etag;
    if (object.lastModified) headers['last-modified'] = object.lastModified.toUTCString();
    if (object.etag && matchesEtag(request.headers.get('if-none-match'), object.etag)) {
      await body?.cancel();
      return new Response(null, { status: 304, headers });
    }
    headers['content-length'] = String(object.size);
    return new Response(body, { status: 200, headers });
  } catch (error) {
    if (isImageStoreError(error)) return errorResponse(error);
    return errorResponse(new ImageStoreError('STORAGE_ERROR', '[imgstash] serve failed', { cause: error }));
  }
}

/**
 * Resolves a full signed URL (as returned by a local store's `signedUrl`) through
 * {@link serveLocalFile}. Useful in tests and for custom routers.
 */
export function serveSignedUrl(store: LocallyServedStore, request: Request): Promise<Response> {
  const { pathname } = new URL(request.url);
  const base = store.localUrls.basePath;
  const key = pathname.startsWith(`${base}/`) ? decodeURIComponentSafe(pathname.slice(base.length + 1)) : '';
  return serveLocalFile(store, request, key);
}

function decodeURIComponentSafe(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return '';
  }
}
