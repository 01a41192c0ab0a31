import { indexOfByte } from './pipeline/bytes.js';
import { JpegWalker } from './pipeline/jpeg.js';
import { refusalReason } from './pipeline/limits.js';
import type { RasterImageType } from './sniff.js';

/**
 * Checks an image's structure as its bytes stream past, without buffering it.
 * It catches truncated files and bytes smuggled after the image's end, which is
 * where image/HTML polyglots usually hide.
 */
export interface StructureCheck {
  /** Feeds the next chunk. Returns a reason once the bytes cannot be a valid image. */
  push(chunk: Uint8Array): string | undefined;
  /** Call at the end of the stream. Returns a reason when the image is incomplete. */
  finish(): string | undefined;
}

/** Collects fixed-size headers across chunk boundaries. */
class HeaderBuffer {
  readonly bytes: Uint8Array;
  filled = 0;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
  }
  /** Copies from `chunk` at `offset`; returns the new offset. */
  fill(chunk: Uint8Array, offset: number): number {
    const n = Math.min(this.bytes.length - this.filled, chunk.length - offset);
    // A byte loop, not set(subarray()): headers are a few bytes, and this runs per chunk of
    // the image, where an allocation each time adds up.
    for (let k = 0; k < n; k++) this.bytes[this.filled + k] = chunk[offset + k] as number;
    this.filled += n;
    return offset + n;
  }
  get full(): boolean {
    return this.filled === this.bytes.length;
  }
  u32be(at: number): number {
    const b = this.bytes;
    return (((b[at] ?? 0) << 24) | ((b[at + 1] ?? 0) << 16) | ((b[at + 2] ?? 0) << 8) | (b[at + 3] ?? 0)) >>> 0;
  }
  ascii(at: number, len: number): string {
    return String.fromCharCode(...this.bytes.subarray(at, at + len));
  }
  reset(): void {
    this.filled = 0;
  }
}

const PNG_IHDR = 0x49484452;
const PNG_IEND = 0x49454e44;
/** An ASCII letter, either case. */
const isLetter = (b: number | undefined) => b !== undefined && (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7a;

function pngCheck(): StructureCheck {
  let offset = 8; // bytes of the signature still to skip
  let skip = 0;
  let chunks = 0;
  let ended = false;
  const header = new HeaderBuffer(8);
  return {
    push(chunk) {
      let i = 0;
      while (i < chunk.length) {
        if (offset > 0) {
          const n = Math.min(offset, chunk.length - i);
          offset -= n;
          i += n;
          continue;
        }
        if (skip > 0) {
          const n = Math.min(skip, chunk.length - i);
          skip -= n;
          i += n;
          continue;
        }
        // Anything after IEND's CRC is smuggled data (the usual PNG/HTML polyglot).
        if (ended) return 'data after the PNG end chunk';
        i = header.fill(chunk, i);
        if (!header.full) break;
        const length = header.u32be(0);
        // The type as a number, not a string: a 9 MiB PNG has a thousand chunks.
        const type = header.u32be(4);
        const b = header.bytes;
        header.reset();
        if (length > 0x7fffffff || !(isLetter(b[4]) && isLetter(b[5]) && isLetter(b[6]) && isLetter(b[7]))) {
          return 'a malformed PNG chunk';
        }
        if (chunks === 0 && type !== PNG_IHDR) return 'a PNG without IHDR';
        chunks++;
        skip = length + 4; // data + CRC
        if (type === PNG_IEND) ended = true;
      }
      return undefined;
    },
    finish() {
      return ended && skip === 0 ? undefined : 'a truncated PNG';
    },
  };
}

function jpegCheck(): StructureCheck {
  // The JPEG walker checks the segment framing as it reads the markers; with nothing to strip
  // and no limits, it is the structure check, and the one JPEG parser in core.
  const walker = new JpegWalker({ stripMetadata: false, maxPixels: Number.POSITIVE_INFINITY, maxFrames: 1 });
  const sink: Uint8Array[] = [];
  const attempt = (step: () => void): string | undefined => {
    try {
      step();
      sink.length = 0;
      return undefined;
    } catch (error) {
      const reason = refusalReason(error);
      if (reason === undefined) throw error;
      return reason;
    }
  };
  return {
    push: (chunk) => attempt(() => walker.push(chunk, sink)),
    finish: () => attempt(() => walker.finish()),
  };
}

function gifCheck(): StructureCheck {
  // Walks the block structure: header and screen descriptor (13 bytes), colour tables,
  // then extensions (0x21) and images (0x2C) made of length-prefixed sub-blocks, up to the
  // trailer (0x3B). A last byte of 0x3B alone proves nothing: LZW data contains it.
  let state: 'screen' | 'block' | 'label' | 'image' | 'lzw' | 'sub' | 'end' = 'screen';
  let skip = 0;
  const header = new HeaderBuffer(13);
  const image = new HeaderBuffer(9);
  const colourTable = (flags: number) => (flags & 0x80 ? 3 * 2 ** ((flags & 0x07) + 1) : 0);
  return {
    push(chunk) {
      let i = 0;
      while (i < chunk.length) {
        if (skip > 0) {
          const n = Math.min(skip, chunk.length - i);
          skip -= n;
          i += n;
          continue;
        }
        switch (state) {
          case 'screen':
            i = header.fill(chunk, i);
            if (header.full) {
              skip = colourTable(header.bytes[10] as number);
              state = 'block';
            }
            break;
          case 'image':
            i = image.fill(chunk, i);
            if (image.full) {
              skip = colourTable(image.bytes[8] as number);
              image.reset();
              state = 'lzw';
            }
            break;
          case 'block': {
            const b = chunk[i++] as number;
            if (b === 0x21) state = 'label';
            else if (b === 0x2c) state = 'image';
            else if (b === 0x3b) state = 'end';
            else return 'a malformed GIF block';
            break;
          }
          case 'label':
          case 'lzw':
            i++; // the extension label, or the LZW minimum code size
            state = 'sub';
            break;
          case 'sub': {
            const length = chunk[i++] as number;
            if (length === 0) state = 'block';
            else skip = length;
            break;
          }
          case 'end':
            return 'data after the GIF trailer';
        }
      }
      return undefined;
    },
    finish() {
      return state === 'end' ? undefined : 'a truncated GIF';
    },
  };
}

function webpCheck(): StructureCheck {
  const header = new HeaderBuffer(8);
  let total = 0;
  return {
    push(chunk) {
      if (!header.full) header.fill(chunk, 0);
      total += chunk.length;
      if (header.full) {
        const b = header.bytes;
        const size = ((b[4] ?? 0) | ((b[5] ?? 0) << 8) | ((b[6] ?? 0) << 16) | ((b[7] ?? 0) << 24)) >>> 0;
        if (total > size + 8) return 'data after the WebP container';
      }
      return undefined;
    },
    finish() {
      if (!header.full) return 'a truncated WebP';
      const b = header.bytes;
      const size = ((b[4] ?? 0) | ((b[5] ?? 0) << 8) | ((b[6] ?? 0) << 16) | ((b[7] ?? 0) << 24)) >>> 0;
      return total === size + 8 ? undefined : 'a truncated WebP';
    },
  };
}

function isobmffCheck(): StructureCheck {
  const header = new HeaderBuffer(16);
  let need = 8;
  let skip = 0;
  let toEnd = false;
  let boxes = 0;
  // The image data lives in mdat; without it, the file was cut at a box boundary.
  let mdat = false;
  return {
    push(chunk) {
      let i = 0;
      while (i < chunk.length && !toEnd) {
        if (skip > 0) {
          const n = Math.min(skip, chunk.length - i);
          skip -= n;
          i += n;
          continue;
        }
        const n = Math.min(need - header.filled, chunk.length - i);
        header.bytes.set(chunk.subarray(i, i + n), header.filled);
        header.filled += n;
        i += n;
        if (header.filled < need) break;
        const size32 = header.u32be(0);
        const type = header.ascii(4, 4);
        if (boxes === 0 && type !== 'ftyp') return 'an AVIF without ftyp';
        if (size32 === 1 && need === 8) {
          need = 16;
          continue;
        }
        if (type === 'mdat') mdat = true;
        let size: number;
        if (size32 === 0) {
          toEnd = true;
          break;
        }
        if (size32 === 1) size = header.u32be(8) * 2 ** 32 + header.u32be(12);
        else size = size32;
        if (size < need) return 'a malformed AVIF box';
        skip = size - need;
        boxes++;
        header.reset();
        need = 8;
      }
      return undefined;
    },
    finish() {
      return mdat && (toEnd || (skip === 0 && header.filled === 0)) ? undefined : 'a truncated AVIF';
    },
  };
}

/** A structure check for `type`. */
export function createStructureCheck(type: RasterImageType): StructureCheck {
  switch (type) {
    case 'image/png':
      return pngCheck();
    case 'image/jpeg':
      return jpegCheck();
    case 'image/gif':
      return gifCheck();
    case 'image/webp':
      return webpCheck();
    case 'image/avif':
      return isobmffCheck();
  }
}

// Markup that makes a file dangerous if a browser ever renders it as a document: tags that
// run or embed something by themselves, and any tag with an event-handler attribute
// (`<img src=x onerror=…>`, `<svg/onload=…>`, `<animate onbegin=…>`). A bare `<svg` is not
// on the list: without a script or a handler it runs nothing, and as four bytes it turns up
// by chance in compressed image data about once per 17 GB (once in ~1,700 uploads of
// 10 MiB). XMP metadata (`<x:xmpmeta`, `<rdf:`) is legitimate inside images and does not match.
const MARKUP = ['<script', '<html', '<iframe', '<body', '<!doctype', '<object', '<embed'].map((s) =>
  Uint8Array.from(s, (c) => c.charCodeAt(0)),
);
// A tag name ends at whitespace, `/` or `>` (HTML tokenizer and XML alike). Requiring one
// ignores `<scripts` and cuts false positives in compressed data.
/** ASCII whitespace as HTML and XML tokenizers see it: space, tab, LF, VT, FF, CR. */
const isSpace = (b: number) => b === 0x20 || (b >= 0x09 && b <= 0x0d);
const isDelimiter = (b: number) => isSpace(b) || b === 0x2f || b === 0x3e;
/** Bytes a tag's text may hold: printable ASCII and whitespace. */
const isTagText = (b: number) => (b >= 0x20 && b <= 0x7e) || isSpace(b);
/** How far past `<` an event-handler attribute is looked for. */
const HANDLER_WINDOW = 256;
const LONGEST = Math.max(HANDLER_WINDOW, ...MARKUP.map((m) => m.length)) + 1;

/**
 * Whether the tag opening at `at` (`<` and a letter) has an `on…=` attribute: a separator
 * (whitespace, `/` or a quote), `on`, at least three letters, optional whitespace, `=`;
 * within {@link HANDLER_WINDOW} bytes of tag text and before the tag's `>`.
 */
function hasHandler(bytes: Uint8Array, at: number): boolean {
  const end = Math.min(bytes.length, at + HANDLER_WINDOW);
  for (let i = at + 2; i < end; i++) {
    const b = bytes[i] as number;
    if (b === 0x3e || b === 0x3c || !isTagText(b)) return false;
    if (!(isSpace(b) || b === 0x2f || b === 0x22 || b === 0x27)) continue;
    if (((bytes[i + 1] as number) | 0x20) !== 0x6f || ((bytes[i + 2] as number) | 0x20) !== 0x6e) continue;
    let j = i + 3;
    while (j < end && isLetter(bytes[j] as number)) j++;
    if (j - (i + 3) < 3) continue;
    while (j < end && isSpace(bytes[j] as number)) j++;
    if (j < end && bytes[j] === 0x3d) return true;
  }
  return false;
}

// The bytes that may follow `<` in a pattern, either case: most `<` in image data fail here.
const SECOND = new Uint8Array(256);
for (let c = 0x41; c <= 0x5a; c++) {
  SECOND[c] = 1;
  SECOND[c | 0x20] = 1;
}
SECOND[0x21] = 1; // `<!doctype`

function matchAt(bytes: Uint8Array, at: number): boolean {
  const second = bytes[at + 1] as number;
  if (SECOND[second] !== 1) return false;
  outer: for (const pattern of MARKUP) {
    if (at + pattern.length >= bytes.length) continue;
    for (let j = 1; j < pattern.length; j++) {
      // ASCII lower-casing: set bit 0x20 for letters only.
      const b = bytes[at + j] as number;
      const lower = b >= 0x41 && b <= 0x5a ? b | 0x20 : b;
      if (lower !== pattern[j]) continue outer;
    }
    if (isDelimiter(bytes[at + pattern.length] as number)) return true;
  }
  return isLetter(second) && hasHandler(bytes, at);
}

/**
 * Scans a stream for HTML or SVG markup anywhere in it, across chunk boundaries.
 * Random compressed image data matches one of these tags with negligible probability.
 */
export class MarkupScanner {
  #carry: Uint8Array = new Uint8Array(0);

  /** True once markup has been seen. */
  push(chunk: Uint8Array): boolean {
    const carry = this.#carry;
    if (carry.length > 0) {
      const joined = new Uint8Array(carry.length + Math.min(chunk.length, LONGEST));
      joined.set(carry);
      joined.set(chunk.subarray(0, LONGEST), carry.length);
      for (let at = indexOfByte(joined, 0x3c); at >= 0 && at < carry.length; at = indexOfByte(joined, 0x3c, at + 1)) {
        if (matchAt(joined, at)) return true;
      }
    }
    for (let at = indexOfByte(chunk, 0x3c); at >= 0; at = indexOfByte(chunk, 0x3c, at + 1)) {
      if (matchAt(chunk, at)) return true;
    }
    const keep = LONGEST - 1;
    if (chunk.length >= keep) this.#carry = chunk.slice(chunk.length - keep);
    else {
      const next = new Uint8Array(carry.length + chunk.length);
      next.set(carry);
      next.set(chunk, carry.length);
      this.#carry = next.slice(Math.max(0, next.length - keep));
    }
    return false;
  }
}
