import { clampExpiresIn } from './expires.js';
import { sanitizeFilename } from './filename.js';
import { assertValidKey } from './keys.js';
import { normalizePresignUpload } from './put-options.js';
import { createUrlSigner, randomSecret, type SignedParams, type UrlSigner } from './signer.js';
import type { ImageStore, PresignedUpload, PresignUploadOptions, SignedUrlOptions } from './types.js';

/** Options shared by stores whose bytes are served by core's `/files/:key` route. */
export interface LocalUrlOptions {
  /**
   * The HMAC secret (at least 32 bytes). Every instance behind a load balancer needs the
   * same one. Default: a random secret per process, so links die with the process.
   */
  secret?: string | Uint8Array;
  /** The path the serve route is mounted at. Default `/files`. */
  basePath?: string;
  /**
   * An absolute origin (and optional path) to prefix links with, e.g.
   * `https://img.example.com`. Default: none, so links are root-relative.
   */
  baseUrl?: string;
}

/** Signs and parses the `/files/:key` links of a local store. */
export interface LocalUrls {
  readonly signer: UrlSigner;
  /** The path the serve route is mounted at, without a trailing slash. */
  readonly basePath: string;
  /** A signed link for `key`. */
  sign(key: string, options?: SignedUrlOptions): Promise<string>;
  /**
   * A signed `PUT <basePath>/<key>?expires=…&size=…&type=…&sig=…` that core's files route
   * accepts once per key: the signature binds the key, the exact size, the type and the expiry.
   */
  presignUpload(key: string, options: PresignUploadOptions): Promise<PresignedUpload>;
  /** True when a local upload's query is the one {@link LocalUrls.presignUpload} signed, and not expired at `now` (ms). */
  verifyUpload(key: string, upload: LocalUploadParams, signature: string, now?: number): Promise<boolean>;
}

/** What a local upload link binds besides its key. */
export interface LocalUploadParams {
  /** Expiry, in seconds since the epoch. */
  expires: number;
  /** The exact byte length. */
  size: number;
  /** The media type, sent as `Content-Type`. */
  contentType: string;
}

const uploadFields = (key: string, p: LocalUploadParams) => [
  'put-v1',
  key,
  String(p.expires),
  String(p.size),
  p.contentType,
];

/** A store whose signed URLs point at core's serve route. */
export interface LocallyServedStore extends ImageStore {
  readonly localUrls: LocalUrls;
}

/** True when `store` signs `/files/:key` links that core's serve handler resolves. */
export function isLocallyServed(store: ImageStore): store is LocallyServedStore {
  return typeof (store as Partial<LocallyServedStore>).localUrls?.sign === 'function';
}

/** Creates the link signer for a local store. */
export function createLocalUrls(options: LocalUrlOptions = {}): LocalUrls {
  const signer = createUrlSigner(options.secret ?? randomSecret());
  const basePath = `/${(options.basePath ?? '/files').replace(/^\/+|\/+$/g, '')}`;
  const prefix = (options.baseUrl ?? '').replace(/\/+$/, '') + basePath;
  return {
    signer,
    basePath,
    async sign(key, opts = {}) {
      assertValidKey(key);
      const signedAt = opts.signedAt ?? Date.now();
      const params: SignedParams = { expires: Math.floor(signedAt / 1000) + clampExpiresIn(opts.expiresIn) };
      if (opts.disposition) params.disposition = opts.disposition;
      const filename = sanitizeFilename(opts.filename);
      if (filename) params.filename = filename;
      const sig = await signer.sign(key, params);
      const query = new URLSearchParams({ expires: String(params.expires) });
      if (params.disposition) query.set('disposition', params.disposition);
      if (params.filename) query.set('filename', params.filename);
      query.set('sig', sig);
      return `${prefix}/${key}?${query.toString()}`;
    },
    async presignUpload(key, opts) {
      const { size, contentType, expiresIn } = normalizePresignUpload(key, opts);
      const params: LocalUploadParams = { expires: Math.floor(Date.now() / 1000) + expiresIn, size, contentType };
      const sig = await signer.signFields(uploadFields(key, params));
      const query = new URLSearchParams({
        expires: String(params.expires),
        size: String(size),
        type: contentType,
        sig,
      });
      return { method: 'PUT', url: `${prefix}/${key}?${query.toString()}`, headers: { 'content-type': contentType } };
    },
    async verifyUpload(key, params, signature, now = Date.now()) {
      if (!Number.isSafeInteger(params.expires) || params.expires * 1000 <= now) return false;
      return signer.verifyFields(uploadFields(key, params), signature);
    },
  };
}
