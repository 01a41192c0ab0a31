// Test helpers for @imgstash/core: real images encoded by sharp (libvips), byte utilities and
// sources that record how they were consumed. Not shipped: this folder is outside src.
import { createHash } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';

const encoder = new TextEncoder();

/** The bytes of an ASCII/UTF-8 string. */
export function bytesOf(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Deterministic pseudo-random bytes (xorshift32): the same seed gives the same bytes. */
export function noise(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 0x9e3779b9;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** A seeded random integer source in `[0, n)`. */
export function seededRandom(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
}

/** Joins byte arrays. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** `bytes` cut into pieces of `size` bytes (the last one shorter). */
export function splitEvery(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size) out.push(bytes.subarray(at, at + size));
  return out;
}

/** `bytes` cut at random points into pieces of 1..`maxPiece` bytes, repeatably for a seed. */
export function randomSplits(bytes: Uint8Array, seed: number, maxPiece = 97): Uint8Array[] {
  const random = seededRandom(seed);
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; ) {
    const n = 1 + random(maxPiece);
    out.push(bytes.subarray(at, at + n));
    at += n;
  }
  return out;
}

/** SHA-256 of `bytes` as lowercase hex, by node:crypto (the reference to compare against). */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Reads a whole async iterable of chunks. */
export async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk.slice());
  return concatBytes(...parts);
}

/** A source that records how many bytes were pulled from it and whether it was released. */
export interface TrackedSource {
  /** Bytes handed out so far. */
  readonly pulled: number;
  /** True once the consumer released the source (`return()` on an iterable, `cancel()` on a stream). */
  readonly released: boolean;
}

/** An async iterable over `chunks` that counts what it hands out and notices `return()`. */
export function trackedIterable(chunks: Iterable<Uint8Array>): AsyncIterable<Uint8Array> & TrackedSource {
  const state = { pulled: 0, released: false };
  return {
    get pulled() {
      return state.pulled;
    },
    get released() {
      return state.released;
    },
    [Symbol.asyncIterator]() {
      const it = chunks[Symbol.iterator]();
      return {
        async next() {
          const r = it.next();
          if (r.done) return { done: true, value: undefined };
          state.pulled += r.value.length;
          return { done: false, value: r.value };
        },
        async return() {
          state.released = true;
          return { done: true, value: undefined };
        },
      };
    },
  };
}

/** A ReadableStream over `chunks` (pulled lazily) that counts what it hands out and notices `cancel()`. */
export function trackedStream(chunks: Iterable<Uint8Array>): { stream: ReadableStream<Uint8Array> } & TrackedSource {
  const state = { pulled: 0, released: false };
  const it = chunks[Symbol.iterator]();
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        const r = it.next();
        if (r.done) {
          controller.close();
          return;
        }
        state.pulled += r.value.length;
        controller.enqueue(r.value);
      },
      cancel() {
        state.released = true;
      },
    },
    { highWaterMark: 0 },
  );
  return {
    stream,
    get pulled() {
      return state.pulled;
    },
    get released() {
      return state.released;
    },
  };
}

/** `bytes` repeated lazily, `size`-byte chunks up to `total` bytes (for "a huge body"). */
export function* repeatChunks(first: Uint8Array, total: number, size = 64 * 1024): Generator<Uint8Array> {
  let sent = 0;
  for (const chunk of splitEvery(first, size)) {
    if (sent >= total) return;
    sent += chunk.length;
    yield chunk;
  }
  const filler = noise(size, 99);
  while (sent < total) {
    const n = Math.min(size, total - sent);
    sent += n;
    yield filler.subarray(0, n);
  }
}

const cache = new Map<string, Promise<Uint8Array>>();

function memo(name: string, make: () => Promise<Buffer>): Promise<Uint8Array> {
  let hit = cache.get(name);
  if (!hit) {
    hit = make().then((b) => new Uint8Array(b));
    cache.set(name, hit);
  }
  return hit;
}

function raw(width: number, height: number, seed: number) {
  return sharp(noise(width * height * 3, seed), { raw: { width, height, channels: 3 } });
}

/** A large baseline JPEG of RGB noise (1200×900 ≈ 1 MB by default). */
export function noisyJpeg(width = 1200, height = 900, seed = 1): Promise<Uint8Array> {
  return memo(`jpeg:${width}x${height}:${seed}`, () => raw(width, height, seed).jpeg({ quality: 90 }).toBuffer());
}

/** A progressive JPEG (several scans, each with its own SOS and Huffman tables). */
export function progressiveJpeg(): Promise<Uint8Array> {
  return memo('jpeg:progressive', () => raw(320, 240, 2).jpeg({ quality: 85, progressive: true }).toBuffer());
}

/** A JPEG carrying an XMP packet (`<?xpacket`, `<x:xmpmeta`, `<rdf:RDF`) in its APP1 segment. */
export function jpegWithXmp(): Promise<Uint8Array> {
  const xmp =
    '<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>' +
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
    '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator><rdf:Seq>' +
    '<rdf:li>imgstash</rdf:li></rdf:Seq></dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>' +
    '<?xpacket end="w"?>';
  return memo('jpeg:xmp', () => raw(64, 48, 3).jpeg({ quality: 80 }).withXmp(xmp).toBuffer());
}

/** An animated GIF of `frames` frames of noise. */
export function animatedGif(frames = 4): Promise<Uint8Array> {
  const width = 40;
  const pageHeight = 30;
  return memo(`gif:animated:${frames}`, () =>
    sharp(noise(width * pageHeight * frames * 3, 4), {
      raw: { width, height: pageHeight * frames, channels: 3, pageHeight },
    })
      .gif({ loop: 0, delay: Array.from({ length: frames }, () => 100) })
      .toBuffer(),
  );
}

/** A lossless WebP (VP8L bitstream). */
export function losslessWebp(): Promise<Uint8Array> {
  return memo('webp:lossless', () => raw(120, 80, 5).webp({ lossless: true }).toBuffer());
}

/** An AVIF (ISOBMFF: ftyp, meta, mdat boxes). */
export function avifImage(): Promise<Uint8Array> {
  return memo('avif', () => raw(96, 64, 6).avif({ quality: 50, effort: 0 }).toBuffer());
}

/** A PNG of noise. */
export function noisyPng(width = 64, height = 48, seed = 7): Promise<Uint8Array> {
  return memo(`png:${width}x${height}:${seed}`, () => raw(width, height, seed).png().toBuffer());
}

/** A PNG chunk: length, type, data and CRC. */
export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const head = new Uint8Array(8);
  const view = new DataView(head.buffer);
  view.setUint32(0, data.length);
  head.set(bytesOf(type), 4);
  const tail = new Uint8Array(4);
  new DataView(tail.buffer).setUint32(0, crc32(concatBytes(head.subarray(4), data)) >>> 0);
  return concatBytes(head, data, tail);
}

/** `png` with `chunk` inserted right after its IHDR chunk (8-byte signature + 25-byte IHDR). */
export function withChunkAfterIhdr(png: Uint8Array, chunk: Uint8Array): Uint8Array {
  return concatBytes(png.subarray(0, 33), chunk, png.subarray(33));
}

/** A real PNG carrying a `tEXt` chunk with `keyword` and `text`. */
export async function pngWithText(keyword: string, text: string): Promise<Uint8Array> {
  return withChunkAfterIhdr(await noisyPng(), pngChunk('tEXt', bytesOf(`${keyword}\0${text}`)));
}

/** Real images beyond the fixtures, each as `[description, type, bytes]`: the shapes the checks must pass. */
export async function realImageVariants(): Promise<
  [string, 'image/jpeg' | 'image/gif' | 'image/png' | 'image/webp' | 'image/avif', Uint8Array][]
> {
  return [
    ['a 1200×900 baseline JPEG', 'image/jpeg', await noisyJpeg()],
    ['a progressive JPEG', 'image/jpeg', await progressiveJpeg()],
    ['a JPEG with XMP', 'image/jpeg', await jpegWithXmp()],
    ['an animated GIF', 'image/gif', await animatedGif()],
    ['a PNG with a tEXt chunk', 'image/png', await pngWithText('Comment', 'made by imgstash')],
    ['a lossless WebP', 'image/webp', await losslessWebp()],
    ['an AVIF', 'image/avif', await avifImage()],
  ];
}

// ---------------------------------------------------------------------------------------
// Images carrying the metadata an uploader's phone or editor writes: made by sharp (EXIF
// with GPS, camera make and model, XMP, ICC, orientation), plus well-formed segments and
// chunks sharp cannot write (IPTC/APP13, COM, PNG text chunks, GIF comment and XMP
// extensions), inserted by the helpers below into the sharp-made files.

/** Text that must not survive stripping, whatever the format. */
export const SECRETS = [
  'ImgstashCam',
  'Model-X9',
  'XmpSecretCreator',
  'IptcSecretCaption',
  'CommentSecret',
  'TextSecret',
] as const;

/** The GPS position written (the Eiffel Tower, 48.8582 N 2.2945 E), as EXIF rationals. */
const EXIF = {
  IFD0: { Make: 'ImgstashCam', Model: 'Model-X9' },
  IFD3: {
    GPSLatitudeRef: 'N',
    GPSLatitude: '48/1 51/1 2952/100',
    GPSLongitudeRef: 'E',
    GPSLongitude: '2/1 17/1 4020/100',
  },
};
const XMP =
  '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
  '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>XmpSecretCreator</dc:creator>' +
  '</rdf:Description></rdf:RDF></x:xmpmeta>';

/** The formats {@link taggedImage} makes. */
export type TaggedFormat = 'jpeg' | 'progressive-jpeg' | 'png' | 'webp' | 'animated-webp' | 'avif' | 'gif';

/** Options for {@link taggedImage}. */
export interface TaggedImageOptions {
  /** EXIF orientation to write (JPEG, PNG, WebP; AVIF gets it as `irot`/`imir`). Default 1. */
  orientation?: number;
  /** Embed the Display P3 ICC profile. Default true. */
  icc?: boolean;
}

/** A JPEG segment: marker, length, payload. */
export function jpegSegment(marker: number, payload: Uint8Array): Uint8Array {
  const length = payload.length + 2;
  return concatBytes(Uint8Array.of(0xff, marker, length >> 8, length & 0xff), payload);
}

/** A GIF extension: introducer, label, payload in sub-blocks of up to 255 bytes, terminator. */
export function gifExtension(label: number, ...blocks: Uint8Array[]): Uint8Array {
  const parts: Uint8Array[] = [Uint8Array.of(0x21, label)];
  for (const block of blocks) {
    for (const piece of splitEvery(block, 255)) parts.push(Uint8Array.of(piece.length), piece);
  }
  parts.push(Uint8Array.of(0));
  return concatBytes(...parts);
}

/** An APP13 Photoshop segment holding an IPTC caption (2:120). */
function iptcSegment(caption: string): Uint8Array {
  const text = bytesOf(caption);
  const iptc = concatBytes(Uint8Array.of(0x1c, 0x02, 0x78, text.length >> 8, text.length & 0xff), text);
  const resource = concatBytes(
    bytesOf('8BIM'),
    Uint8Array.of(0x04, 0x04, 0, 0),
    Uint8Array.of(0, 0, iptc.length >> 8, iptc.length & 0xff),
    iptc,
    iptc.length % 2 ? Uint8Array.of(0) : new Uint8Array(0),
  );
  return jpegSegment(0xed, concatBytes(bytesOf('Photoshop 3.0\0'), resource));
}

/** Offset of the second SOS marker of a progressive JPEG: metadata put there sits between scans. */
function secondScan(jpeg: Uint8Array): number {
  let seen = 0;
  for (let i = 2; i + 1 < jpeg.length; i++) {
    if (jpeg[i] === 0xff && jpeg[i + 1] === 0xda && ++seen === 2) return i;
  }
  throw new Error('not a progressive JPEG');
}

function withJpegMetadata(jpeg: Uint8Array, progressive: boolean): Uint8Array {
  const head = concatBytes(iptcSegment('IptcSecretCaption'), jpegSegment(0xfe, bytesOf('CommentSecret one')));
  let out = concatBytes(jpeg.subarray(0, 2), head, jpeg.subarray(2));
  if (progressive) {
    // Between the scans of a progressive file: a comment and an XMP APP1, as some editors write.
    const at = secondScan(out);
    const late = concatBytes(
      jpegSegment(0xfe, bytesOf('CommentSecret two')),
      jpegSegment(0xe1, bytesOf(`http://ns.adobe.com/xap/1.0/\0${XMP}`)),
    );
    out = concatBytes(out.subarray(0, at), late, out.subarray(at));
  }
  return out;
}

function withPngText(png: Uint8Array): Uint8Array {
  const early = concatBytes(
    pngChunk('tEXt', bytesOf('Author\0TextSecret tEXt')),
    pngChunk('zTXt', concatBytes(bytesOf('Comment\0\0'), new Uint8Array(deflateSync(bytesOf('TextSecret zTXt'))))),
    pngChunk('iTXt', bytesOf('Description\0\0\0\0\0TextSecret iTXt')),
    pngChunk('tIME', Uint8Array.of(0x07, 0xea, 12, 1, 10, 30, 0)),
  );
  // After the image data too: PNG allows text chunks anywhere before IEND.
  const late = pngChunk('tEXt', bytesOf('Comment\0TextSecret after IDAT'));
  const iend = png.length - 12;
  return concatBytes(png.subarray(0, 33), early, png.subarray(33, iend), late, png.subarray(iend));
}

function gifScreenEnd(gif: Uint8Array): number {
  const flags = gif[10] as number;
  return 13 + (flags & 0x80 ? 3 * 2 ** ((flags & 0x07) + 1) : 0);
}

function withGifMetadata(gif: Uint8Array): Uint8Array {
  const at = gifScreenEnd(gif);
  const early = concatBytes(
    gifExtension(0xfe, bytesOf('CommentSecret before the first frame')),
    gifExtension(0xff, bytesOf('XMP DataXMP'), bytesOf(XMP)),
  );
  const late = gifExtension(0xfe, bytesOf('CommentSecret after the frames'));
  const trailer = gif.length - 1;
  return concatBytes(gif.subarray(0, at), early, gif.subarray(at, trailer), late, gif.subarray(trailer));
}

/** An image in `format` with GPS, make, model, XMP (and IPTC, comments, text chunks where the format has them). */
export function taggedImage(format: TaggedFormat, options: TaggedImageOptions = {}): Promise<Uint8Array> {
  const orientation = options.orientation ?? 1;
  const icc = options.icc ?? true;
  return memo(`tagged:${format}:${orientation}:${icc}`, async () => {
    const animated = format === 'animated-webp' || format === 'gif';
    const width = 64;
    const height = 48;
    const frames = animated ? 3 : 1;
    let image = sharp(noise(width * height * frames * 3, 11), {
      raw: { width, height: height * frames, channels: 3, ...(animated ? { pageHeight: height } : {}) },
    })
      .withExif(EXIF)
      .withXmp(XMP)
      .withMetadata({ orientation });
    if (icc) image = image.withIccProfile('p3');
    switch (format) {
      case 'jpeg':
        return Buffer.from(withJpegMetadata(new Uint8Array(await image.jpeg({ quality: 90 }).toBuffer()), false));
      case 'progressive-jpeg':
        return Buffer.from(
          withJpegMetadata(new Uint8Array(await image.jpeg({ quality: 90, progressive: true }).toBuffer()), true),
        );
      case 'png':
        return Buffer.from(withPngText(new Uint8Array(await image.png().toBuffer())));
      case 'webp':
        return image.webp({ quality: 80 }).toBuffer();
      case 'animated-webp':
        return image.webp({ quality: 80, loop: 0, delay: [100, 100, 100] }).toBuffer();
      case 'avif':
        return image.avif({ quality: 50, effort: 0 }).toBuffer();
      case 'gif':
        return Buffer.from(
          withGifMetadata(new Uint8Array(await image.gif({ loop: 0, delay: [100, 100, 100] }).toBuffer())),
        );
    }
  });
}

/** The content type of a {@link TaggedFormat}. */
export function taggedType(
  format: TaggedFormat,
): 'image/jpeg' | 'image/png' | 'image/gif' | 'image/webp' | 'image/avif' {
  if (format.endsWith('jpeg')) return 'image/jpeg';
  if (format.endsWith('webp')) return 'image/webp';
  return `image/${format}` as 'image/png' | 'image/gif' | 'image/avif';
}

/** Whether `bytes` contain `text` (as Latin-1 bytes). */
export function containsText(bytes: Uint8Array, text: string): boolean {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).includes(text, 0, 'latin1');
}

/** The decoded pixels (no auto-rotation), as sharp gives them, every frame. */
export async function decodedPixels(bytes: Uint8Array): Promise<Buffer> {
  return sharp(bytes, { animated: true }).raw().toBuffer();
}

/**
 * A real 20000 × 20000 PNG of one colour (400 MP in well under a megabyte), made by sharp
 * once and kept in the temp directory: encoding it costs seconds of CPU.
 */
export async function solidPngBomb(): Promise<Uint8Array> {
  const path = join(tmpdir(), 'imgstash-test-bomb-20000x20000.png');
  try {
    return new Uint8Array(await readFile(path));
  } catch {
    const png = await sharp({
      create: { width: 20000, height: 20000, channels: 3, background: '#336699' },
      limitInputPixels: false,
    })
      .png({ compressionLevel: 9 })
      .toBuffer();
    const partial = `${path}.${process.pid}.tmp`;
    await writeFile(partial, png);
    await rename(partial, path);
    return new Uint8Array(png);
  }
}
