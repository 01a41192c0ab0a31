// Test helpers for @imgstash/core: real images encoded by sharp (libvips), byte utilities and
// sources that record how they were consumed. Not shipped: this folder is outside src.
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
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
