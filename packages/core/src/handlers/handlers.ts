import { ImageStoreError, isAbortError, isImageStoreError } from '../errors.js';
import { clampExpiresIn } from '../expires.js';
import { sanitizeFilename } from '../filename.js';
import type { Sha256Factory } from '../hash.js';
import { errorResponse, jsonResponse } from '../http.js';
import { createIdGenerator, DEFAULT_ID_LENGTH, isValidId } from '../keys.js';
import { isLocallyServed } from '../local.js';
import { openFilePart } from '../multipart.js';
import { type AllowedImageType, resolvePolicy, type UploadPolicy } from '../policy.js';
import { prepareImage } from '../prepare.js';
import { serveLocalFile } from '../serve.js';
import type { ImageBody, ImageStore } from '../types.js';
import { ExpiringLru } from './cache.js';
import { renderUploadPage } from './page.js';

/**
 * The request shape the handlers read. A Web `Request` fits as is; adapters for Node
 * frameworks pass the raw request stream as `body` to skip a Web-stream conversion.
 */
export interface HandlerRequest {
  readonly method: string;
  /** The full URL; only its path and query are read, never its host. */
  readonly url: string;
  readonly headers: Headers;
  readonly body: ImageBody | null;
  /** Aborts when the client goes away. */
  readonly signal?: AbortSignal;
}

/** Facts about a stored upload, as returned to the client and to `onUploaded`. */
export interface UploadedImage {
  id: string;
  /** The absolute stable link `/i/<id>` (root-relative when no public base URL is known). */
  url: string;
  /** Same value as `url`, for pages written against the classic recipe. */
  pageUrl: string;
  contentType: AllowedImageType;
  size: number;
  sha256: string;
  /** The sanitized original filename, if one was sent. */
  filename?: string;
}

/** Route paths, relative to where the handlers are mounted. */
export interface ImageRoutePaths {
  /** `POST` target of uploads. Default `/upload`. */
  upload: string;
  /** Prefix of stable links: `GET|HEAD <image>/:id`. Default `/i`. */
  image: string;
  /** The upload page, or `false` to disable it. Default `/`. */
  page: string | false;
}

/** What `authorize` may answer. `false` refuses with 403; throw an `ImageStoreError('UNAUTHORIZED')` for 401. */
export type AuthorizeResult = boolean | undefined;

/** Options for {@link createImageHandlers}. */
export interface ImageHandlerOptions {
  /** Where images go. */
  store: ImageStore;
  /** Largest accepted file, in bytes. Default 10 MiB. */
  maxBytes?: number;
  /** Accepted types, sniffed from the bytes. Default jpeg, png, gif, webp, avif. Add `image/svg+xml` to opt in to SVG. */
  allowedTypes?: readonly AllowedImageType[];
  /** Lifetime of the signed URLs redirects point to, in seconds. Default 3600. */
  signedUrlTtl?: number;
  /**
   * The public origin links are built from, e.g. `https://img.example.com`. Without it
   * (and without `trustProxy`), links are root-relative: the Host header is never trusted.
   */
  publicBaseUrl?: string;
  /** Build links from `X-Forwarded-Proto`/`X-Forwarded-Host` (only behind a proxy that sets them). Default false. */
  trustProxy?: boolean;
  /** Decides whether a request may upload (`upload`) or follow a link (`view`). */
  authorize?: (request: HandlerRequest, action: 'upload' | 'view') => AuthorizeResult | Promise<AuthorizeResult>;
  /** Called after an upload is stored. If it throws, the image is deleted and the upload fails. */
  onUploaded?: (image: UploadedImage, request: HandlerRequest) => void | Promise<void>;
  /** Route paths. */
  paths?: Partial<ImageRoutePaths>;
  /** The form field carrying the file. Default `file`. */
  fieldName?: string;
  /** Id length in characters (≥ 16). Default 21 (126 bits). */
  idLength?: number;
  /** `Cache-Control` stored with each object. Default `public, max-age=31536000, immutable`. */
  objectCacheControl?: string;
  /** A SHA-256 implementation. Default: node:crypto where the runtime has it, else a portable one. */
  sha256?: Sha256Factory;
  /** Size of the redirect caches (ids). Default 10000. */
  cacheSize?: number;
  /** Page title of the upload page. Default `imgstash`. */
  title?: string;
}

/** A redirect to send, as plain data: see {@link ImageHandlers.redirectTarget}. */
export interface RedirectTarget {
  status: 302;
  /** `location`, `cache-control`, `x-content-type-options`, `referrer-policy`. */
  headers: Record<string, string>;
}

/** The routes, framework-free: each takes a request and resolves a Web `Response`. */
export interface ImageHandlers {
  /** Routes any request to the handlers below, or answers a JSON 404/405. */
  fetch(request: HandlerRequest, mountPath?: string): Promise<Response>;
  /** `POST /upload`. */
  upload(request: HandlerRequest, mountPath?: string): Promise<Response>;
  /** `GET|HEAD /i/:id`. */
  redirect(request: HandlerRequest, id: string, mountPath?: string): Promise<Response>;
  /**
   * `redirect` for adapters that write to a Node response themselves: the 302 as plain
   * data, or the (error) `Response` to send instead. A hot redirect then builds no Web
   * `Response`, which is a good part of its cost on Node.
   */
  redirectTarget(request: HandlerRequest, id: string, mountPath?: string): Promise<RedirectTarget | Response>;
  /** `GET|HEAD /files/:key` (memory and fs stores). */
  serve(request: HandlerRequest, key: string): Promise<Response>;
  /** `GET /`: the upload page. */
  page(request: HandlerRequest, mountPath?: string): Response;
  /** Forgets what the redirect caches hold for `id` (call after deleting it). */
  invalidate(id: string): void;
  /** The resolved route paths, including `files` (from the store, or `null`). */
  readonly paths: Readonly<ImageRoutePaths & { files: string | null }>;
}

interface CachedInfo {
  contentType: string;
}

const normalizePath = (path: string) => `/${path.replace(/^\/+|\/+$/g, '')}`;
// A mount path as adapters pass it ('/' at the root, maybe a trailing slash) → a link prefix:
// '/' must become '', or links start with '//' and name another host.
const mountPrefix = (mountPath: string) => mountPath.replace(/\/+$/, '');
const json404 = () =>
  errorResponse(new ImageStoreError('NOT_FOUND', '[imgstash] no such route', { publicMessage: 'Not found.' }));
const methodNotAllowed = (allow: string) =>
  jsonResponse(405, { error: { code: 'METHOD_NOT_ALLOWED', message: 'Method not allowed.' } }, { allow });

function internalError(): Response {
  return jsonResponse(500, { error: { code: 'INTERNAL_ERROR', message: 'Internal error.' } });
}

/** Maps anything thrown inside a handler to a JSON response. */
function failure(error: unknown, headers: Record<string, string> = {}): Response {
  if (isImageStoreError(error)) return errorResponse(error, headers);
  if (isAbortError(error)) {
    // The client went away; nobody reads this, but the status must not claim success.
    return errorResponse(new ImageStoreError('INVALID_INPUT', '[imgstash] aborted', { cause: error }), headers);
  }
  return internalError();
}

/**
 * Runs one store call. Whatever a store throws besides an `ImageStoreError` or an abort
 * (a third-party store's raw error, a bug in its SDK) is still a failed backend: a 502
 * STORAGE_ERROR, not a 500, and its message stays in `cause`.
 */
async function fromStore<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isImageStoreError(error) || isAbortError(error)) throw error;
    throw new ImageStoreError('STORAGE_ERROR', '[imgstash] the store failed', { cause: error });
  }
}

/**
 * Implements imgstash's HTTP contract on Web `Request`/`Response`, for every runtime:
 * `POST /upload` (streaming: parse, sniff, limit, hash, put with an AbortSignal),
 * `GET|HEAD /i/:id` (302 to a cached, time-bucketed signed URL), `GET /files/:key`
 * (local stores) and `GET /` (the upload page).
 *
 * @example
 * ```ts
 * const handlers = createImageHandlers({ store: createMemoryStore() });
 * export default { fetch: (request: Request) => handlers.fetch(request) };
 * ```
 */
export function createImageHandlers(options: ImageHandlerOptions): ImageHandlers {
  const { store } = options;
  if (!store) throw new TypeError('[imgstash] createImageHandlers needs a store');
  const policy: UploadPolicy = resolvePolicy({
    ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
    ...(options.allowedTypes === undefined ? {} : { allowedTypes: options.allowedTypes }),
  });
  const ttl = clampExpiresIn(options.signedUrlTtl);
  // Signing on a fixed date per window gives every view in the window the same URL,
  // so browsers and CDNs cache the image. A URL handed out keeps ≥ 3/4 of its life.
  const window = Math.max(1, Math.floor(ttl / 4));
  const idLength = options.idLength ?? DEFAULT_ID_LENGTH;
  const newId = createIdGenerator(idLength);
  const fieldName = options.fieldName ?? 'file';
  const objectCacheControl = options.objectCacheControl ?? 'public, max-age=31536000, immutable';
  const publicBaseUrl = options.publicBaseUrl?.replace(/\/+$/, '');
  if (publicBaseUrl !== undefined && !/^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/.test(publicBaseUrl)) {
    throw new TypeError('[imgstash] publicBaseUrl must be an absolute http(s) URL without query');
  }
  const paths = {
    upload: normalizePath(options.paths?.upload ?? '/upload'),
    image: normalizePath(options.paths?.image ?? '/i'),
    page: options.paths?.page === false ? false : normalizePath(options.paths?.page ?? '/'),
    files: isLocallyServed(store) ? store.localUrls.basePath : null,
  } as const;
  const infoCache = new ExpiringLru<CachedInfo>(options.cacheSize ?? 10_000);
  const urlCache = new ExpiringLru<string>(options.cacheSize ?? 10_000);
  const multipartLimits = {
    fieldName,
    maxParts: 16,
    maxFieldSize: 16 * 1024,
    // The file plus room for a few small fields and the part headers.
    maxTotalSize: policy.maxBytes + 256 * 1024,
  };
  const pageHtml = (mountPath: string) =>
    renderUploadPage({
      uploadUrl: mountPrefix(mountPath) + paths.upload,
      fieldName,
      maxBytes: policy.maxBytes,
      allowedTypes: policy.allowedTypes,
      title: options.title ?? 'imgstash',
    });

  /** The origin + mount prefix links are built from; '' gives root-relative links. */
  function linkBase(request: HandlerRequest, mountPath: string): string {
    const mount = mountPrefix(mountPath);
    if (publicBaseUrl !== undefined) return publicBaseUrl + mount;
    if (options.trustProxy) {
      const host = request.headers.get('x-forwarded-host')?.split(',')[0]?.trim();
      const proto = request.headers.get('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
      if (host && /^[a-z0-9.-]+(:\d{1,5})?$/i.test(host) && (proto === 'http' || proto === 'https')) {
        return `${proto}://${host}${mount}`;
      }
    }
    return mount;
  }

  async function authorize(request: HandlerRequest, action: 'upload' | 'view'): Promise<void> {
    if (!options.authorize) return;
    const result = await options.authorize(request, action);
    if (result === false) {
      throw new ImageStoreError('FORBIDDEN', '[imgstash] refused by authorize', { publicMessage: 'Access is denied.' });
    }
  }

  async function upload(request: HandlerRequest, mountPath = ''): Promise<Response> {
    if (request.method !== 'POST') return methodNotAllowed('POST');
    let storedId: string | undefined;
    try {
      await authorize(request, 'upload');
      const contentType = request.headers.get('content-type') ?? '';
      if (!/^multipart\/form-data\s*(;|$)/i.test(contentType)) {
        throw new ImageStoreError('UNSUPPORTED_MEDIA_TYPE', '[imgstash] not multipart/form-data', {
          publicMessage: `Send the image as multipart/form-data in a field named "${fieldName}".`,
        });
      }
      // Content-Length is never trusted to accept, only to refuse early and cheaply.
      const declared = Number(request.headers.get('content-length') ?? Number.NaN);
      if (Number.isFinite(declared) && declared > multipartLimits.maxTotalSize) {
        throw new ImageStoreError('PAYLOAD_TOO_LARGE', '[imgstash] declared length over the limit', {
          publicMessage: `The file is larger than the limit of ${policy.maxBytes} bytes.`,
        });
      }
      const part = await openFilePart(
        request.body,
        contentType,
        multipartLimits,
        Number.isFinite(declared) ? { contentLength: declared } : {},
      );
      const image = await prepareImage(part.body, policy, options.sha256 ? { sha256: options.sha256 } : {});
      const id = newId();
      const filename = sanitizeFilename(part.filename);
      const { expectedSize } = part;
      const putOptions = {
        contentType: image.contentType,
        cacheControl: objectCacheControl,
        ...(filename === undefined ? {} : { filename }),
        // The file's body throws unless it has exactly this length, so for the store it is
        // the size: an S3 store streams it through in one request instead of buffering it.
        ...(expectedSize !== undefined && expectedSize <= policy.maxBytes ? { size: expectedSize } : {}),
        ...(request.signal ? { signal: request.signal } : {}),
      };
      await fromStore(() => store.put(id, image.body, putOptions));
      storedId = id;
      const { size, sha256 } = image.digest();
      const url = `${linkBase(request, mountPath)}${paths.image}/${id}`;
      const uploaded: UploadedImage = { id, url, pageUrl: url, contentType: image.contentType, size, sha256 };
      if (filename !== undefined) uploaded.filename = filename;
      infoCache.set(id, { contentType: image.contentType }, Date.now() + ttl * 1000);
      await options.onUploaded?.(uploaded, request);
      return jsonResponse(201, uploaded, { location: url });
    } catch (error) {
      if (storedId !== undefined) {
        // onUploaded refused the image: take it back out.
        infoCache.delete(storedId);
        await store.delete(storedId).catch(() => {});
      }
      return failure(error);
    }
  }

  async function signedLocation(id: string, info: CachedInfo, now: number): Promise<{ url: string; until: number }> {
    const signedAt = Math.floor(now / 1000 / window) * window * 1000;
    const cacheKey = `${id}@${signedAt}`;
    const until = signedAt + ttl * 1000;
    const cached = urlCache.get(cacheKey, now);
    if (cached) return { url: cached, until };
    const isSvg = info.contentType === 'image/svg+xml';
    const url = await fromStore(() =>
      store.signedUrl(id, {
        expiresIn: ttl,
        signedAt,
        contentType: info.contentType,
        // SVG can carry script: never render it inline from the storage origin.
        ...(isSvg ? { disposition: 'attachment' as const } : {}),
      }),
    );
    urlCache.set(cacheKey, url, signedAt + window * 1000);
    return { url, until };
  }

  async function redirectTarget(
    request: HandlerRequest,
    id: string,
    mountPath = '',
  ): Promise<RedirectTarget | Response> {
    if (request.method !== 'GET' && request.method !== 'HEAD') return methodNotAllowed('GET, HEAD');
    // A malformed id cannot exist: answer without touching storage.
    if (!isValidId(id, idLength)) return json404();
    try {
      await authorize(request, 'view');
      const now = Date.now();
      let info = infoCache.get(id, now);
      if (!info) {
        const stat = await fromStore(() => store.stat(id));
        if (!stat) return json404();
        info = { contentType: stat.contentType };
        // Ids are immutable: a positive answer stays true until deleted.
        infoCache.set(id, info, now + ttl * 1000);
      }
      const { url, until } = await signedLocation(id, info, now);
      const location = url.startsWith('/') ? linkBase(request, mountPath) + url : url;
      // Caches must drop the redirect well before the signed URL dies.
      const maxAge = Math.max(0, Math.floor(((until - now) / 1000) * 0.9) - 5);
      return {
        status: 302,
        headers: {
          location,
          'cache-control': `private, max-age=${maxAge}`,
          'x-content-type-options': 'nosniff',
          'referrer-policy': 'no-referrer',
        },
      };
    } catch (error) {
      return failure(error);
    }
  }

  async function redirect(request: HandlerRequest, id: string, mountPath = ''): Promise<Response> {
    const target = await redirectTarget(request, id, mountPath);
    return target instanceof Response ? target : new Response(null, target);
  }

  async function serve(request: HandlerRequest, key: string): Promise<Response> {
    if (!isLocallyServed(store)) return json404();
    return serveLocalFile(store, request as Request, key);
  }

  function page(request: HandlerRequest, mountPath = ''): Response {
    if (request.method !== 'GET' && request.method !== 'HEAD') return methodNotAllowed('GET, HEAD');
    const { html, nonce } = pageHtml(mountPath);
    return new Response(request.method === 'HEAD' ? null : html, {
      status: 200,
      headers: {
        'content-type': 'text/html; charset=utf-8',
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
        'referrer-policy': 'no-referrer',
        'cache-control': 'no-store',
        'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; img-src * blob: data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
      },
    });
  }

  function pathOf(request: HandlerRequest): string {
    const url = request.url;
    const start = url.indexOf('/', url.indexOf('//') + 2);
    const end = url.indexOf('?', start);
    return start < 0 ? '/' : url.slice(start, end < 0 ? undefined : end);
  }

  async function route(request: HandlerRequest, mountPath = ''): Promise<Response> {
    const mount = mountPath === '/' ? '' : mountPath.replace(/\/+$/, '');
    let path = pathOf(request);
    if (mount && path.startsWith(mount)) path = path.slice(mount.length) || '/';
    if (path === paths.upload) return upload(request, mount);
    if (path.startsWith(`${paths.image}/`)) return redirect(request, path.slice(paths.image.length + 1), mount);
    if (paths.files !== null && path.startsWith(`${paths.files}/`)) {
      return serve(request, safeDecode(path.slice(paths.files.length + 1)));
    }
    if (paths.page !== false && path === paths.page) return page(request, mount);
    return json404();
  }

  return {
    fetch: route,
    upload,
    redirect,
    redirectTarget,
    serve,
    page,
    invalidate(id) {
      infoCache.delete(id);
    },
    paths,
  };
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return '';
  }
}
