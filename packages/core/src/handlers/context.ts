import { withDeadline } from '../deadline.js';
import { DEFAULT_DRAIN, type DrainBounds } from '../drain.js';
import { ImageStoreError, isAbortError, isImageStoreError } from '../errors.js';
import { clampExpiresIn } from '../expires.js';
import { createIdGenerator, DEFAULT_ID_LENGTH } from '../keys.js';
import { isLocallyServed } from '../local.js';
import type { MultipartLimits } from '../multipart.js';
import { resolvePolicy, type UploadPolicy } from '../policy.js';
import { bearerToken, constantTimeEqual, isBearerToken, sha256Hex } from '../secrets.js';
import { createUrlSigner, type UrlSigner } from '../signer.js';
import type { ImageTransformer, PlaceholderKind } from '../transform.js';
import type { ImageStore } from '../types.js';
import { type ResolvedPreset, resolvePresets } from '../variants.js';
import { createWorkQueue, type WorkQueue } from '../work-queue.js';
import { ExpiringLru } from './cache.js';
import type { AuthorizeAction, HandlerRequest, ImageHandlerOptions, ImageRoutePaths } from './options.js';

/** What the redirect path remembers of a stored image. */
export interface CachedInfo {
  contentType: string;
  /**
   * The variants of this image found stored, by `<preset>.<ext>`. They live in the image's
   * own entry, so that forgetting the image forgets them, and a hot variant costs one lookup.
   */
  variants?: Map<string, { readonly key: string; readonly info: CachedInfo }>;
}

/** The object metadata entry holding the lowercase hex SHA-256 of an image's delete token. */
export const DELETE_TOKEN_METADATA = 'delete-token-sha256';

/** Default of {@link ImageHandlerOptions.infoCacheTtl}, in seconds (capped to the signing window). */
export const DEFAULT_INFO_CACHE_TTL = 300;

/** Default deadlines for store calls, in ms. */
export const DEFAULT_DEADLINES = { lookup: 10_000, put: 30_000, transform: 30_000 } as const;

/** Transforms waiting for a slot, by default. */
export const DEFAULT_MAX_QUEUED = 32;

/** What the variant route and the placeholder step read: checked presets, the transformer, the queue. */
export interface TransformSetup {
  readonly transformer: ImageTransformer;
  /** The presets by name; empty when only placeholders are configured. */
  readonly presets: ReadonlyMap<string, ResolvedPreset>;
  readonly queue: WorkQueue;
  /** Pixels a transform may decode. */
  readonly maxPixels: number;
  /** The placeholder to compute at upload, if any. */
  readonly placeholder: PlaceholderKind | undefined;
}

/**
 * What every route reads, built once from the options: the policy, paths, link base,
 * caches and deadlines. Routes are functions of it; the router only dispatches.
 */
export interface HandlerContext {
  readonly options: ImageHandlerOptions;
  readonly store: ImageStore;
  readonly policy: UploadPolicy;
  /** Lifetime of signed URLs, in seconds. */
  readonly ttl: number;
  /** The signing window, in seconds: every view in one window gets the same URL. */
  readonly window: number;
  readonly idLength: number;
  readonly newId: () => string;
  readonly fieldName: string;
  readonly objectCacheControl: string;
  readonly paths: Readonly<ImageRoutePaths & { files: string | null }>;
  readonly multipartLimits: MultipartLimits;
  readonly infoCache: ExpiringLru<CachedInfo>;
  /** How long a positive lookup is cached, in ms: see {@link ImageHandlerOptions.infoCacheTtl}. */
  readonly infoTtl: number;
  readonly urlCache: ExpiringLru<string>;
  readonly deadlines: { readonly lookup: number; readonly put: number; readonly transform: number };
  readonly refusalDrain: Readonly<DrainBounds>;
  /** Signs direct-upload ids, or `null` when direct uploads are off (no `presignUpload`, no secret). */
  readonly directSigner: UrlSigner | null;
  /** Lifetime of a presigned direct upload, in seconds. */
  readonly directExpiresIn: number;
  /** Variants and placeholders, when a transformer is configured. */
  readonly transforms: TransformSetup | undefined;
  /** The origin + mount prefix links are built from; '' gives root-relative links. */
  linkBase(request: HandlerRequest, mountPath: string): string;
  /** Runs `options.authorize`; a `false` answer throws 403. */
  authorize(request: HandlerRequest, action: AuthorizeAction): Promise<void>;
  /**
   * With `apiKeys` set: the request's valid API key, or a throw (401 without a Bearer
   * credential, 403 for a wrong one). Without `apiKeys`: `undefined`.
   */
  apiKey(request: HandlerRequest): Promise<string | undefined>;
  /** Forgets what this process's caches hold for image `id` and its derived keys. */
  forget(id: string): void;
  /** Runs a short store call under the lookup deadline, with vendor failures mapped to 502. */
  lookup<T>(request: HandlerRequest, call: (signal: AbortSignal) => Promise<T>): Promise<T>;
}

const normalizePath = (path: string) => `/${path.replace(/^\/+|\/+$/g, '')}`;
const optionalPath = (path: string | false | undefined, fallback: string) =>
  path === false ? false : normalizePath(path ?? fallback);

/** A mount path as adapters pass it ('/' at the root, maybe a trailing slash) → a link prefix. */
// '/' must become '', or links start with '//' and name another host.
export const mountPrefix = (mountPath: string): string => mountPath.replace(/\/+$/, '');

/**
 * Runs one store call. Whatever a store throws besides an `ImageStoreError` or an abort
 * (a third-party store's raw error, a bug in its SDK) is still a failed backend: a 502
 * STORAGE_ERROR, not a 500, and its message stays in `cause`.
 */
export async function fromStore<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isImageStoreError(error) || isAbortError(error)) throw error;
    throw new ImageStoreError('STORAGE_ERROR', '[imgstash] the store failed', { cause: error });
  }
}

function defaultConcurrency(): number {
  const cores = typeof navigator === 'undefined' ? undefined : navigator.hardwareConcurrency;
  return Number.isInteger(cores) && (cores as number) > 0 ? (cores as number) : 2;
}

function createTransformSetup(options: ImageHandlerOptions, policy: UploadPolicy): TransformSetup | undefined {
  const { transformer, variants, placeholder } = options;
  if (!transformer) {
    if (variants !== undefined) throw new TypeError('[imgstash] variants need a transformer');
    if (placeholder !== undefined) throw new TypeError('[imgstash] placeholder needs a transformer');
    return undefined;
  }
  if (typeof transformer.transform !== 'function')
    throw new TypeError('[imgstash] transformer.transform must be a function');
  if (placeholder !== undefined) {
    if (placeholder !== 'thumbhash') throw new TypeError("[imgstash] placeholder must be 'thumbhash'");
    if (typeof transformer.placeholder !== 'function') {
      throw new TypeError('[imgstash] placeholder needs a transformer with a placeholder function');
    }
  }
  return {
    transformer,
    presets: resolvePresets(variants ?? {}),
    queue: createWorkQueue({
      concurrency: options.transformQueue?.concurrency ?? defaultConcurrency(),
      maxQueued: options.transformQueue?.maxQueued ?? DEFAULT_MAX_QUEUED,
    }),
    // The upload policy's pixel limit bounds decodes too.
    maxPixels: policy.maxPixels,
    placeholder,
  };
}

function positiveMs(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0)
    throw new TypeError(`[imgstash] deadlines.${name} must be a positive number of ms`);
  return value;
}

function nonNegative(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) throw new TypeError(`[imgstash] ${name} must be a number ≥ 0`);
  return value;
}

/** Checks `apiKeys` and digests them once (SHA-256, hex): what requests are compared against. */
function digestApiKeys(keys: readonly string[] | undefined): Promise<string[]> | undefined {
  if (keys === undefined) return undefined;
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new TypeError('[imgstash] apiKeys must list at least one key (omit it to accept uploads without keys)');
  }
  for (const key of keys) {
    if (typeof key !== 'string' || key.length < 16 || !isBearerToken(key)) {
      throw new TypeError(
        '[imgstash] each of apiKeys must be ≥ 16 characters of A-Z a-z 0-9 - . _ ~ + / (then optional =)',
      );
    }
  }
  return Promise.all(keys.map(sha256Hex));
}

/** Builds the {@link HandlerContext} once; throws `TypeError` for invalid options. */
export function createContext(options: ImageHandlerOptions): HandlerContext {
  const { store } = options;
  if (!store) throw new TypeError('[imgstash] createImageHandlers needs a store');
  const policy = resolvePolicy({
    ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
    ...(options.allowedTypes === undefined ? {} : { allowedTypes: options.allowedTypes }),
    ...(options.stripMetadata === undefined ? {} : { stripMetadata: options.stripMetadata }),
    ...(options.maxPixels === undefined ? {} : { maxPixels: options.maxPixels }),
    ...(options.maxFrames === undefined ? {} : { maxFrames: options.maxFrames }),
  });
  const ttl = clampExpiresIn(options.signedUrlTtl);
  const idLength = options.idLength ?? DEFAULT_ID_LENGTH;
  const fieldName = options.fieldName ?? 'file';
  const publicBaseUrl = options.publicBaseUrl?.replace(/\/+$/, '');
  if (publicBaseUrl !== undefined && !/^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/.test(publicBaseUrl)) {
    throw new TypeError('[imgstash] publicBaseUrl must be an absolute http(s) URL without query');
  }
  const deadlines = {
    lookup: positiveMs(options.deadlines?.lookup, DEFAULT_DEADLINES.lookup, 'lookup'),
    put: positiveMs(options.deadlines?.put, DEFAULT_DEADLINES.put, 'put'),
    transform: positiveMs(options.deadlines?.transform, DEFAULT_DEADLINES.transform, 'transform'),
  };
  const transforms = createTransformSetup(options, policy);
  const cacheSize = options.cacheSize ?? 10_000;
  // Signing on a fixed date per window gives every view in the window the same URL,
  // so browsers and CDNs cache the image. A URL handed out keeps ≥ 3/4 of its life.
  const window = Math.max(1, Math.floor(ttl / 4));
  const infoCacheTtl = options.infoCacheTtl ?? Math.min(DEFAULT_INFO_CACHE_TTL, window);
  if (!Number.isFinite(infoCacheTtl) || infoCacheTtl < 0) {
    throw new TypeError('[imgstash] infoCacheTtl must be a number of seconds ≥ 0');
  }
  const apiKeyDigests = digestApiKeys(options.apiKeys);
  async function apiKey(request: HandlerRequest): Promise<string | undefined> {
    if (!apiKeyDigests) return undefined;
    const presented = bearerToken(request.headers);
    if (presented === undefined) {
      throw new ImageStoreError('UNAUTHORIZED', '[imgstash] no API key', {
        publicMessage: 'An API key is required: send Authorization: Bearer <key>.',
      });
    }
    const digest = await sha256Hex(presented);
    let match = false;
    // Every key is compared, whatever matched: the timing tells nothing about which.
    for (const known of await apiKeyDigests) match = constantTimeEqual(digest, known) || match;
    if (!match) {
      throw new ImageStoreError('FORBIDDEN', '[imgstash] wrong API key', {
        publicMessage: 'The API key is not valid.',
      });
    }
    return presented;
  }
  const infoCache = new ExpiringLru<CachedInfo>(cacheSize);
  const urlCache = new ExpiringLru<string>(cacheSize);
  const direct = options.directUploads === false ? undefined : (options.directUploads ?? {});
  for (const origin of direct?.uploadOrigins ?? []) {
    // They go into the page's CSP header as they are.
    if (!/^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/i.test(origin)) {
      throw new TypeError('[imgstash] directUploads.uploadOrigins must be origins such as https://bucket.example.com');
    }
  }
  let directSigner: UrlSigner | null = null;
  if (direct && typeof store.presignUpload === 'function') {
    if (direct.secret !== undefined) directSigner = createUrlSigner(direct.secret);
    else if (isLocallyServed(store)) directSigner = store.localUrls.signer;
  }

  return {
    options,
    store,
    policy,
    ttl,
    window,
    idLength,
    newId: createIdGenerator(idLength),
    fieldName,
    objectCacheControl: options.objectCacheControl ?? 'public, max-age=31536000, immutable',
    paths: {
      upload: normalizePath(options.paths?.upload ?? '/upload'),
      image: normalizePath(options.paths?.image ?? '/i'),
      page: optionalPath(options.paths?.page, '/'),
      health: optionalPath(options.paths?.health, '/healthz'),
      delete: normalizePath(options.paths?.delete ?? '/d'),
      share: optionalPath(options.paths?.share, '/p'),
      sharex: optionalPath(options.paths?.sharex, '/sharex.sxcu'),
      files: isLocallyServed(store) ? store.localUrls.basePath : null,
      uploads: normalizePath(options.paths?.uploads ?? '/uploads'),
    },
    multipartLimits: {
      fieldName,
      maxParts: 16,
      maxFieldSize: 16 * 1024,
      // The file plus room for a few small fields and the part headers.
      maxTotalSize: policy.maxBytes + 256 * 1024,
    },
    infoCache,
    infoTtl: infoCacheTtl * 1000,
    urlCache,
    deadlines,
    refusalDrain: {
      maxBytes: nonNegative(options.refusalDrain?.maxBytes, DEFAULT_DRAIN.maxBytes, 'refusalDrain.maxBytes'),
      timeout: nonNegative(options.refusalDrain?.timeout, DEFAULT_DRAIN.timeout, 'refusalDrain.timeout'),
    },
    directSigner,
    directExpiresIn: clampExpiresIn(direct?.expiresIn ?? 900),
    transforms,
    linkBase(request, mountPath) {
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
    },
    apiKey,
    async authorize(request, action) {
      if (action === 'upload') await apiKey(request);
      if (!options.authorize) return;
      const result = await options.authorize(request, action);
      if (result === false) {
        throw new ImageStoreError('FORBIDDEN', '[imgstash] refused by authorize', {
          publicMessage: 'Access is denied.',
        });
      }
    },
    forget(id) {
      infoCache.delete(id);
      // Derived keys (`<id>.<suffix>`) and signed URLs (`<id>@<window>`, `<id>.<suffix>@…`).
      infoCache.deletePrefix(`${id}.`);
      urlCache.deletePrefix(`${id}@`);
      urlCache.deletePrefix(`${id}.`);
    },
    lookup(request, call) {
      return fromStore(() => withDeadline(deadlines.lookup, request.signal, call));
    },
  };
}
