import type { DrainBounds } from '../drain.js';
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
  /** The share page `/p/<id>` (OpenGraph and Twitter cards); the same value as `url` when `paths.share` is `false`. */
  pageUrl: string;
  contentType: AllowedImageType;
  /** The stored bytes' length: after metadata stripping, what `/i/<id>` serves. */
  size: number;
  /** SHA-256 of the stored bytes, lowercase hex. */
  sha256: string;
  /** The displayed width in pixels, after the orientation; absent for SVG. */
  width?: number;
  /** The displayed height in pixels, after the orientation; absent for SVG. */
  height?: number;
  /** The sanitized original filename, if one was sent. */
  filename?: string;
  /**
   * The image's delete token (192 random bits, base64url): `DELETE /i/<id>` with
   * `Authorization: Bearer <deleteToken>` removes it. Handed out once, here: the store
   * keeps only its SHA-256. Absent in what `onUploaded` gets, so that hooks cannot log it.
   */
  deleteToken?: string;
  /**
   * The confirmation page `/d/<id>#<deleteToken>`: opening it never deletes (link unfurlers
   * open links); its button does. The token rides in the fragment, which browsers never send,
   * so it stays out of every server's and proxy's logs. Absent in what `onUploaded` gets.
   */
  deleteUrl?: string;
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
  /** The health check `GET|HEAD <health>`, or `false` to disable it. Default `/healthz`. */
  health: string | false;
  /** Prefix of the delete confirmation pages: `GET|HEAD|POST <delete>/:id`. Default `/d`. */
  delete: string;
  /** Prefix of the share pages `GET|HEAD <share>/:id`, or `false` to disable them. Default `/p`. */
  share: string | false;
  /** The ShareX custom uploader config `GET|HEAD <sharex>`, or `false` to disable it. Default `/sharex.sxcu`. */
  sharex: string | false;
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

/** What a request asks `authorize` for. */
export type AuthorizeAction = 'upload' | 'view' | 'delete';

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
  /**
   * Remove metadata (EXIF with GPS position and camera, XMP, IPTC, comments, text chunks) from
   * every upload, losslessly on the stream: the pixels are untouched, the ICC profile and the
   * orientation are kept. Default `true`. See docs/images.md for what is kept per format.
   */
  stripMetadata?: boolean;
  /**
   * The most pixels an upload may declare (width × height, summed over every frame of an
   * animation), refused with 413 from the headers, before anything decodes it. Default 100 MP.
   */
  maxPixels?: number;
  /** The most frames an animated GIF, WebP or AVIF may have. Default 1000. */
  maxFrames?: number;
  /** Lifetime of the signed URLs redirects point to, in seconds. Default 3600. */
  signedUrlTtl?: number;
  /**
   * The public origin links are built from, e.g. `https://img.example.com`. Without it
   * (and without `trustProxy`), links are root-relative: the Host header is never trusted.
   */
  publicBaseUrl?: string;
  /** Build links from `X-Forwarded-Proto`/`X-Forwarded-Host` (only behind a proxy that sets them). Default false. */
  trustProxy?: boolean;
  /**
   * Decides whether a request may upload (`upload`), follow a link (`view`) or delete an
   * image (`delete`). For `delete`, `true` lets the request delete **without** the image's
   * token (an app's admins), `false` refuses it, and `undefined` asks for the token: answer
   * `true` only to requests you have authenticated.
   */
  authorize?: (request: HandlerRequest, action: AuthorizeAction) => AuthorizeResult | Promise<AuthorizeResult>;
  /**
   * API keys: when set, every upload must carry `Authorization: Bearer <key>` with one of
   * them (401 with `WWW-Authenticate: Bearer` without one, 403 for a wrong one), checked
   * before `authorize`. Keys are compared as SHA-256 digests in constant time. Each key is
   * at least 16 characters of the Bearer token alphabet (`A-Z a-z 0-9 - . _ ~ + /`, then
   * optional `=`); generate them with e.g. `openssl rand -base64 32`. Viewing is not affected.
   */
  apiKeys?: readonly string[];
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
  /**
   * How long, in seconds, a process remembers that an image exists (so that a hot redirect
   * makes no storage call). A delete makes this process forget at once; **other instances
   * forget within this bound**, and until then redirect to a signed URL that already fails.
   * Default 300, or the signing window (`signedUrlTtl / 4`) when that is shorter.
   */
  infoCacheTtl?: number;
  /** Page title of the upload page. Default `imgstash`. */
  title?: string;
  /** Deadlines for store calls and transforms, in ms. Default `{ lookup: 10000, put: 30000, transform: 30000 }`. */
  deadlines?: StoreDeadlines;
  /**
   * After a refusal (413, 415, 400, 401/403, a failed store), the rest of the request body is
   * read and discarded within these bounds before the answer goes out, so that clients which
   * read the answer only once they have sent everything (`fetch` with `FormData`, most HTTP
   * libraries) get it. Past a bound the answer carries `Connection: close` and the rest is cut
   * off. Default `{ maxBytes: 64 MiB, timeout: 10000 }`.
   */
  refusalDrain?: Partial<DrainBounds>;
  /** The health check's probe and drain switch. */
  health?: HealthOptions;
  /**
   * Direct-to-storage uploads (`POST /uploads`, `POST /uploads/:uploadId/complete`), for
   * stores with `presignUpload`. On by default for the memory and fs stores; on for S3 once a
   * `secret` is given; `false` turns them off (the routes then answer 404).
   */
  directUploads?: DirectUploadOptions | false;
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

/**
 * How `GET /healthz` probes the store. The probe is a `stat` of a fixed key that never
 * exists (`healthz.probe`): "not found" is healthy. On AWS S3 the credentials need
 * `s3:ListBucket` on the bucket, or S3 answers 403 instead of 404 for a missing key and
 * the check reports `storage-error` (imgstash needs that permission anyway, so that a
 * missing image is a 404).
 */
export interface HealthOptions {
  /** How long the probe may take before the instance counts as unhealthy, in ms. Default 2000. */
  deadline?: number;
  /** How long a probe's verdict is reused, in ms, so that checks cannot hammer storage. Default 5000. */
  cacheFor?: number;
  /**
   * Answers `true` while the instance shuts down: health then answers 503 `draining`
   * without a probe. The same as calling {@link ImageHandlers.setDraining}.
   */
  draining?: () => boolean;
}

/** Why `GET /healthz` answers 503. */
export type HealthReason = 'draining' | 'storage-timeout' | 'storage-error';

/** A redirect to send, as plain data: see {@link ImageHandlers.redirectTarget}. */
export interface RedirectTarget {
  status: 302;
  /** `location`, `cache-control`, `x-content-type-options`, `referrer-policy`. */
  headers: Record<string, string>;
}

/** The names of the routes {@link ImageHandlers.match} can find. */
export type RouteName =
  | 'upload'
  | 'redirect'
  | 'variant'
  | 'serve'
  | 'page'
  | 'health'
  | 'delete'
  | 'share'
  | 'sharex'
  | 'uploads'
  | 'complete';

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
   * `DELETE /i/:id` with `Authorization: Bearer <deleteToken>` (or a request `authorize`
   * lets `delete`): 204, and the image, its derived keys and the caches are gone.
   * `redirect` and `redirectTarget` hand a `DELETE` to it.
   */
  remove(request: HandlerRequest, id: string): Promise<Response>;
  /** `GET|HEAD /d/:id`: the delete confirmation page; `POST /d/:id` (token in the form): the delete. */
  deletePage(request: HandlerRequest, id: string, mountPath?: string): Promise<Response>;
  /**
   * Deletes image `id` without a token (for an app's own admin code): the original, every
   * derived key `<id>.*` the store lists (a store without `list` loses the original only),
   * and what this process caches of it. Resolves when the image is gone (also when it was
   * not stored); rejects with `INVALID_INPUT` for a string that is not an id.
   */
  deleteImage(id: string): Promise<void>;
  /**
   * `GET|HEAD /p/:id`: the share page, with OpenGraph and Twitter tags on the stable link
   * (absolute links need `publicBaseUrl` or `trustProxy`; without, the page says so).
   */
  share(request: HandlerRequest, id: string, mountPath?: string): Promise<Response>;
  /**
   * `GET|HEAD /sharex.sxcu`: a ShareX custom uploader config for this host (absolute URLs:
   * needs `publicBaseUrl` or `trustProxy`). With `apiKeys`, only for a request with a valid
   * key, which it embeds.
   */
  sharex(request: HandlerRequest, mountPath?: string): Promise<Response>;
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
  /** `POST /uploads`: starts a direct upload (JSON `{ filename, size, contentType }`). */
  startUpload(request: HandlerRequest, mountPath?: string): Promise<Response>;
  /** `POST /uploads/:uploadId/complete`: verifies and publishes a direct upload. */
  completeUpload(request: HandlerRequest, uploadId: string, mountPath?: string): Promise<Response>;
  /** `GET /`: the upload page. */
  page(request: HandlerRequest, mountPath?: string): Response;
  /**
   * `GET|HEAD /healthz`: `200 { ok: true }` when the store answers a cheap probe in time;
   * `503 { ok: false, reason, error }` (with `Retry-After`) when it does not, or while draining.
   */
  health(request: HandlerRequest): Promise<Response>;
  /**
   * Marks the instance as draining (on SIGTERM, before closing the server): health answers
   * 503 `draining` from now on, so that load balancers stop sending requests first.
   */
  setDraining(draining: boolean): void;
  /** Forgets what the redirect caches hold for `id` and its variants (call after deleting it). */
  invalidate(id: string): void;
  /** The resolved route paths, including `files` (from the store, or `null`). */
  readonly paths: Readonly<ImageRoutePaths & { files: string | null }>;
}
