import { describe, expect, it } from 'vitest';
import {
  bytesOf,
  concatBytes,
  jpegWithXmp,
  noise,
  pngWithText,
  randomSplits,
  realImageVariants,
  splitEvery,
} from '../test-helpers/images.js';
import { createStructureCheck, MarkupScanner } from './inspect.js';
import type { RasterImageType } from './sniff.js';
import { FIXTURES } from './testing/fixtures.js';

/** Feeds `chunks` to a fresh check; returns the first reason given, or undefined when the image passes. */
function check(type: RasterImageType, chunks: Uint8Array[]): string | undefined {
  const structure = createStructureCheck(type);
  for (const chunk of chunks) {
    const reason = structure.push(chunk);
    if (reason) return reason;
  }
  return structure.finish();
}

function scan(chunks: Uint8Array[]): boolean {
  const scanner = new MarkupScanner();
  return chunks.some((chunk) => scanner.push(chunk));
}

const fixtures = Object.entries(FIXTURES).map(([name, f]) => [name, f.type as RasterImageType, f.bytes] as const);

const variants = realImageVariants;

describe('createStructureCheck accepts real images', () => {
  it.each(fixtures)('accepts the %s fixture fed whole', (_name, type, bytes) => {
    expect(check(type, [bytes])).toBeUndefined();
  });

  it.each(fixtures)('accepts the %s fixture fed one byte at a time', (_name, type, bytes) => {
    expect(check(type, splitEvery(bytes, 1))).toBeUndefined();
  });

  it.each(fixtures)('accepts the %s fixture in random splits', (_name, type, bytes) => {
    for (let seed = 1; seed <= 20; seed++) expect(check(type, randomSplits(bytes, seed))).toBeUndefined();
  });

  it('accepts sharp-encoded variants whole, byte by byte and in random splits', async () => {
    for (const [name, type, bytes] of await variants()) {
      expect(check(type, [bytes]), name).toBeUndefined();
      expect(check(type, randomSplits(bytes, 7, 4096)), name).toBeUndefined();
      if (bytes.length < 100_000) expect(check(type, splitEvery(bytes, 1)), name).toBeUndefined();
    }
  });

  it('accepts empty chunks anywhere in the stream', () => {
    for (const [, type, bytes] of fixtures) {
      const empty = new Uint8Array(0);
      expect(check(type, [empty, bytes.subarray(0, 10), empty, bytes.subarray(10), empty])).toBeUndefined();
    }
  });
});

describe('createStructureCheck refuses truncated images', () => {
  it.each(fixtures)('refuses the %s fixture cut at every byte', (_name, type, bytes) => {
    const accepted: number[] = [];
    for (let n = 1; n < bytes.length; n++) if (check(type, [bytes.subarray(0, n)]) === undefined) accepted.push(n);
    expect(accepted).toEqual([]);
  });

  it('refuses sharp-encoded variants cut at several points', async () => {
    for (const [name, type, bytes] of await variants()) {
      const cuts = [1, 2, 7, 13, 30, 64, Math.floor(bytes.length / 3), Math.floor(bytes.length / 2), bytes.length - 2];
      for (const n of [...cuts, bytes.length - 1]) {
        expect(check(type, [bytes.subarray(0, n)]), `${name} cut at ${n}`).toMatch(/truncated|malformed/);
        expect(check(type, randomSplits(bytes.subarray(0, n), n)), `${name} cut at ${n}`).toMatch(
          /truncated|malformed/,
        );
      }
    }
  });

  it('refuses an empty stream of every type', () => {
    for (const [, type] of fixtures) expect(check(type, [])).toBeDefined();
  });
});

describe('createStructureCheck refuses smuggled and broken bytes', () => {
  it('refuses data appended after the PNG end chunk, however it is split', () => {
    const polyglot = concatBytes(FIXTURES.png.bytes, bytesOf('<html><script>alert(1)</script></html>'));
    expect(check('image/png', [polyglot])).toBe('data after the PNG end chunk');
    expect(check('image/png', splitEvery(polyglot, 1))).toBe('data after the PNG end chunk');
    expect(check('image/png', [FIXTURES.png.bytes, new Uint8Array([0])])).toBe('data after the PNG end chunk');
  });

  it('refuses a PNG whose first chunk is not IHDR, or whose chunk type is not letters', () => {
    const png = FIXTURES.png.bytes.slice();
    png.set(bytesOf('IHDX'), 12);
    expect(check('image/png', [png])).toBe('a PNG without IHDR');
    const bad = FIXTURES.png.bytes.slice();
    bad.set(bytesOf('I\0DR'), 12);
    expect(check('image/png', [bad])).toBe('a malformed PNG chunk');
  });

  it('refuses a WebP with bytes after its RIFF container, whole or split', () => {
    const webp = concatBytes(FIXTURES.webp.bytes, bytesOf('<script>'));
    expect(check('image/webp', [webp])).toBe('data after the WebP container');
    expect(check('image/webp', splitEvery(webp, 1))).toBe('data after the WebP container');
    expect(check('image/webp', [FIXTURES.webp.bytes, new Uint8Array([0, 0])])).toBe('data after the WebP container');
  });

  it('refuses a WebP whose RIFF size claims more than it has', () => {
    const webp = FIXTURES.webp.bytes.slice();
    new DataView(webp.buffer).setUint32(4, webp.length, true);
    expect(check('image/webp', [webp])).toBe('a truncated WebP');
  });

  it('refuses an AVIF with a box size too small to hold its header', () => {
    const avif = FIXTURES.avif.bytes.slice();
    new DataView(avif.buffer).setUint32(0, 4);
    expect(check('image/avif', [avif])).toBe('a malformed AVIF box');
  });

  it('refuses an AVIF whose box claims more bytes than the file has', () => {
    const avif = FIXTURES.avif.bytes.slice();
    const view = new DataView(avif.buffer);
    const ftyp = view.getUint32(0);
    view.setUint32(ftyp, view.getUint32(ftyp) + 1000);
    expect(check('image/avif', [avif])).toBe('a truncated AVIF');
    view.setUint32(ftyp, 0xffffffff);
    expect(check('image/avif', [avif])).toBe('a truncated AVIF');
  });

  it('refuses an AVIF that does not start with ftyp', () => {
    const avif = FIXTURES.avif.bytes.slice();
    avif.set(bytesOf('free'), 4);
    expect(check('image/avif', [avif])).toBe('an AVIF without ftyp');
  });

  it('refuses an AVIF with bytes after its last box', () => {
    expect(check('image/avif', [FIXTURES.avif.bytes, bytesOf('<script>alert(1)</script>')])).toMatch(
      /truncated|malformed/,
    );
    expect(check('image/avif', [FIXTURES.avif.bytes, new Uint8Array([0, 0, 0])])).toBe('a truncated AVIF');
  });

  it('refuses a GIF with bytes after its trailer', () => {
    expect(check('image/gif', [FIXTURES.gif.bytes, bytesOf('<script>alert(1)</script>;')])).toBe(
      'data after the GIF trailer',
    );
    expect(check('image/gif', [FIXTURES.gif.bytes, bytesOf(';')])).toBe('data after the GIF trailer');
  });

  it('refuses a GIF whose block structure is broken', () => {
    const gif = FIXTURES.gif.bytes.slice();
    // The fixture has a global colour table (flag 0x80 at offset 10); drop the flag and the
    // table's bytes are read as blocks.
    expect((gif[10] as number) & 0x80).toBe(0x80);
    gif[10] = (gif[10] as number) & 0x7f;
    expect(check('image/gif', [gif])).toBeDefined();
  });

  it('accepts a JPEG with bytes after its end marker (camera trailers), but the markup scan catches script there', () => {
    const trailer = concatBytes(FIXTURES.jpeg.bytes, bytesOf('MOTION-PHOTO-TRAILER\0\0\x01'));
    expect(check('image/jpeg', [trailer])).toBeUndefined();
    expect(scan([trailer])).toBe(false);

    const polyglot = concatBytes(FIXTURES.jpeg.bytes, bytesOf('<script>alert(1)</script>'));
    expect(check('image/jpeg', [polyglot])).toBeUndefined();
    expect(scan([polyglot])).toBe(true);
    expect(scan(splitEvery(polyglot, 1))).toBe(true);
  });

  it('refuses a JPEG without its start marker, with a second start marker, or with a broken segment', () => {
    const jpeg = FIXTURES.jpeg.bytes;
    expect(check('image/jpeg', [jpeg.subarray(1)])).toBe('a JPEG without a start marker');
    expect(check('image/jpeg', [concatBytes(jpeg.subarray(0, 2), jpeg)])).toBe('a second JPEG start marker');
    const broken = jpeg.slice();
    broken[2] = 0x00; // the first segment's marker byte
    expect(check('image/jpeg', [broken])).toBe('a malformed JPEG segment');
    const badLength = jpeg.slice();
    badLength.set([0x00, 0x01], 4); // a segment length below 2
    expect(check('image/jpeg', [badLength])).toBe('a malformed JPEG segment length');
  });
});

describe('MarkupScanner', () => {
  const TAGS = [
    '<script>',
    '<html>',
    '<svg onload=alert(1)>',
    '<img src=x onerror=alert(1)>',
    '<iframe ',
    '<body>',
    '<!doctype html>',
    '<object ',
    '<embed ',
  ];
  const image = FIXTURES.png.bytes;

  it.each(TAGS)('finds %s inside image bytes', (tag) => {
    expect(scan([concatBytes(image, bytesOf(tag))])).toBe(true);
    expect(scan([concatBytes(bytesOf(tag), image)])).toBe(true);
  });

  it.each(TAGS)('finds %s split across two chunks at every point inside the tag', (tag) => {
    const bytes = concatBytes(image.subarray(0, 100), bytesOf(tag), image.subarray(100, 200));
    for (let cut = 101; cut < 100 + tag.length; cut++) {
      expect(scan([bytes.subarray(0, cut), bytes.subarray(cut)]), `cut at ${cut - 100}`).toBe(true);
    }
  });

  it.each(TAGS)('finds %s spread over one-byte chunks and over three chunks', (tag) => {
    const bytes = concatBytes(image.subarray(0, 50), bytesOf(tag), image.subarray(50, 80));
    expect(scan(splitEvery(bytes, 1))).toBe(true);
    expect(scan([bytes.subarray(0, 51), bytes.subarray(51, 53), bytes.subarray(53)])).toBe(true);
  });

  it.each(TAGS)('finds %s in any letter case', (tag) => {
    const upper = tag.toUpperCase();
    const mixed = [...tag].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join('');
    expect(scan([concatBytes(image, bytesOf(upper))])).toBe(true);
    expect(scan([concatBytes(image.subarray(0, 30), bytesOf(mixed), image.subarray(30))])).toBe(true);
  });

  it('finds the attribute-smuggling forms a browser still parses as tags', () => {
    for (const attack of [
      '<svg/onload=alert(1)>',
      '<svg\fonload=alert(1)>',
      '<script\nsrc=//x>',
      '<IFRAME\tsrcdoc=x>',
    ]) {
      expect(scan([concatBytes(image, bytesOf(attack))]), attack).toBe(true);
    }
  });

  it('finds a <script> hidden in a PNG tEXt chunk', async () => {
    const png = await pngWithText('Comment', '<script>alert(1)</script>');
    expect(check('image/png', [png])).toBeUndefined();
    expect(scan([png])).toBe(true);
    expect(scan(splitEvery(png, 3))).toBe(true);
  });

  it('does not flag XMP metadata (<?xpacket, <x:xmpmeta, <rdf:RDF) in a real JPEG', async () => {
    const jpeg = await jpegWithXmp();
    const text = new TextDecoder('latin1').decode(jpeg);
    expect(text).toContain('<x:xmpmeta');
    expect(text).toContain('<rdf:RDF');
    expect(text).toContain('<?xpacket');
    expect(scan([jpeg])).toBe(false);
    expect(scan(splitEvery(jpeg, 1))).toBe(false);
  });

  it('finds any tag with an event-handler attribute, however it is separated', () => {
    for (const attack of [
      '<animate onbegin=alert(1) attributeName=x dur=1s>',
      '<details open ontoggle=alert(1)>',
      '<a href="#"onclick="x()">',
      "<p title='x'onmouseover='x()'>",
      '<input autofocus onfocus = alert(1)>',
      '<VIDEO><SOURCE ONERROR=alert(1)>',
    ]) {
      expect(scan([concatBytes(image, bytesOf(attack), image)]), attack).toBe(true);
      expect(scan(splitEvery(concatBytes(image.subarray(0, 40), bytesOf(attack)), 7)), attack).toBe(true);
    }
  });

  it('does not flag a bare <svg or attributes that only begin with "on"', () => {
    // An <svg> runs nothing without a script or a handler; as four bytes it is also what
    // compressed data produces by chance.
    expect(scan([concatBytes(image, bytesOf('<svg '), image)])).toBe(false);
    expect(scan([bytesOf('<x:xmpmeta xmlns:x="adobe:ns:meta/" one="1" on="2" only=3>')])).toBe(false);
    expect(scan([bytesOf('<p>click on the onion soup= button</p>')])).toBe(false);
  });

  it('finds nothing in 64 MiB of random bytes', () => {
    const random = noise(64 * 1024 * 1024, 2026);
    expect(scan(splitEvery(random, 64 * 1024))).toBe(false);
  });

  it('does not flag tag names that only begin like a dangerous one', () => {
    expect(scan([bytesOf('<svgfoo> <scripts> <bodyguard> <htmlx> <objects>')])).toBe(false);
  });

  it('does not flag the real fixtures or large sharp-encoded images', async () => {
    for (const [, , bytes] of fixtures) expect(scan([bytes])).toBe(false);
    for (const [name, , bytes] of await variants()) expect(scan([bytes]), name).toBe(false);
  });

  it('keeps reporting nothing for a tag cut off at the very end of the stream', () => {
    expect(scan([image, bytesOf('<scr')])).toBe(false);
  });
});
