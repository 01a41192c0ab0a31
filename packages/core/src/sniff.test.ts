import { describe, expect, it } from 'vitest';
import {
  animatedGif,
  avifImage,
  bytesOf,
  concatBytes,
  jpegWithXmp,
  losslessWebp,
  noise,
  progressiveJpeg,
} from '../test-helpers/images.js';
import { EXTENSION_FOR_TYPE, SNIFF_BYTES, sniffType } from './sniff.js';
import { FIXTURES } from './testing/fixtures.js';

const BOM = new Uint8Array([0xef, 0xbb, 0xbf]);

describe('sniffType on real images', () => {
  it.each(Object.entries(FIXTURES))('recognises the %s fixture from its magic bytes alone', (_name, fixture) => {
    expect(sniffType(fixture.bytes)).toBe(fixture.type);
    // Only the head is ever passed in practice.
    expect(sniffType(fixture.bytes.subarray(0, SNIFF_BYTES))).toBe(fixture.type);
  });

  it('recognises sharp-encoded variants: progressive JPEG, JPEG with XMP, animated GIF, lossless WebP, AVIF', async () => {
    expect(sniffType(await progressiveJpeg())).toBe('image/jpeg');
    expect(sniffType(await jpegWithXmp())).toBe('image/jpeg');
    expect(sniffType(await animatedGif())).toBe('image/gif');
    expect(sniffType(await losslessWebp())).toBe('image/webp');
    expect(sniffType(await avifImage())).toBe('image/avif');
  });

  it('recognises GIF87a as well as GIF89a', () => {
    const gif87 = FIXTURES.gif.bytes.slice();
    gif87.set(bytesOf('GIF87a'), 0);
    expect(sniffType(gif87)).toBe('image/gif');
  });

  it('recognises AVIF by a compatible brand when the major brand is another', () => {
    const avif = FIXTURES.avif.bytes.slice();
    // ftyp: size(4) 'ftyp' major(4) minor(4) compatible...; the fixture's major brand is 'avif'.
    expect(String.fromCharCode(...avif.subarray(8, 12))).toBe('avif');
    avif.set(bytesOf('mif1'), 8);
    expect(sniffType(avif)).toBe('image/avif');
  });

  it('recognises an AVIF sequence (avis) brand', () => {
    const avis = FIXTURES.avif.bytes.slice();
    avis.set(bytesOf('avis'), 8);
    expect(sniffType(avis)).toBe('image/avif');
  });

  it('does not call an ISOBMFF file without an AVIF brand (HEIC, MP4) an AVIF', () => {
    const ftyp = (major: string, ...compatible: string[]) => {
      const box = bytesOf(`\0\0\0\0ftyp${major}\0\0\0\0${compatible.join('')}`);
      box[3] = box.length;
      return concatBytes(box, noise(64));
    };
    expect(sniffType(ftyp('heic', 'mif1', 'heic'))).toBeUndefined();
    expect(sniffType(ftyp('isom', 'isom', 'iso2', 'mp41'))).toBeUndefined();
    expect(sniffType(ftyp('mif1', 'mif1', 'avif'))).toBe('image/avif');
  });

  it('ignores compatible brands past the ftyp box', () => {
    const box = bytesOf('\0\0\0\u0014ftypheic\0\0\0\0mif1avif');
    expect(sniffType(box)).toBeUndefined();
  });

  it('maps each type to a file extension', () => {
    expect(EXTENSION_FOR_TYPE['image/jpeg']).toBe('jpg');
    expect(EXTENSION_FOR_TYPE['image/avif']).toBe('avif');
    expect(EXTENSION_FOR_TYPE['image/svg+xml']).toBe('svg');
  });
});

describe('sniffType on markup', () => {
  const SVG_BODY =
    '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>';

  it.each([
    ['a bare <svg>', SVG_BODY],
    ['an XML prolog first', `<?xml version="1.0" encoding="UTF-8"?>\n${SVG_BODY}`],
    ['a DOCTYPE first', `<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x.dtd">${SVG_BODY}`],
    ['a comment first', `<!-- drawn by hand -->${SVG_BODY}`],
    ['leading whitespace', `\n\t  \r\n${SVG_BODY}`],
    ['upper case', SVG_BODY.toUpperCase()],
    ['<svg> without attributes', '<svg><script>alert(1)</script></svg>'],
    ['a self-closing <svg/>', '<svg/>'],
  ])('calls an SVG with %s image/svg+xml', (_what, text) => {
    expect(sniffType(bytesOf(text))).toBe('image/svg+xml');
  });

  it('calls an SVG after a UTF-8 byte order mark image/svg+xml', () => {
    expect(sniffType(concatBytes(BOM, bytesOf(SVG_BODY)))).toBe('image/svg+xml');
    expect(sniffType(concatBytes(BOM, bytesOf(`  <?xml version="1.0"?>${SVG_BODY}`)))).toBe('image/svg+xml');
  });

  it.each([
    ['a doctype', '<!DOCTYPE html><title>x</title>'],
    ['a lower-case doctype', '<!doctype html>'],
    ['<html>', '<html><body>hi</body></html>'],
    ['<HTML> in upper case', '<HTML><BODY>hi</BODY></HTML>'],
    ['a bare <script>', '<script>alert(document.cookie)</script>'],
    ['an <iframe>', '<iframe src="https://evil.example"></iframe>'],
    ['a comment first', '<!-- hello --><script>alert(1)</script>'],
    ['leading whitespace', '   \n<html>'],
    ['a <body> with onload', '<body onload="alert(1)">'],
    ['a <div>', '<div>x</div>'],
    ['a <p> paragraph', '<p>x</p>'],
    ['a <style>', '<style>*{}</style>'],
    ['non-SVG XML', '<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"/>'],
  ])('calls HTML with %s text/html', (_what, text) => {
    expect(sniffType(bytesOf(text))).toBe('text/html');
  });

  it('calls HTML after a byte order mark text/html', () => {
    expect(sniffType(concatBytes(BOM, bytesOf('<!DOCTYPE html><html>')))).toBe('text/html');
  });
});

describe('sniffType on everything else', () => {
  it('returns undefined for random bytes, plain text, JSON and empty input', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const bytes = noise(SNIFF_BYTES, seed);
      // A random head that happens to start with a real signature is not "random" here.
      if (bytes[0] === 0xff || bytes[0] === 0x89 || bytes[0] === 0x3c) continue;
      expect(sniffType(bytes)).toBeUndefined();
    }
    expect(sniffType(bytesOf('hello, world\n'))).toBeUndefined();
    expect(sniffType(bytesOf('{"image": "png"}'))).toBeUndefined();
    expect(sniffType(bytesOf('a < b and <svg> later'))).toBeUndefined();
    expect(sniffType(new Uint8Array(0))).toBeUndefined();
  });

  it('returns undefined for markup it does not know, such as <img> or a bare <', () => {
    expect(sniffType(bytesOf('<img src=x>'))).toBeUndefined();
    expect(sniffType(bytesOf('<'))).toBeUndefined();
  });

  it('refuses look-alikes: RIFF that is not WebP, a PNG signature cut short, "GIF90a"', () => {
    expect(sniffType(bytesOf('RIFF\u0024\0\0\0WAVEfmt '))).toBeUndefined();
    expect(sniffType(FIXTURES.png.bytes.subarray(0, 7))).toBeUndefined();
    expect(sniffType(bytesOf('GIF90a\u0030\0\u0020\0'))).toBeUndefined();
  });

  it('never throws on a header shorter than 12 bytes, of any type', () => {
    for (const fixture of Object.values(FIXTURES)) {
      for (let n = 0; n < 12; n++) {
        expect(() => sniffType(fixture.bytes.subarray(0, n))).not.toThrow();
      }
    }
    // Three bytes are enough to call a JPEG; six for a GIF; eight for a PNG.
    expect(sniffType(FIXTURES.jpeg.bytes.subarray(0, 3))).toBe('image/jpeg');
    expect(sniffType(FIXTURES.gif.bytes.subarray(0, 6))).toBe('image/gif');
    expect(sniffType(FIXTURES.png.bytes.subarray(0, 8))).toBe('image/png');
    expect(sniffType(FIXTURES.webp.bytes.subarray(0, 11))).toBeUndefined();
    expect(sniffType(FIXTURES.avif.bytes.subarray(0, 11))).toBeUndefined();
  });

  it('never throws on an ftyp box that claims a huge size', () => {
    const box = FIXTURES.avif.bytes.slice(0, 40);
    box.set([0xff, 0xff, 0xff, 0xff], 0);
    expect(() => sniffType(box)).not.toThrow();
  });
});
