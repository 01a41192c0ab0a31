import { describe, expect, it } from 'vitest';
import { createUrlSigner, randomSecret, type SignedParams } from './signer.js';

const SECRET = 'k'.repeat(32);
const NOW = Date.UTC(2030, 0, 1);
const IN_AN_HOUR = NOW / 1000 + 3600;

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

describe('createUrlSigner', () => {
  it('signs a 43-character base64url HMAC-SHA256 that verifies for the same key and parameters', async () => {
    const signer = createUrlSigner(SECRET);
    const params: SignedParams = { expires: IN_AN_HOUR, disposition: 'attachment', filename: 'café.png' };
    const sig = await signer.sign('abc', params);
    expect(sig).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await signer.verify('abc', params, sig, NOW)).toBe(true);
    expect(await signer.sign('abc', params)).toBe(sig);
  });

  it('verifies with a second signer built from the same secret, as bytes or as a string', async () => {
    const bytes = new TextEncoder().encode(SECRET);
    const sig = await createUrlSigner(SECRET).sign('abc', { expires: IN_AN_HOUR });
    expect(await createUrlSigner(bytes).verify('abc', { expires: IN_AN_HOUR }, sig, NOW)).toBe(true);
  });

  it('refuses a signature made with another secret', async () => {
    const sig = await createUrlSigner('x'.repeat(32)).sign('abc', { expires: IN_AN_HOUR });
    expect(await createUrlSigner(SECRET).verify('abc', { expires: IN_AN_HOUR }, sig, NOW)).toBe(false);
  });

  it('refuses a signature moved to another key or to changed parameters', async () => {
    const signer = createUrlSigner(SECRET);
    const params: SignedParams = { expires: IN_AN_HOUR, disposition: 'inline', filename: 'a.png' };
    const sig = await signer.sign('abc', params);
    expect(await signer.verify('abd', params, sig, NOW)).toBe(false);
    expect(await signer.verify('abc', { ...params, expires: IN_AN_HOUR + 1 }, sig, NOW)).toBe(false);
    expect(await signer.verify('abc', { ...params, disposition: 'attachment' }, sig, NOW)).toBe(false);
    expect(await signer.verify('abc', { ...params, filename: 'b.png' }, sig, NOW)).toBe(false);
    expect(await signer.verify('abc', { expires: IN_AN_HOUR, filename: 'a.png' }, sig, NOW)).toBe(false);
    expect(await signer.verify('abc', { expires: IN_AN_HOUR, disposition: 'inline' }, sig, NOW)).toBe(false);
  });

  it('keeps fields apart, so a filename cannot pose as a disposition', async () => {
    const signer = createUrlSigner(SECRET);
    const sig = await signer.sign('abc', { expires: IN_AN_HOUR, disposition: 'inline' });
    expect(await signer.verify('abc', { expires: IN_AN_HOUR, filename: 'inline' }, sig, NOW)).toBe(false);
  });

  it('refuses an expired signature, judged by the `now` it is given', async () => {
    const signer = createUrlSigner(SECRET);
    const sig = await signer.sign('abc', { expires: IN_AN_HOUR });
    expect(await signer.verify('abc', { expires: IN_AN_HOUR }, sig, IN_AN_HOUR * 1000 - 1)).toBe(true);
    expect(await signer.verify('abc', { expires: IN_AN_HOUR }, sig, IN_AN_HOUR * 1000)).toBe(false);
    expect(await signer.verify('abc', { expires: IN_AN_HOUR }, sig, IN_AN_HOUR * 1000 + 60_000)).toBe(false);
  });

  it('defaults `now` to the current time', async () => {
    const signer = createUrlSigner(SECRET);
    const past = Math.floor(Date.now() / 1000) - 10;
    const future = Math.floor(Date.now() / 1000) + 600;
    expect(await signer.verify('abc', { expires: past }, await signer.sign('abc', { expires: past }))).toBe(false);
    expect(await signer.verify('abc', { expires: future }, await signer.sign('abc', { expires: future }))).toBe(true);
  });

  it('refuses non-integer and non-finite expiries', async () => {
    const signer = createUrlSigner(SECRET);
    for (const expires of [Number.NaN, Number.POSITIVE_INFINITY, IN_AN_HOUR + 0.5, 2 ** 60]) {
      const sig = await signer.sign('abc', { expires });
      expect(await signer.verify('abc', { expires }, sig, NOW)).toBe(false);
    }
  });

  it('refuses garbage: empty, too short, too long, padded, standard base64, and non-base64 signatures', async () => {
    const signer = createUrlSigner(SECRET);
    const params = { expires: IN_AN_HOUR };
    const sig = await signer.sign('abc', params);
    const standard = sig.replace(/-/g, '+').replace(/_/g, '/');
    for (const bad of [
      '',
      sig.slice(0, 42),
      `${sig}A`,
      `${sig}=`,
      `${sig.slice(0, 42)}!`,
      ' '.repeat(43),
      `${sig.slice(0, 21)}\n${sig.slice(22)}`,
      '%'.repeat(43),
      'A'.repeat(43),
    ]) {
      expect(await signer.verify('abc', params, bad, NOW), JSON.stringify(bad)).toBe(false);
    }
    if (standard !== sig) expect(await signer.verify('abc', params, standard, NOW)).toBe(false);
  });

  it('accepts exactly one spelling of a signature: changing its last character always breaks it', async () => {
    // 43 base64url characters carry 258 bits for a 256-bit HMAC; the two spare bits of the
    // last character must be zero, or one signature would have four valid spellings.
    const signer = createUrlSigner(SECRET);
    for (let expires = IN_AN_HOUR; expires < IN_AN_HOUR + 8; expires++) {
      const sig = await signer.sign('abc', { expires });
      for (const c of BASE64URL) {
        if (c === sig.at(-1)) continue;
        const variant = sig.slice(0, 42) + c;
        expect(await signer.verify('abc', { expires }, variant, NOW), `${sig} → ${variant}`).toBe(false);
      }
    }
  });

  it('refuses secrets shorter than 32 bytes, counted in bytes', () => {
    expect(() => createUrlSigner('k'.repeat(31))).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => createUrlSigner(new Uint8Array(31))).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => createUrlSigner('')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    // 16 two-byte characters are 32 bytes.
    expect(() => createUrlSigner('é'.repeat(16))).not.toThrow();
    expect(() => createUrlSigner(new Uint8Array(32))).not.toThrow();
  });
});

describe('randomSecret', () => {
  it('makes 32 random bytes, different each time, that a signer accepts', () => {
    const a = randomSecret();
    const b = randomSecret();
    expect(a).toHaveLength(32);
    expect(a).not.toEqual(b);
    expect(() => createUrlSigner(a)).not.toThrow();
  });
});
