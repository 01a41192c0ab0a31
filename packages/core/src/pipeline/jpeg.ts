// JPEG: segments are walked by their markers, and their framing is checked on the way (this
// walker is also the JPEG structure check: one scan of the entropy data, not two). Before the first scan (the head) metadata
// segments are removed; after it (progressive files interleave tables and APPn between
// scans) they are neutralised in place: renamed COM, payload zeroed. Bytes after EOI
// (camera trailers, MPF second images, each with their own EXIF) are zeroed.

import { asciiBytes, Collector, hasPrefix, nativeIndexOf, u16be } from './bytes.js';
import { minimalTiff, type Orientation, readOrientation } from './exif.js';
import { unsupported } from './limits.js';
import { Walker, zeros } from './rewriter.js';

const EXIF = asciiBytes('Exif\0\0');
const JFIF = asciiBytes('JFIF\0');
const ICC = asciiBytes('ICC_PROFILE\0');
const ADOBE = asciiBytes('Adobe');
const COM = 0xfe;
const SOS = 0xda;

enum S {
  Soi,
  Marker,
  Code,
  Length,
  Prefix,
  Pass,
  Drop,
  Zero,
  Entropy,
  EntropyFF,
  Trailer,
}

const isApp = (c: number) => (c >= 0xe0 && c <= 0xef) || c === COM;
const isSof = (c: number) => c >= 0xc0 && c <= 0xcf && c !== 0xc4 && c !== 0xc8 && c !== 0xcc;
const hasNoLength = (c: number) => c === 0x01 || (c >= 0xd0 && c <= 0xd7);

const ENDS_ON_FF = -2;

/**
 * Scans entropy-coded data from `from`, the hot loop of a JPEG: only 0xFF matters, and it is
 * almost always stuffing (FF 00) or a restart marker. Returns the index of the next marker's
 * code byte, -1 when the chunk ends inside the data, or {@link ENDS_ON_FF}.
 */
function scanEntropy(chunk: Uint8Array, from: number): number {
  const n = chunk.length;
  const find = nativeIndexOf ?? Uint8Array.prototype.indexOf;
  let i = from;
  for (;;) {
    const ff = find.call(chunk, 0xff, i);
    if (ff < 0) return -1;
    if (ff + 1 >= n) return ENDS_ON_FF;
    const next = chunk[ff + 1] as number;
    if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) i = ff + 2;
    else if (next === 0xff) i = ff + 1;
    else return ff + 1;
  }
}

/** Whether a head segment is kept: JFIF, the ICC profile and Adobe (colour transform) affect how pixels look. */
function keeps(code: number, prefix: Uint8Array): boolean {
  if (code === 0xe0) return hasPrefix(prefix, JFIF);
  if (code === 0xe2) return hasPrefix(prefix, ICC);
  if (code === 0xee) return hasPrefix(prefix, ADOBE);
  return !isApp(code);
}

/** APP1 `Exif\0\0` with a TIFF block that holds only the orientation (36 bytes in all). */
function minimalExifSegment(orientation: Orientation): Uint8Array {
  const tiff = minimalTiff(orientation);
  const out = new Uint8Array(4 + EXIF.length + tiff.length);
  const length = out.length - 2;
  out.set([0xff, 0xe1, length >> 8, length & 0xff]);
  out.set(EXIF, 4);
  out.set(tiff, 4 + EXIF.length);
  return out;
}

/** The JPEG walker: see the comment at the top of this file for what it removes, keeps and neutralises. */
export class JpegWalker extends Walker {
  #state = S.Soi;
  #soi = 0;
  #code = 0;
  #fills = 0;
  #neutral = false;
  #wroteExif = false;
  #orientation: Orientation = 1;
  #size: { width: number; height: number } | undefined;
  readonly #len = new Collector(2);
  readonly #prefix = new Collector(64);

  push(chunk: Uint8Array, out: Uint8Array[]): void {
    this.from = 0;
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      switch (this.#state) {
        case S.Soi:
          if (chunk[i] !== (this.#soi === 0 ? 0xff : 0xd8)) throw unsupported('a JPEG without a start marker');
          i++;
          if (++this.#soi === 2) this.#state = S.Marker;
          break;
        case S.Marker:
          if (chunk[i] !== 0xff) throw unsupported('a malformed JPEG segment');
          // Before the first scan a segment is held until its fate is known.
          if (!this.headDone) this.flush(chunk, i, out);
          i++;
          if (!this.headDone) this.from = i;
          this.#fills = 0;
          this.#state = S.Code;
          break;
        case S.Code:
          i = this.#onCode(chunk, i, out);
          break;
        case S.Length:
          i = this.#len.fill(chunk, i);
          if (!this.headDone) this.from = i;
          if (this.#len.full) this.#onLength(i, out);
          break;
        case S.Prefix:
          i = this.#prefix.fill(chunk, i);
          this.from = i;
          if (this.#prefix.full) this.#onPrefix(i, out);
          break;
        case S.Pass:
        case S.Drop:
        case S.Zero:
          i =
            this.#state === S.Pass
              ? this.pass(chunk, i)
              : this.#state === S.Drop
                ? this.drop(chunk, i)
                : this.zero(chunk, i, out);
          if (this.remaining === 0) this.#afterSegment();
          break;
        case S.Entropy: {
          const at = scanEntropy(chunk, i);
          if (at >= 0) {
            i = at;
            this.#fills = 0;
            this.#state = S.Code;
          } else {
            i = n;
            if (at === ENDS_ON_FF) this.#state = S.EntropyFF;
          }
          break;
        }
        case S.EntropyFF: {
          const b = chunk[i] as number;
          if (b === 0x00 || (b >= 0xd0 && b <= 0xd7)) {
            i++;
            this.#state = S.Entropy;
          } else if (b === 0xff) i++;
          else this.#state = S.Code;
          break;
        }
        case S.Trailer:
          if (this.strip) {
            this.flush(chunk, i, out);
            out.push(zeros(n - i));
            this.from = n;
          }
          i = n;
          break;
      }
    }
    this.flush(chunk, n, out);
  }

  #onCode(chunk: Uint8Array, i: number, out: Uint8Array[]): number {
    const code = chunk[i] as number;
    if (code === 0xff) {
      // Fill bytes: dropped with a removed head segment, kept otherwise.
      if (!this.headDone) {
        this.#fills++;
        this.from = i + 1;
      }
      return i + 1;
    }
    this.#code = code;
    if (code === 0xd8) throw unsupported('a second JPEG start marker');
    if (!this.headDone) {
      this.from = i + 1;
      if (hasNoLength(code) || code === 0xd9) {
        out.push(this.#held([]));
        this.#state = code === 0xd9 ? S.Trailer : S.Marker;
        return i + 1;
      }
      this.#len.start(2);
      this.#state = S.Length;
      return i + 1;
    }
    if (code === 0xd9) {
      this.#state = S.Trailer;
      return i + 1;
    }
    if (hasNoLength(code)) {
      this.#state = S.Marker;
      return i + 1;
    }
    this.#neutral = this.strip && isApp(code);
    if (this.#neutral && code !== COM) {
      this.flush(chunk, i, out);
      out.push(Uint8Array.of(COM));
      this.from = i + 1;
    }
    this.#len.start(2);
    this.#state = S.Length;
    return i + 1;
  }

  /** The held marker (fill bytes, FF, code) and `rest`, as one new array. */
  #held(rest: ArrayLike<number>): Uint8Array {
    const fills = this.strip ? 0 : this.#fills;
    this.sizeDelta -= this.strip ? this.#fills : 0;
    const out = new Uint8Array(fills + 2 + rest.length);
    out.fill(0xff, 0, fills + 1);
    out[fills + 1] = this.#code;
    out.set(rest, fills + 2);
    return out;
  }

  #onLength(i: number, out: Uint8Array[]): void {
    const length = u16be(this.#len.bytes, 0);
    if (length < 2) throw unsupported('a malformed JPEG segment length');
    this.remaining = length - 2;
    const code = this.#code;
    if (this.headDone) {
      this.#state = this.#neutral ? S.Zero : S.Pass;
      if (this.remaining === 0) this.#afterSegment();
      return;
    }
    if (code === SOS) {
      if (!this.#size) throw unsupported('a JPEG scan before its frame header');
      this.setFacts(this.#size.width, this.#size.height, this.#orientation);
      this.headDone = true;
    }
    const want = isSof(code) ? 6 : isApp(code) ? (code === 0xe1 ? this.remaining : 14) : 0;
    const take = Math.min(want, this.remaining);
    if (take === 0) {
      this.#keep(new Uint8Array(0), out);
      this.from = i;
      return;
    }
    this.#prefix.start(take);
    this.#state = S.Prefix;
  }

  #onPrefix(i: number, out: Uint8Array[]): void {
    const code = this.#code;
    const prefix = this.#prefix.bytes.subarray(0, this.#prefix.filled);
    this.remaining -= prefix.length;
    this.from = i;
    if (isSof(code)) {
      if (!this.#size) {
        const height = u16be(prefix, 1);
        const width = u16be(prefix, 3);
        if (height === 0 || width === 0) throw unsupported('a JPEG without its dimensions in the frame header');
        this.budget.add(width, height);
        this.#size = { width, height };
      }
      this.#keep(prefix, out);
      return;
    }
    const exif = code === 0xe1 && hasPrefix(prefix, EXIF);
    if (exif && this.#orientation === 1) this.#orientation = readOrientation(prefix.subarray(EXIF.length));
    if (!this.strip || keeps(code, prefix)) {
      this.#keep(prefix, out);
      return;
    }
    this.sizeDelta -= this.#fills + 4 + prefix.length + this.remaining;
    if (exif && this.#orientation !== 1 && !this.#wroteExif) {
      // The orientation is the one EXIF tag that changes how the image looks.
      const segment = minimalExifSegment(this.#orientation);
      out.push(segment);
      this.sizeDelta += segment.length;
      this.#wroteExif = true;
    }
    this.#state = this.remaining > 0 ? S.Drop : S.Marker;
  }

  /** Emits the held marker, its length and `prefix`, then passes the rest of the segment through. */
  #keep(prefix: Uint8Array, out: Uint8Array[]): void {
    const length = this.#len.bytes;
    const rest = new Uint8Array(2 + prefix.length);
    rest[0] = length[0] as number;
    rest[1] = length[1] as number;
    rest.set(prefix, 2);
    out.push(this.#held(rest));
    this.#state = S.Pass;
    if (this.remaining === 0) this.#afterSegment();
  }

  #afterSegment(): void {
    this.#state = this.#code === SOS ? S.Entropy : S.Marker;
  }

  finish(): void {
    if (this.#state !== S.Trailer) throw unsupported('a truncated JPEG');
  }
}
