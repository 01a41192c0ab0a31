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
  /**
   * The base64url signature of a list of fields, none containing a newline. The first field
   * names the purpose (e.g. `put-v1`), so that a token made for one use never verifies for
   * another; the `/files/` links sign `v1`.
   */
  signFields(fields: readonly string[]): Promise<string>;
  /** True when `signature` is {@link UrlSigner.signFields}'s for `fields` (constant-time). */
  verifyFields(fields: readonly string[], signature: string): Promise<boolean>;
}

const encoder = new TextEncoder();

// One field per line; none can contain a newline (keys are validated, filenames sanitized).
const encodeFields = (fields: readonly string[]) => encoder.encode(fields.join('\n')) as Uint8Array<ArrayBuffer>;

const linkFields = (key: string, p: SignedParams) => [
  'v1',
  key,
  String(p.expires),
  p.disposition ?? '',
  p.filename ?? '',
];

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
  async function signFields(fields: readonly string[]): Promise<string> {
    if (fields.some((f) => f.includes('\n'))) throw new TypeError('[imgstash] a signed field contains a newline');
    return toBase64Url(new Uint8Array(await crypto.subtle.sign('HMAC', await key, encodeFields(fields))));
  }
  async function verifyFields(fields: readonly string[], signature: string): Promise<boolean> {
    const sig = fromBase64Url(signature);
    if (!sig || fields.some((f) => f.includes('\n'))) return false;
    return crypto.subtle.verify('HMAC', await key, sig as Uint8Array<ArrayBuffer>, encodeFields(fields));
  }
  return {
    sign: (objectKey, params) => signFields(linkFields(objectKey, params)),
    async verify(objectKey, params, signature, now = Date.now()) {
      if (!Number.isSafeInteger(params.expires) || params.expires * 1000 <= now) return false;
      return verifyFields(linkFields(objectKey, params), signature);
    },
    signFields,
    verifyFields,
  };
}

/** A random secret, for a single process (links die with it). */
export function randomSecret(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(32));
}
