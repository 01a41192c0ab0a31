// PNG: chunks are walked by their length and type. Before the first IDAT (the head)
// metadata chunks are removed; after it (text chunks may follow the image data) they are
// renamed to a private ancillary type, `nuLl`, with zeroed data and a fresh CRC.

import { asciiBytes, Collector, crc32Update, crc32Zeros, fourCC, putU32be, u32be } from './bytes.js';
import { minimalTiff, type Orientation, readOrientation } from './exif.js';
import { unsupported } from './limits.js';
import { Walker } from './rewriter.js';

// Ancillary chunks that change how the pixels look (colour, transparency, aspect, animation).
const KEPT = new Set([
  'tRNS',
  'cHRM',
  'gAMA',
  'iCCP',
  'sBIT',
  'sRGB',
  'cICP',
  'mDCV',
  'mDCv',
  'cLLI',
  'cLLi',
  'bKGD',
  'hIST',
  'pHYs',
  'sPLT',
  'sCAL',
  'oFFs',
  'pCAL',
  'sTER',
  'acTL',
  'fcTL',
  'fdAT',
]);
const NULL_TYPE = asciiBytes('nuLl');
/** The most of an eXIf chunk read for its orientation: IFD0 sits at its start. */
const EXIF_READ = 64 * 1024;

enum S {
  Signature,
  Header,
  Prefix,
  Pass,
  Drop,
  Zero,
  Crc,
}

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  putU32be(out, 0, data.length);
  out.set(asciiBytes(type), 4);
  out.set(data, 8);
  putU32be(out, 8 + data.length, ~crc32Update(0xffffffff, out.subarray(4, 8 + data.length)) >>> 0);
  return out;
}

/** The PNG walker: see the comment at the top of this file for what it removes, keeps and neutralises. */
export class PngWalker extends Walker {
  #state = S.Signature;
  #skip = 8;
  #type = '';
  #length = 0;
  #crc = 0;
  #frames = 1;
  #orientation: Orientation = 1;
  #wroteExif = false;
  #size: { width: number; height: number } | undefined;
  readonly #header = new Collector(8);
  readonly #prefix = new Collector(13);
  readonly #crcOut = new Uint8Array(4);

  push(chunk: Uint8Array, out: Uint8Array[]): void {
    this.from = 0;
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      switch (this.#state) {
        case S.Signature: {
          const k = Math.min(this.#skip, n - i);
          i += k;
          this.#skip -= k;
          if (this.#skip === 0) this.#startHeader();
          break;
        }
        case S.Header:
          if (this.#header.filled === 0) {
            // The common case, every IDAT: a chunk that needs no change, its header whole in
            // this chunk, passes in the run; splitting the output there costs a hash update.
            if (this.headDone && i + 8 <= n && (!this.strip || ((chunk[i + 4] as number) & 0x20) === 0)) {
              this.remaining = u32be(chunk, i) + 12;
              this.#state = S.Pass;
              break;
            }
            this.flush(chunk, i, out);
          }
          i = this.#header.fill(chunk, i);
          this.from = i;
          if (this.#header.full) this.#onHeader(out);
          break;
        case S.Prefix:
          i = this.#prefix.fill(chunk, i);
          this.from = i;
          if (this.#prefix.full) this.#onPrefix(out);
          break;
        case S.Pass:
        case S.Drop:
        case S.Crc: // the old CRC, replaced by the one emitted after the zeros
          i = this.#state === S.Pass ? this.pass(chunk, i) : this.drop(chunk, i);
          if (this.remaining === 0) this.#startHeader();
          break;
        case S.Zero: {
          const start = i;
          i = this.zero(chunk, i, out);
          this.#crc = crc32Zeros(this.#crc, i - start);
          if (this.remaining === 0) this.#replaceCrc(out);
          break;
        }
      }
    }
    this.flush(chunk, n, out);
  }

  #startHeader(): void {
    this.#header.start(8);
    this.#state = S.Header;
  }

  #onHeader(out: Uint8Array[]): void {
    const b = this.#header.bytes;
    this.#length = u32be(b, 0);
    this.#type = fourCC(b, 4);
    const type = this.#type;
    if (type === 'IDAT' && !this.headDone) {
      if (!this.#size) throw unsupported('a PNG without IHDR');
      this.budget.add(this.#size.width, this.#size.height, this.#frames);
      this.setFacts(this.#size.width, this.#size.height, this.#orientation);
      this.headDone = true;
    }
    const want = this.headDone
      ? 0
      : type === 'IHDR'
        ? 13
        : type === 'acTL'
          ? 8
          : type === 'eXIf'
            ? Math.min(this.#length, EXIF_READ)
            : 0;
    if (want > 0 && this.#length >= want) {
      this.#prefix.start(want);
      this.#state = S.Prefix;
      return;
    }
    this.#decide(new Uint8Array(0), out);
  }

  #onPrefix(out: Uint8Array[]): void {
    const prefix = this.#prefix.bytes.subarray(0, this.#prefix.filled);
    if (this.#type === 'IHDR' && !this.#size) {
      const width = u32be(prefix, 0);
      const height = u32be(prefix, 4);
      if (width === 0 || height === 0) throw unsupported('a PNG without its dimensions');
      this.#size = { width, height };
    } else if (this.#type === 'acTL') {
      this.#frames = Math.max(1, u32be(prefix, 0));
    } else if (this.#type === 'eXIf' && this.#orientation === 1) {
      this.#orientation = readOrientation(prefix);
    }
    this.#decide(prefix, out);
  }

  /** Keeps, removes (head) or neutralises (after the head) the chunk whose header and `prefix` are held. */
  #decide(prefix: Uint8Array, out: Uint8Array[]): void {
    const type = this.#type;
    const rest = this.#length - prefix.length + 4; // data left + CRC
    const ancillary = ((type.charCodeAt(0) | 0) & 0x20) !== 0;
    if (!this.strip || !ancillary || KEPT.has(type)) {
      out.push(this.#header.copy());
      if (prefix.length > 0) out.push(prefix.slice());
      this.remaining = rest;
      this.#state = S.Pass;
      return;
    }
    if (!this.headDone) {
      this.sizeDelta -= 12 + this.#length;
      if (type === 'eXIf' && this.#orientation !== 1 && !this.#wroteExif) {
        const exif = pngChunk('eXIf', minimalTiff(this.#orientation));
        out.push(exif);
        this.sizeDelta += exif.length;
        this.#wroteExif = true;
      }
      this.remaining = rest;
      this.#state = S.Drop;
      return;
    }
    const header = this.#header.copy();
    header.set(NULL_TYPE, 4);
    out.push(header);
    this.#crc = crc32Update(0xffffffff, NULL_TYPE);
    this.remaining = this.#length;
    this.#state = S.Zero;
    if (this.#length === 0) this.#replaceCrc(out);
  }

  #replaceCrc(out: Uint8Array[]): void {
    putU32be(this.#crcOut, 0, ~this.#crc >>> 0);
    out.push(this.#crcOut.slice());
    this.remaining = 4;
    this.#state = S.Crc;
  }

  finish(): void {
    if (!this.headDone) throw unsupported('a truncated PNG');
  }
}
