import { withDeadline } from '../deadline.js';
import { ImageStoreError, isAbortError, isImageStoreError } from '../errors.js';
import { clampExpiresIn } from '../expires.js';
import { createIdGenerator, DEFAULT_ID_LENGTH } from '../keys.js';
import { isLocallyServed } from '../local.js';
import type { MultipartLimits } from '../multipart.js';
import { resolvePolicy, type UploadPolicy } from '../policy.js';
import type { ImageTransformer, PlaceholderKind } from '../transform.js';
import type { ImageStore } from '../types.js';
import { DEFAULT_TRANSFORM_MAX_PIXELS, type ResolvedPreset, resolvePresets } from '../variants.js';
import { createWorkQueue, type WorkQueue } from '../work-queue.js';
import { ExpiringLru } from './cache.js';
import type { HandlerRequest, ImageHandlerOptions, ImageRoutePaths } from './options.js';

/** What the redirect path remembers of a stored image. */
export interface CachedInfo {
  contentType: string;
  /**
   * The variants of this image found stored, by `<preset>.<ext>`. They live in the image's
   * own entry, so that forgetting the image forgets them, and a hot variant costs one lookup.
   */
  variants?: Map<string, { readonly key: string; readonly info: CachedInfo }>;
}

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
  readonly urlCache: ExpiringLru<string>;
  readonly deadlines: { readonly lookup: number; readonly put: number; readonly transform: number };
  /** Variants and placeholders, when a transformer is configured. */
  readonly transforms: TransformSetup | undefined;
  /** The origin + mount prefix links are built from; '' gives root-relative links. */
  linkBase(request: HandlerRequest, mountPath: string): string;
  /** Runs `options.authorize`; a `false` answer throws 403. */
  authorize(request: HandlerRequest, action: 'upload' | 'view'): Promise<void>;
  /** Runs a short store call under the lookup deadline, with vendor failures mapped to 502. */
  lookup<T>(request: HandlerRequest, call: (signal: AbortSignal) => Promise<T>): Promise<T>;
}

const normalizePath = (path: string) => `/${path.replace(/^\/+|\/+$/g, '')}`;

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
    // The upload policy's pixel limit, where the policy has one, bounds decodes too.
    maxPixels: (policy as Partial<{ maxPixels: number }>).maxPixels ?? DEFAULT_TRANSFORM_MAX_PIXELS,
    placeholder,
  };
}

function positiveMs(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0)
    throw new TypeError(`[imgstash] deadlines.${name} must be a positive number of ms`);
  return value;
}

/** Builds the {@link HandlerContext} once; throws `TypeError` for invalid options. */
export function createContext(options: ImageHandlerOptions): HandlerContext {
  const { store } = options;
  if (!store) throw new TypeError('[imgstash] createImageHandlers needs a store');
  const policy = resolvePolicy({
    ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
    ...(options.allowedTypes === undefined ? {} : { allowedTypes: options.allowedTypes }),
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

  return {
    options,
    store,
    policy,
    ttl,
    // Signing on a fixed date per window gives every view in the window the same URL,
    // so browsers and CDNs cache the image. A URL handed out keeps ≥ 3/4 of its life.
    window: Math.max(1, Math.floor(ttl / 4)),
    idLength,
    newId: createIdGenerator(idLength),
    fieldName,
    objectCacheControl: options.objectCacheControl ?? 'public, max-age=31536000, immutable',
    paths: {
      upload: normalizePath(options.paths?.upload ?? '/upload'),
      image: normalizePath(options.paths?.image ?? '/i'),
      page: options.paths?.page === false ? false : normalizePath(options.paths?.page ?? '/'),
      files: isLocallyServed(store) ? store.localUrls.basePath : null,
    },
    multipartLimits: {
      fieldName,
      maxParts: 16,
      maxFieldSize: 16 * 1024,
      // The file plus room for a few small fields and the part headers.
      maxTotalSize: policy.maxBytes + 256 * 1024,
    },
    infoCache: new ExpiringLru<CachedInfo>(cacheSize),
    urlCache: new ExpiringLru<string>(cacheSize),
    deadlines,
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
    async authorize(request, action) {
      if (!options.authorize) return;
      const result = await options.authorize(request, action);
      if (result === false) {
        throw new ImageStoreError('FORBIDDEN', '[imgstash] refused by authorize', {
          publicMessage: 'Access is denied.',
        });
      }
    },
    lookup(request, call) {
      return fromStore(() => withDeadline(deadlines.lookup, request.signal, call));
    },
  };
}
