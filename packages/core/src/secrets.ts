// Tokens and keys on Web Crypto only: core runs on every runtime.

const encoder = new TextEncoder();

/** Bytes of randomness in a delete token: 192 bits, well above the 128 the contract asks. */
export const TOKEN_BYTES = 24;

/** base64url without padding (RFC 4648 §5). */
export function toBase64Url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** A fresh unguessable token: {@link TOKEN_BYTES} random bytes, base64url (32 characters). */
export function randomToken(): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(TOKEN_BYTES)));
}

/** Lowercase hex SHA-256 of a string's UTF-8 bytes. */
export async function sha256Hex(value: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(value)));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/**
 * True when `a` and `b` are equal, in time that depends on their length only: every
 * character is looked at, whatever the first difference. Compare digests (equal lengths),
 * never the secrets themselves, so that the length reveals nothing either.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  return diff === 0;
}

// RFC 6750 §2.1: the credentials of a Bearer Authorization header.
const BEARER_RE = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i;

/** The token of an `Authorization: Bearer <token>` header, or `undefined`. */
export function bearerToken(headers: Headers): string | undefined {
  const value = headers.get('authorization');
  if (value === null) return undefined;
  return BEARER_RE.exec(value)?.[1];
}

/** True when `value` may be a Bearer token (RFC 6750 b64token). */
export function isBearerToken(value: string): boolean {
  return BEARER_RE.test(`Bearer ${value}`);
}
