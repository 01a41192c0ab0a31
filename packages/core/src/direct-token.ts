import { createIdGenerator } from './keys.js';
import type { UrlSigner } from './signer.js';

/** The key prefix of direct uploads that are not yet completed: `pending.<nonce>`. */
export const PENDING_PREFIX = 'pending.';

/** What a direct upload's id carries, signed, so that `complete` needs no database. */
export interface DirectUploadClaim {
  /** The random part: the pending object is `pending.<nonce>`. */
  nonce: string;
  /** The declared, exact size in bytes. */
  size: number;
  /** The declared media type. */
  contentType: string;
  /** When the signed upload request expires, in seconds since the epoch. */
  expires: number;
  /** The sanitized original filename, if one was declared. */
  filename?: string;
}

const newNonce = createIdGenerator(22);
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function toBase64Url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(value: string): Uint8Array {
  const bin = atob(value.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/** A fresh claim's nonce: 22 id characters (132 bits). */
export const createNonce = (): string => newNonce();

/**
 * The upload id: `<nonce>.<claim>.<sig>`, the claim as base64url JSON and the signature an
 * HMAC-SHA256 over both (purpose `upload-v1`). It is unforgeable and carries what `complete`
 * needs.
 */
export async function signClaim(signer: UrlSigner, claim: DirectUploadClaim): Promise<string> {
  const body: Record<string, string | number> = { s: claim.size, t: claim.contentType, e: claim.expires };
  if (claim.filename !== undefined) body.f = claim.filename;
  const encoded = toBase64Url(encoder.encode(JSON.stringify(body)));
  const sig = await signer.signFields(['upload-v1', claim.nonce, encoded]);
  return `${claim.nonce}.${encoded}.${sig}`;
}

/** The claim of a genuine upload id, or `undefined` for anything forged, altered or malformed. */
export async function verifyClaim(signer: UrlSigner, uploadId: string): Promise<DirectUploadClaim | undefined> {
  const parts = uploadId.split('.');
  if (parts.length !== 3 || uploadId.length > 2048) return undefined;
  const [nonce, encoded, sig] = parts as [string, string, string];
  if (!/^[A-Za-z0-9_-]{22}$/.test(nonce) || !/^[A-Za-z0-9_-]+$/.test(encoded)) return undefined;
  if (!(await signer.verifyFields(['upload-v1', nonce, encoded], sig))) return undefined;
  try {
    const body = JSON.parse(decoder.decode(fromBase64Url(encoded))) as { s: number; t: string; e: number; f?: string };
    const claim: DirectUploadClaim = { nonce, size: body.s, contentType: body.t, expires: body.e };
    if (typeof body.f === 'string') claim.filename = body.f;
    return claim;
  } catch {
    return undefined;
  }
}

/**
 * The delete token of a direct upload's image, derived from its nonce with the HMAC (purpose
 * `delete-token-v1`, so it verifies for nothing else): a repeated `complete` answers the same
 * token as the first, and only its hash is stored, as for `/upload`.
 */
export async function deleteTokenFor(signer: UrlSigner, nonce: string): Promise<string> {
  // 43 base64url characters: 256 bits, of which the answer shows 32 characters (192 bits).
  return (await signer.signFields(['delete-token-v1', nonce])).slice(0, 32);
}

/**
 * The image id a direct upload is published under, derived from its nonce with the HMAC
 * (purpose `final-id-v1`): unguessable, and the same on every `complete` of the same upload,
 * so that a second `complete` finds the image the first one stored.
 */
export async function finalIdFor(signer: UrlSigner, nonce: string, length: number): Promise<string> {
  let id = '';
  for (let round = 0; id.length < length; round++) {
    // 43 base64url characters per round; the id alphabet is the same 64 characters.
    id += (await signer.signFields(['final-id-v1', nonce, String(round)])).slice(0, 42);
  }
  return id.slice(0, length);
}
