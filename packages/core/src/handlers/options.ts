import type { Sha256Factory } from '../hash.js';
import type { AllowedImageType } from '../policy.js';
import type { ImageTransformer, PlaceholderKind, VariantPreset } from '../transform.js';
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
  /**
   * The stable link of each configured preset, `/i/<id>/<preset>` (absolute like `url`).
   * Present when `variants` are configured. A variant is made on its first request.
   */
  variants?: Record<string, string>;
  /**
   * A placeholder of the image (ThumbHash, base64), when `placeholder` is configured and
   * the transformer could make one. Decode it with `thumbHashToDataURL` of `thumbhash`.
   */
  placeholder?: string;
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
  /**
   * Making one variant: reading the original and transforming it. When it passes, the
   * request answers 503 `OVERLOADED` with `Retry-After` and nothing is stored. Default 30000.
   */
  transform?: number;
}

/**
 * Bounds on variant work. Transforms are single-flight per variant (simultaneous first
 * requests for one variant run one transform) and run through one bounded queue.
 */
export interface TransformQueueOptions {
  /** Transforms running at once. Default: the machine's cores (`navigator.hardwareConcurrency`), else 2. */
  concurrency?: number;
  /** Transforms waiting for a slot; past that a first request answers 503 `OVERLOADED` with `Retry-After`. Default 32. */
  maxQueued?: number;
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
  /** Deadlines for store calls and transforms, in ms. Default `{ lookup: 10000, put: 30000, transform: 30000 }`. */
  deadlines?: StoreDeadlines;
  /**
   * Makes variants and placeholders (e.g. `createSharpTransformer()` of `@imgstash/sharp`).
   * Required by `variants` and `placeholder`.
   */
  transformer?: ImageTransformer;
  /**
   * Named presets served at `GET|HEAD /i/:id/:preset`, e.g.
   * `{ thumb: { width: 320, height: 320, fit: 'inside', format: 'webp' } }`. Names match
   * `[a-z0-9-]{1,32}`. Checked at construction: a `TypeError` for a bad preset, or for
   * variants without a `transformer`.
   */
  variants?: Readonly<Record<string, VariantPreset>>;
  /** Bounds on variant work: concurrency and queue length. */
  transformQueue?: TransformQueueOptions;
  /**
   * Compute a placeholder at upload, while the bytes stream to storage: `'thumbhash'`.
   * Needs a `transformer` with a `placeholder` function (a `TypeError` otherwise).
   */
  placeholder?: PlaceholderKind;
}

/** A redirect to send, as plain data: see {@link ImageHandlers.redirectTarget}. */
export interface RedirectTarget {
  status: 302;
  /** `location`, `cache-control`, `x-content-type-options`, `referrer-policy`. */
  headers: Record<string, string>;
}

/** The names of the routes {@link ImageHandlers.match} can find. */
export type RouteName = 'upload' | 'redirect' | 'variant' | 'serve' | 'page';

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
  /**
   * `GET|HEAD /i/:id/:preset`: 302 to the variant, made and stored on its first request.
   * An unknown preset or a missing original answers 404.
   */
  variant(request: HandlerRequest, id: string, preset: string, mountPath?: string): Promise<Response>;
  /** `variant` as plain data, like {@link ImageHandlers.redirectTarget}: the hot path of Node adapters. */
  variantTarget(
    request: HandlerRequest,
    id: string,
    preset: string,
    mountPath?: string,
  ): Promise<RedirectTarget | Response>;
  /** `GET|HEAD /files/:key` (memory and fs stores). */
  serve(request: HandlerRequest, key: string): Promise<Response>;
  /** `GET /`: the upload page. */
  page(request: HandlerRequest, mountPath?: string): Response;
  /** Forgets what the redirect caches hold for `id` and its variants (call after deleting it). */
  invalidate(id: string): void;
  /** The resolved route paths, including `files` (from the store, or `null`). */
  readonly paths: Readonly<ImageRoutePaths & { files: string | null }>;
}
