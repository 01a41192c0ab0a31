import { describe, expect, it } from 'vitest';
import {
  contentDisposition,
  decodeFilenameMetadata,
  encodeFilenameMetadata,
  MAX_FILENAME_LENGTH,
  sanitizeFilename,
} from './filename.js';

const NAMES = [
  'holiday.png',
  '😀 party 🎉.gif',
  '北京の写真.jpg',
  'שלום עולם.webp',
  'صورة.avif',
  'say "cheese".png',
  "it's (1)*.png",
  '100% real.jpeg',
  'a;b=c,d.png',
  'tab\u00a0nbsp.png',
  'Ωmega — ñandú.png',
];

describe('sanitizeFilename', () => {
  it.each([
    ['../../etc/passwd', 'passwd'],
    ['/var/www/x.png', 'x.png'],
    ['C:\\x\\y.png', 'y.png'],
    ['..\\..\\boot.ini', 'boot.ini'],
    ['dir/sub\\mixed/last.gif', 'last.gif'],
  ])('keeps only the last path segment of %j', (input, expected) => {
    expect(sanitizeFilename(input)).toBe(expected);
  });

  it('strips CR, LF, NUL, DEL and other control characters', () => {
    expect(sanitizeFilename('a\r\nSet-Cookie: x=y.png')).toBe('aSet-Cookie: x=y.png');
    expect(sanitizeFilename('evil\u0000.png')).toBe('evil.png');
    expect(sanitizeFilename('bell\u0007\u007f\u0085.png')).toBe('bell.png');
  });

  it('strips bidi overrides and zero-width characters that disguise an extension', () => {
    // "photo<RLO>gnp.exe" displays as "photoexe.png".
    expect(sanitizeFilename('photo\u202egnp.exe')).toBe('photognp.exe');
    expect(sanitizeFilename('a\u200bb\u200fc\u2066d\u2069e\ufeff.png')).toBe('abcde.png');
  });

  it('strips leading dots and surrounding whitespace, in any order', () => {
    expect(sanitizeFilename('.htaccess')).toBe('htaccess');
    expect(sanitizeFilename('...hidden.png')).toBe('hidden.png');
    expect(sanitizeFilename('  photo.png  ')).toBe('photo.png');
    expect(sanitizeFilename('. .x.png')).toBe('x.png');
    expect(sanitizeFilename(' \t.\u00a0profile')).toBe('profile');
  });

  it('returns undefined when nothing is left, or for a non-string', () => {
    for (const empty of ['', '   ', '..', '.', 'a/', 'dir\\', '\u202e', '\r\n', '. . .']) {
      expect(sanitizeFilename(empty), JSON.stringify(empty)).toBeUndefined();
    }
    expect(sanitizeFilename(undefined)).toBeUndefined();
    expect(sanitizeFilename(null)).toBeUndefined();
    expect(sanitizeFilename(42 as unknown as string)).toBeUndefined();
  });

  it('keeps any Unicode name, normalised to NFC', () => {
    for (const name of NAMES) expect(sanitizeFilename(name)).toBe(name.normalize('NFC'));
    expect(sanitizeFilename('cafe\u0301.png')).toBe('caf\u00e9.png');
  });

  it('caps names at 255 code points without splitting a surrogate pair', () => {
    expect(MAX_FILENAME_LENGTH).toBe(255);
    expect(sanitizeFilename('a'.repeat(300))).toBe('a'.repeat(255));
    const emoji = sanitizeFilename('😀'.repeat(300)) as string;
    expect(Array.from(emoji)).toHaveLength(255);
    expect(emoji).toBe('😀'.repeat(255));
    const shifted = sanitizeFilename(`a${'😀'.repeat(300)}`) as string;
    expect(shifted.length).toBe(1 + 254 * 2);
    expect(() => encodeURIComponent(shifted)).not.toThrow();
    expect(sanitizeFilename('b'.repeat(255))).toBe('b'.repeat(255));
  });

  it('is idempotent, even when the 255-code-point cut lands on a space', () => {
    const cutOnSpace = `${'a'.repeat(254)} ${'b'.repeat(20)}.png`;
    expect(sanitizeFilename(cutOnSpace)).toBe('a'.repeat(254));
    for (const name of [...NAMES, cutOnSpace, ` x${' '.repeat(300)}y`, '😀'.repeat(300), '. .x', 'cafe\u0301']) {
      const once = sanitizeFilename(name);
      expect(sanitizeFilename(once), JSON.stringify(name)).toBe(once);
    }
  });

  it('replaces lone surrogates, so encoding the name can never throw', () => {
    const name = sanitizeFilename('bad\ud800name\udc00.png') as string;
    expect(name).toBe('bad\ufffdname\ufffd.png');
    expect(() => encodeURIComponent(name)).not.toThrow();
    expect(encodeFilenameMetadata('x\ud83d.png')).toBe('x%EF%BF%BD.png');
    expect(() => contentDisposition('inline', '\udfff.png')).not.toThrow();
  });
});

describe('encodeFilenameMetadata and decodeFilenameMetadata', () => {
  it.each(NAMES)('round-trips %j', (name) => {
    const encoded = encodeFilenameMetadata(name) as string;
    expect(encoded).toMatch(/^[\x21-\x7e]+$/);
    expect(decodeFilenameMetadata(encoded)).toBe(name);
  });

  it('encodes only printable ASCII, with no quotes, spaces or separators that break S3 metadata', () => {
    const encoded = encodeFilenameMetadata('a "b" c\\d;e,f=g 😀.png') as string;
    expect(encoded).toMatch(/^[A-Za-z0-9%._~!*'()-]+$/);
  });

  it('sanitizes before encoding', () => {
    expect(decodeFilenameMetadata(encodeFilenameMetadata('../../evil\r\n.png'))).toBe('evil.png');
    expect(encodeFilenameMetadata('../')).toBeUndefined();
    expect(encodeFilenameMetadata(undefined)).toBeUndefined();
  });

  it('sanitizes after decoding, so stored metadata cannot smuggle a path or a newline', () => {
    expect(decodeFilenameMetadata('..%2F..%2Fetc%2Fpasswd')).toBe('passwd');
    expect(decodeFilenameMetadata('a%0D%0Ab.png')).toBe('ab.png');
  });

  it('returns undefined for malformed input', () => {
    for (const bad of ['%', '%E0%A4%A', '%zz', '%C3', '%ED%A0%80', '']) {
      expect(decodeFilenameMetadata(bad), bad).toBeUndefined();
    }
    expect(decodeFilenameMetadata(undefined)).toBeUndefined();
    expect(decodeFilenameMetadata(null)).toBeUndefined();
  });
});

describe('contentDisposition', () => {
  /** Parses `filename*=UTF-8''…` back, as a browser would. */
  const extended = (header: string) => {
    const m = header.match(/filename\*=UTF-8''([^;\s]+)/);
    return m ? decodeURIComponent(m[1] as string) : undefined;
  };

  it('gives a bare type when there is no usable filename', () => {
    expect(contentDisposition('inline')).toBe('inline');
    expect(contentDisposition('attachment', undefined)).toBe('attachment');
    expect(contentDisposition('attachment', '../')).toBe('attachment');
  });

  it('gives plain ASCII names a quoted filename and no filename*', () => {
    expect(contentDisposition('inline', 'photo.png')).toBe('inline; filename="photo.png"');
    expect(contentDisposition('attachment', "it's (1)*.png")).toBe(`attachment; filename="it's (1)*.png"`);
  });

  it('gives non-ASCII names an ASCII fallback and an RFC 5987 filename* that decodes back', () => {
    const header = contentDisposition('inline', 'café.png');
    expect(header).toBe(`inline; filename="caf_.png"; filename*=UTF-8''caf%C3%A9.png`);
    for (const name of NAMES) {
      const value = contentDisposition('attachment', name);
      expect(value).toMatch(/^attachment; filename="[\x20-\x7e]*"/);
      if (/^[\x20-\x7e]*$/.test(name) && !/["\\%]/.test(name)) expect(value).not.toContain('filename*');
      else expect(extended(value)).toBe(name);
    }
  });

  it("percent-encodes ' ( ) * in filename*, which RFC 5987 attr-char excludes", () => {
    const header = contentDisposition('attachment', "café's (1)*.png");
    const star = header.split("filename*=UTF-8''")[1] as string;
    expect(star).toBe('caf%C3%A9%27s%20%281%29%2A.png');
    expect(star).toMatch(/^[A-Za-z0-9!#$&+.^_`|~%-]+$/);
  });

  it('never lets a quote, backslash or percent into the quoted fallback, and never a CR or LF anywhere', () => {
    for (const name of ['a"b.png', 'a\\"; filename="evil.html', 'x\r\nSet-Cookie: a=b', '100%.png', '"', 'é"\r\n']) {
      const header = contentDisposition('attachment', name);
      expect(header).not.toMatch(/[\r\n]/);
      const quoted = header.match(/filename="([^"]*)"/)?.[1];
      if (quoted !== undefined) expect(quoted).not.toMatch(/["\\%]/);
      // Exactly two quotes: the fallback's own.
      expect(header.split('"').length === 1 || header.split('"').length === 3).toBe(true);
      expect(() => new Headers({ 'content-disposition': header })).not.toThrow();
    }
  });

  it('is a valid header value for every name', () => {
    for (const name of [...NAMES, '😀'.repeat(300), '\u202eexe.png']) {
      expect(() => new Headers({ 'content-disposition': contentDisposition('inline', name) })).not.toThrow();
    }
  });
});
