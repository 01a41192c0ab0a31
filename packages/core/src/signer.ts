import { ImageStoreError } from './errors.js';
import { toBase64Url } from './secrets.js';

/** The parameters a local signed URL carries besides the key. */
export interface SignedParams {
  /** Expiry, in seconds since the epoch. */
  expires: number;
  disposition?: 'inline' | 'attachment';
  filename?: string;
}

/** Signs and verifies local `/files/:key` URLs with HMAC-SHA256 (Web Crypto). */
export interface UrlSigner {
  /** The base64url signature of `key` and `params`. */
  sign(key: string, params: SignedParams): Promise<string>;
  /** True when `signature` is valid for `key` and `params` and not expired at `now` (ms). */
  verify(key: string, params: SignedParams, signature: string, now?: number): Promise<boolean>;
}

const encoder = new TextEncoder();

function payload(key: string, p: SignedParams): Uint8Array {
  // One field per line; none can contain a newline (keys are validated, filenames sanitized).
  return encoder.encode(['v1', key, String(p.expires), p.disposition ?? '', p.filename ?? ''].join('\n'));
}

function fromBase64Url(value: string): Uint8Array | undefined {
  // 43 characters carry 258 bits for a 256-bit MAC: the last one must leave its two spare
  // bits zero, so that a signature has one spelling (else `…Y` and `…Z` would both verify).
  if (!/^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/.test(value)) return undefined;
  const bin = atob(value.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/**
 * Creates a signer from a secret of at least 32 bytes (a string or raw bytes).
 * Verification uses `crypto.subtle.verify`, which compares in constant time.
 *
 * @example
 * ```ts
 * const signer = createUrlSigner(process.env.IMGSTASH_SECRET!);
 * const sig = await signer.sign('abc', { expires: Math.floor(Date.now() / 1000) + 60 });
 * ```
 */
export function createUrlSigner(secret: string | Uint8Array): UrlSigner {
  const raw = typeof secret === 'string' ? encoder.encode(secret) : secret;
  if (raw.length < 32) {
    throw new ImageStoreError('INVALID_INPUT', '[imgstash] the signing secret must be at least 32 bytes');
  }
  const key = crypto.subtle.importKey('raw', raw as Uint8Array<ArrayBuffer>, { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
    'verify',
  ]);
  return {
    async sign(objectKey, params) {
      const sig = await crypto.subtle.sign('HMAC', await key, payload(objectKey, params) as Uint8Array<ArrayBuffer>);
      return toBase64Url(new Uint8Array(sig));
    },
    async verify(objectKey, params, signature, now = Date.now()) {
      if (!Number.isSafeInteger(params.expires) || params.expires * 1000 <= now) return false;
      const sig = fromBase64Url(signature);
      if (!sig) return false;
      return crypto.subtle.verify(
        'HMAC',
        await key,
        sig as Uint8Array<ArrayBuffer>,
        payload(objectKey, params) as Uint8Array<ArrayBuffer>,
      );
    },
  };
}

/** A random secret, for a single process (links die with it). */
export function randomSecret(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(32));
}
