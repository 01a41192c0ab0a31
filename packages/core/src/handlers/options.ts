import type { Sha256Factory } from '../hash.js';
import type { AllowedImageType } from '../policy.js';
import type { ImageBody, ImageStore } from '../types.js';

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

/** What `POST /uploads` answers (201): the signed request to send the bytes with, and where to complete. */
export interface StartedUpload {
  /** The signed, opaque id of this upload. */
  uploadId: string;
  method: 'POST' | 'PUT';
  /** Where to send the bytes: absolute for a bucket, root-relative for the memory and fs stores. */
  url: string;
  /** `POST`: the form fields to send before the file (in a field named `file`). */
  fields?: Record<string, string>;
  /** `PUT`: the headers to send with the bytes. */
  headers?: Record<string, string>;
  /** When the signed request expires (ISO 8601). */
  expiresAt: string;
  /** `POST` here once the bytes are stored: `<uploads>/<uploadId>/complete`. */
  completeUrl: string;
}

/** Route paths, relative to where the handlers are mounted. */
export interface ImageRoutePaths {
  /** `POST` target of uploads. Default `/upload`. */
  upload: string;
  /** Prefix of stable links: `GET|HEAD <image>/:id`. Default `/i`. */
  image: string;
  /** The upload page, or `false` to disable it. Default `/`. */
  page: string | false;
  /**
   * Direct uploads: `POST <uploads>` starts one, `POST <uploads>/:uploadId/complete` publishes
   * it. Default `/uploads`.
   */
  uploads: string;
}

/**
 * Direct uploads: the browser sends the bytes straight to storage (a presigned request of
 * the store's `presignUpload`), to a pending key, and `complete` streams them through the
 * same pipeline as `/upload` before anything is published.
 */
export interface DirectUploadOptions {
  /**
   * The HMAC secret (at least 32 bytes) that signs upload ids and derives the final image
   * ids. Every instance behind a load balancer needs the same one. Default: a memory or fs
   * store's own link secret; other stores (S3) need it set, or direct uploads stay off.
   */
  secret?: string | Uint8Array;
  /** Lifetime of the presigned upload request, in seconds. Default 900. `complete` is accepted up to an hour after. */
  expiresIn?: number;
  /**
   * The storage origins the upload page may send direct uploads to (its CSP `connect-src`),
   * e.g. `['https://images.s3.eu-west-1.amazonaws.com']`. Default: any `https:` origin for a
   * remote store; a memory or fs store's uploads go to the page's own origin.
   */
  uploadOrigins?: readonly string[];
}

/** What `authorize` may answer. `false` refuses with 403; throw an `ImageStoreError('UNAUTHORIZED')` for 401. */
export type AuthorizeResult = boolean | undefined;

/**
 * End-to-end deadlines for the store calls the handlers make, in milliseconds. They cover
 * the store's own retries and backoff and are independent of any per-attempt timeout of
 * its SDK. When one passes, the call is aborted through its `AbortSignal` and the request
 * answers 503 `STORAGE_UNAVAILABLE` with `Retry-After`; an aborted put leaves nothing behind.
 */
export interface StoreDeadlines {
  /** Lookups on the redirect path (`stat`, `exists`, `signedUrl`) and the other short calls. Default 10000. */
  lookup?: number;
  /**
   * A put, counted from the last byte that moved from the client to the store: a slow
   * client is never cut off while it sends, and a store that stops reading, or does not
   * answer once the body has ended, is given this long. Default 30000.
   */
  put?: number;
}

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
  /** Deadlines for store calls, in ms. Default `{ lookup: 10000, put: 30000 }`. */
  deadlines?: StoreDeadlines;
  /**
   * Direct-to-storage uploads (`POST /uploads`, `POST /uploads/:uploadId/complete`), for
   * stores with `presignUpload`. On by default for the memory and fs stores; on for S3 once a
   * `secret` is given; `false` turns them off (the routes then answer 404).
   */
  directUploads?: DirectUploadOptions | false;
}

/** A redirect to send, as plain data: see {@link ImageHandlers.redirectTarget}. */
export interface RedirectTarget {
  status: 302;
  /** `location`, `cache-control`, `x-content-type-options`, `referrer-policy`. */
  headers: Record<string, string>;
}

/** The names of the routes {@link ImageHandlers.match} can find. */
export type RouteName = 'upload' | 'redirect' | 'serve' | 'page' | 'uploads' | 'complete';

/** A request path matched to a route, with its (still percent-encoded) parameters. */
export interface RouteMatch {
  route: RouteName;
  params: Readonly<Record<string, string>>;
}

/** The routes, framework-free: each takes a request and resolves a Web `Response`. */
export interface ImageHandlers {
  /** Routes any request to the handlers below, or answers a JSON 404/405. */
  fetch(request: HandlerRequest, mountPath?: string): Promise<Response>;
  /**
   * The route a path (relative to the mount, as sent: not percent-decoded) belongs to, or
   * `undefined` when it is none of imgstash's, so that an adapter can hand it on to the app.
   */
  match(path: string): RouteMatch | undefined;
  /** Runs the route `match` found. `fetch` is `match` then `dispatch`, or a JSON 404. */
  dispatch(match: RouteMatch, request: HandlerRequest, mountPath?: string): Promise<Response>;
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
  /** `POST /uploads`: starts a direct upload (JSON `{ filename, size, contentType }`). */
  startUpload(request: HandlerRequest, mountPath?: string): Promise<Response>;
  /** `POST /uploads/:uploadId/complete`: verifies and publishes a direct upload. */
  completeUpload(request: HandlerRequest, uploadId: string, mountPath?: string): Promise<Response>;
  /** `GET /`: the upload page. */
  page(request: HandlerRequest, mountPath?: string): Response;
  /** Forgets what the redirect caches hold for `id` (call after deleting it). */
  invalidate(id: string): void;
  /** The resolved route paths, including `files` (from the store, or `null`). */
  readonly paths: Readonly<ImageRoutePaths & { files: string | null }>;
}
