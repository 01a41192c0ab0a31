// WebP: RIFF chunks are walked by their fourCC and size. Before the first image data (the
// head) EXIF, XMP and unknown chunks are removed and the RIFF size is corrected; after it
// (EXIF and XMP normally follow the image data) they are renamed `JUNK`, RIFF's filler
// chunk, with a zeroed payload. The VP8X EXIF and XMP flags are cleared.

import { asciiBytes, Collector, fourCC, putU32le, u16le, u24le, u32le } from './bytes.js';
import { unsupported } from './limits.js';
import { type ImageRewriterOptions, Walker } from './rewriter.js';

const KEPT = new Set(['VP8X', 'VP8 ', 'VP8L', 'ALPH', 'ANIM', 'ANMF', 'ICCP']);
const IMAGE = new Set(['VP8 ', 'VP8L', 'ALPH', 'ANMF']);
const JUNK = asciiBytes('JUNK');
const VP8X_EXIF = 0x08;
const VP8X_XMP = 0x04;

enum S {
  Riff,
  Header,
  Prefix,
  Pass,
  Drop,
  Zero,
}

/** The WebP walker: see the comment at the top of this file for what it removes, keeps and neutralises. */
export class WebpWalker extends Walker {
  #state = S.Riff;
  #type = '';
  #size = 0;
  #canvas: { width: number; height: number } | undefined;
  /** Head output, held until the RIFF size is known. */
  #pending: Uint8Array[] = [];
  #riff: Uint8Array | undefined;
  readonly #header = new Collector(12);
  readonly #prefix = new Collector(12);

  constructor(options: ImageRewriterOptions) {
    super(options);
    this.#header.start(12);
  }

  push(chunk: Uint8Array, out: Uint8Array[]): void {
    this.from = 0;
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      const sink = this.headDone ? out : this.#pending;
      switch (this.#state) {
        case S.Riff:
          i = this.#header.fill(chunk, i);
          this.from = i;
          if (this.#header.full) {
            this.#riff = this.#header.copy();
            this.#pending.push(this.#riff);
            this.#startHeader();
          }
          break;
        case S.Header:
          if (this.#header.filled === 0 && this.headDone && i + 20 <= n && this.#passes(chunk, i)) break;
          if (this.#header.filled === 0) this.flush(chunk, i, sink);
          i = this.#header.fill(chunk, i);
          this.from = i;
          if (this.#header.full) this.#onHeader(sink, out);
          break;
        case S.Prefix:
          i = this.#prefix.fill(chunk, i);
          this.from = i;
          if (this.#prefix.full) this.#onPrefix(this.#prefix.copy(), out);
          break;
        case S.Pass:
        case S.Drop:
        case S.Zero: {
          i =
            this.#state === S.Pass
              ? this.pass(chunk, i)
              : this.#state === S.Drop
                ? this.drop(chunk, i)
                : this.zero(chunk, i, sink);
          if (this.remaining === 0) this.#startHeader();
          break;
        }
      }
    }
    this.flush(chunk, n, this.headDone ? out : this.#pending);
  }

  /**
   * Passes a kept chunk whose header (and ANMF frame header) lies whole in `chunk` without
   * holding it: animation frames then cost no split of the output.
   */
  #passes(chunk: Uint8Array, i: number): boolean {
    const type = fourCC(chunk, i);
    if (this.strip && !KEPT.has(type)) return false;
    if (type === 'ANMF') this.#frame(chunk.subarray(i + 8, i + 20));
    const size = u32le(chunk, i + 4);
    this.remaining = 8 + size + (size & 1);
    this.#state = S.Pass;
    return true;
  }

  #startHeader(): void {
    this.#header.start(8);
    this.#state = S.Header;
  }

  #onHeader(sink: Uint8Array[], out: Uint8Array[]): void {
    const b = this.#header.bytes;
    const type = fourCC(b, 0);
    const size = u32le(b, 4);
    this.#type = type;
    this.#size = size + (size & 1);
    const want = type === 'VP8X' ? 10 : type === 'VP8 ' ? 10 : type === 'VP8L' ? 5 : type === 'ANMF' ? 12 : 0;
    if (want > 0 && size >= want) {
      this.#prefix.start(want);
      this.#state = S.Prefix;
      return;
    }
    if (IMAGE.has(type) && !this.headDone) {
      if (type !== 'ALPH' || !this.#canvas) throw unsupported('a WebP without its dimensions');
      this.#endHead(this.#canvas, out);
      sink = out;
    }
    this.#decide(sink, new Uint8Array(0));
  }

  #onPrefix(prefix: Uint8Array, out: Uint8Array[]): void {
    const type = this.#type;
    if (type === 'VP8X') {
      this.#canvas = { width: u24le(prefix, 4) + 1, height: u24le(prefix, 7) + 1 };
      if (this.strip) prefix[0] = (prefix[0] as number) & ~(VP8X_EXIF | VP8X_XMP);
    } else if (type === 'ANMF') {
      if (!this.headDone) {
        if (!this.#canvas) throw unsupported('an animated WebP without its canvas');
        this.#endHead(this.#canvas, out, false);
      }
      this.#frame(prefix);
    } else if (!this.headDone) {
      // VP8 key frame: 3-byte tag, start code, 14-bit sizes; VP8L: signature, 14-bit sizes − 1.
      const size =
        type === 'VP8 '
          ? prefix[3] === 0x9d && prefix[4] === 0x01 && prefix[5] === 0x2a
            ? { width: u16le(prefix, 6) & 0x3fff, height: u16le(prefix, 8) & 0x3fff }
            : undefined
          : prefix[0] === 0x2f
            ? { width: (u32le(prefix, 1) & 0x3fff) + 1, height: ((u32le(prefix, 1) >>> 14) & 0x3fff) + 1 }
            : undefined;
      const canvas = this.#canvas ?? size;
      if (!canvas || canvas.width === 0 || canvas.height === 0) throw unsupported('a WebP without its dimensions');
      this.#endHead(canvas, out);
    }
    this.#decide(this.headDone ? out : this.#pending, prefix);
  }

  /** Counts an animation frame from the first 12 bytes of its ANMF payload. */
  #frame(anmf: Uint8Array): void {
    const canvas = this.#canvas;
    if (!canvas) throw unsupported('an animated WebP without its canvas');
    this.budget.add(canvas.width, canvas.height);
    const area = (u24le(anmf, 6) + 1) * (u24le(anmf, 9) + 1);
    // A frame larger than the canvas costs its own area to decode.
    if (area > canvas.width * canvas.height) this.budget.add(area - canvas.width * canvas.height, 1, 0);
  }

  /** Fixes the RIFF size and releases the head. */
  #endHead(canvas: { width: number; height: number }, out: Uint8Array[], still = true): void {
    if (still) this.budget.add(canvas.width, canvas.height);
    this.setFacts(canvas.width, canvas.height, 1);
    this.headDone = true;
    if (this.#riff && this.sizeDelta !== 0) putU32le(this.#riff, 4, u32le(this.#riff, 4) + this.sizeDelta);
    out.push(...this.#pending);
    this.#pending = [];
  }

  #decide(sink: Uint8Array[], prefix: Uint8Array): void {
    const header = this.#header.copy();
    const rest = this.#size - prefix.length;
    if (!this.strip || KEPT.has(this.#type)) {
      sink.push(header);
      if (prefix.length > 0) sink.push(prefix);
      this.remaining = rest;
      this.#state = S.Pass;
    } else if (!this.headDone) {
      this.sizeDelta -= 8 + this.#size;
      this.remaining = rest;
      this.#state = S.Drop;
    } else {
      header.set(JUNK, 0);
      sink.push(header);
      this.remaining = rest;
      this.#state = S.Zero;
    }
    if (this.remaining === 0) this.#startHeader();
  }

  finish(): void {
    if (!this.headDone) throw unsupported('a truncated WebP');
  }
}
