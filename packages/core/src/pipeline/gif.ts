// GIF: blocks are walked by their introducers and sub-block lengths. Before the first image
// (the head) comment and application extensions are removed, except the NETSCAPE2.0 /
// ANIMEXTS1.0 loop count; after it they become comment extensions of zeros, same length.

import { asciiBytes, Collector, hasPrefix, u16le } from './bytes.js';
import { unsupported } from './limits.js';
import { type ImageRewriterOptions, Walker, zeros } from './rewriter.js';

const NETSCAPE = asciiBytes('NETSCAPE2.0');
const ANIMEXTS = asciiBytes('ANIMEXTS1.0');
const COMMENT = 0xfe;
const APPLICATION = 0xff;

enum S {
  Screen,
  Skip,
  Block,
  Label,
  AppSize,
  AppData,
  Descriptor,
  CodeSize,
  SubSize,
  SubData,
  End,
}

enum Sub {
  Pass,
  Drop,
  Zero,
}

const colourTable = (flags: number) => (flags & 0x80 ? 3 * 2 ** ((flags & 0x07) + 1) : 0);

/** The GIF walker: see the comment at the top of this file for what it removes, keeps and neutralises. */
export class GifWalker extends Walker {
  #state = S.Screen;
  #skip = 0;
  #after = S.Block;
  #sub = Sub.Pass;
  /** Whether the extension introducer (0x21) is held back, undecided. */
  #heldIntroducer = false;
  #canvas = 0;
  readonly #screen = new Collector(13);
  readonly #descriptor = new Collector(9);
  readonly #app = new Collector(256);

  constructor(options: ImageRewriterOptions) {
    super(options);
    this.#screen.start(13);
  }

  push(chunk: Uint8Array, out: Uint8Array[]): void {
    this.from = 0;
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      switch (this.#state) {
        case S.Screen:
          i = this.#screen.fill(chunk, i);
          if (this.#screen.full) {
            const b = this.#screen.bytes;
            const width = u16le(b, 6);
            const height = u16le(b, 8);
            // A 0 × 0 logical screen happens; decoders then take the first frame's size.
            if (width > 0 && height > 0) {
              this.#canvas = width * height;
              this.setFacts(width, height, 1);
            }
            this.#skipThen(colourTable(b[10] as number), S.Block);
          }
          break;
        case S.Skip: {
          const k = Math.min(this.#skip, n - i);
          i += k;
          this.#skip -= k;
          if (this.#skip === 0) this.#state = this.#after;
          break;
        }
        case S.Block: {
          const b = chunk[i] as number;
          if (b === 0x21) {
            this.#heldIntroducer = this.strip && !this.headDone;
            if (this.#heldIntroducer) this.flush(chunk, i, out);
            i++;
            if (this.#heldIntroducer) this.from = i;
            this.#state = S.Label;
          } else if (b === 0x2c) {
            i++;
            this.#onImage();
          } else {
            i++;
            this.#state = S.End; // the trailer, or a broken block the structure check refuses
          }
          break;
        }
        case S.Label: {
          const label = chunk[i] as number;
          if (!this.strip || (label !== COMMENT && label !== APPLICATION)) {
            if (this.#heldIntroducer) out.push(Uint8Array.of(0x21, label));
            i++;
            if (this.#heldIntroducer) this.from = i;
            this.#startSubBlocks(Sub.Pass);
          } else if (label === COMMENT) {
            i++;
            if (this.#heldIntroducer) {
              this.from = i;
              this.sizeDelta -= 2;
              this.#startSubBlocks(Sub.Drop);
            } else this.#startSubBlocks(Sub.Zero);
          } else {
            // An application extension: held until its identifier is read.
            this.flush(chunk, i, out);
            i++;
            this.from = i;
            this.#state = S.AppSize;
          }
          break;
        }
        case S.AppSize: {
          const size = chunk[i] as number;
          i++;
          this.from = i;
          this.#app.start(size);
          this.#state = S.AppData;
          if (size === 0) this.#onApp(out);
          break;
        }
        case S.AppData:
          i = this.#app.fill(chunk, i);
          this.from = i;
          if (this.#app.full) this.#onApp(out);
          break;
        case S.Descriptor:
          i = this.#descriptor.fill(chunk, i);
          if (this.#descriptor.full) {
            const b = this.#descriptor.bytes;
            if (!this.facts) this.#firstFrameSize(u16le(b, 4), u16le(b, 6));
            const area = u16le(b, 4) * u16le(b, 6);
            // A frame larger than the canvas costs its own area to decode.
            if (area > this.#canvas) this.budget.add(area - this.#canvas, 1, 0);
            this.#skipThen(colourTable(b[8] as number), S.CodeSize);
          }
          break;
        case S.CodeSize:
          i++;
          this.#startSubBlocks(Sub.Pass);
          break;
        case S.SubSize:
          if (this.#sub === Sub.Pass) {
            // The hot loop for image data: hop from one length byte to the next.
            for (;;) {
              const size = chunk[i] as number;
              if (size === 0) {
                i++;
                this.#state = S.Block;
                break;
              }
              if (i + 1 + size < n) {
                i += 1 + size;
                continue;
              }
              this.remaining = size - (n - i - 1);
              i = n;
              this.#state = this.remaining > 0 ? S.SubData : S.SubSize;
              break;
            }
            break;
          }
          {
            const size = chunk[i] as number;
            i++;
            if (this.#sub === Sub.Drop) {
              this.from = i;
              this.sizeDelta -= 1 + size;
            }
            this.remaining = size;
            this.#state = size === 0 ? S.Block : S.SubData;
          }
          break;
        case S.SubData:
          i =
            this.#sub === Sub.Pass
              ? this.pass(chunk, i)
              : this.#sub === Sub.Drop
                ? this.drop(chunk, i)
                : this.zero(chunk, i, out);
          if (this.remaining === 0) this.#state = S.SubSize;
          break;
        case S.End:
          i = n;
          break;
      }
    }
    this.flush(chunk, n, out);
  }

  #skipThen(count: number, next: S): void {
    this.#after = next;
    this.#skip = count;
    this.#state = count > 0 ? S.Skip : next;
  }

  #startSubBlocks(mode: Sub): void {
    this.#sub = mode;
    this.#state = S.SubSize;
  }

  #onImage(): void {
    // Decoders composite every frame onto the canvas: each costs the canvas's pixels.
    const facts = this.facts;
    if (facts) {
      this.budget.add(facts.width, facts.height);
      this.headDone = true;
    }
    this.#descriptor.start(9);
    this.#state = S.Descriptor;
  }

  /** Without a logical screen size, the first frame's size is the canvas. */
  #firstFrameSize(width: number, height: number): void {
    if (width === 0 || height === 0) throw unsupported('a GIF without its dimensions');
    this.#canvas = width * height;
    this.setFacts(width, height, 1);
    this.budget.add(width, height);
    this.headDone = true;
  }

  #onApp(out: Uint8Array[]): void {
    const id = this.#app.copy();
    const size = id.length;
    const loop = hasPrefix(id, NETSCAPE) || hasPrefix(id, ANIMEXTS);
    if (loop) {
      out.push(this.#heldIntroducer ? Uint8Array.of(0x21, APPLICATION, size) : Uint8Array.of(APPLICATION, size));
      out.push(id);
      this.#startSubBlocks(Sub.Pass);
    } else if (this.#heldIntroducer) {
      this.sizeDelta -= 3 + size;
      this.#startSubBlocks(Sub.Drop);
    } else {
      out.push(Uint8Array.of(COMMENT, size), zeros(size));
      this.#startSubBlocks(Sub.Zero);
    }
    if (size === 0) this.#state = S.Block;
  }

  finish(): void {
    if (!this.headDone) throw unsupported('a GIF without an image');
  }
}
