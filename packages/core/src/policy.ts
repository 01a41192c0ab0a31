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
  /**
   * Removes the metadata of raster images as they stream (EXIF, XMP, IPTC, comments, text
   * chunks), losslessly: the compressed pixels, the ICC profile and the orientation are kept.
   * Default `true`. See docs/images.md for what each format keeps.
   */
  stripMetadata: boolean;
  /**
   * The most pixels an image may declare: width × height, summed over all frames of an
   * animation. Checked from the headers, before anything decodes the image, and refused
   * with `PAYLOAD_TOO_LARGE`. Default 100,000,000 (100 MP).
   */
  maxPixels: number;
  /** The most frames an animation (GIF, WebP, APNG) may have. Default 1,000. */
  maxFrames: number;
}

/** 10 MiB. */
export const DEFAULT_MAX_BYTES: number = 10 * 1024 * 1024;

/** 100 MP: every still that fits in the default 10 MiB, refused well before a 20000 × 20000 bomb. */
export const DEFAULT_MAX_PIXELS: number = 100_000_000;

/** 1,000 frames: 40 s at 25 frames per second. */
export const DEFAULT_MAX_FRAMES: number = 1000;

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
  stripMetadata: true,
  maxPixels: DEFAULT_MAX_PIXELS,
  maxFrames: DEFAULT_MAX_FRAMES,
});

/** Merges options over the defaults and checks them. */
export function resolvePolicy(options: Partial<UploadPolicy> = {}): UploadPolicy {
  const policy = { ...DEFAULT_POLICY, ...options };
  if (!Number.isSafeInteger(policy.maxBytes) || policy.maxBytes < 1) {
    throw new RangeError('[imgstash] maxBytes must be a positive integer');
  }
  for (const name of ['maxPixels', 'maxFrames'] as const) {
    if (!Number.isSafeInteger(policy[name]) || policy[name] < 1) {
      throw new RangeError(`[imgstash] ${name} must be a positive integer`);
    }
  }
  if (typeof policy.stripMetadata !== 'boolean') throw new RangeError('[imgstash] stripMetadata must be a boolean');
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
