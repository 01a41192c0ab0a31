import type { RasterImageType, SniffedType } from './sniff.js';

/** A type an upload may be: the raster types, and SVG by explicit opt-in. */
export type AllowedImageType = RasterImageType | 'image/svg+xml';

/** What an upload must satisfy. */
export interface UploadPolicy {
  /** The most bytes a file may have. Default 10 MiB. */
  maxBytes: number;
  /**
   * The types accepted, as sniffed from the bytes (the client's claim is ignored).
   * Default: jpeg, png, gif, webp, avif. SVG is accepted only when listed here, and is
   * then always served as an attachment under a sandboxing CSP.
   */
  allowedTypes: readonly AllowedImageType[];
}

/** 10 MiB. */
export const DEFAULT_MAX_BYTES: number = 10 * 1024 * 1024;

/** The raster types accepted by default. */
export const DEFAULT_ALLOWED_TYPES: readonly AllowedImageType[] = Object.freeze([
  'image/jpeg',
  'image/png',
  'image/gif',
  'image/webp',
  'image/avif',
]);

/** The default policy. */
export const DEFAULT_POLICY: Readonly<UploadPolicy> = Object.freeze({
  maxBytes: DEFAULT_MAX_BYTES,
  allowedTypes: DEFAULT_ALLOWED_TYPES,
});

/** Merges options over the defaults and checks them. */
export function resolvePolicy(options: Partial<UploadPolicy> = {}): UploadPolicy {
  const policy = { ...DEFAULT_POLICY, ...options };
  if (!Number.isSafeInteger(policy.maxBytes) || policy.maxBytes < 1) {
    throw new RangeError('[imgstash] maxBytes must be a positive integer');
  }
  for (const type of policy.allowedTypes) {
    if (!(DEFAULT_ALLOWED_TYPES as readonly string[]).includes(type) && type !== 'image/svg+xml') {
      throw new RangeError(`[imgstash] unsupported allowed type: ${type}`);
    }
  }
  return policy;
}

/** True when a sniffed type is allowed by `policy`. HTML never is. */
export function isAllowedType(policy: UploadPolicy, type: SniffedType | undefined): type is AllowedImageType {
  return type !== undefined && (policy.allowedTypes as readonly string[]).includes(type);
}
