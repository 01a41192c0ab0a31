// The inspect-and-strip stage: one walker per format reads the dimensions, checks the pixel
// and frame limits, and strips metadata, on the stream, with bounded memory.

import type { Orientation } from './exif.js';
import { FrameBudget, type FrameLimits } from './limits.js';

/** Options for {@link createImageRewriter}. */
export interface ImageRewriterOptions extends FrameLimits {
  /** Remove metadata (true) or only read dimensions and check limits (false). */
  stripMetadata: boolean;
}

/** What the headers of an image say. */
export interface ImageHeaderFacts {
  /** Width in pixels as displayed, after the orientation. */
  width: number;
  /** Height in pixels as displayed, after the orientation. */
  height: number;
  /** The EXIF orientation the image carries (for AVIF, its `irot`/`imir` as one); 1 when none. */
  orientation: Orientation;
}

/**
 * A streaming rewriter for one image. Feed it every chunk in order with {@link push}; it
 * appends the bytes to store to `out` (pieces of the input, or new arrays where it changed
 * something) and throws an `ImageStoreError` the moment a limit is passed.
 *
 * Until {@link headDone} it may remove metadata, which changes the length; from then on it
 * only neutralises metadata in place, so the stored length is the input length plus
 * {@link sizeDelta}.
 */
export interface ImageRewriter {
  /** Consumes `chunk`; appends the output to `out`. */
  push(chunk: Uint8Array, out: Uint8Array[]): void;
  /** Call after the last chunk: throws when the image ended inside its header. */
  finish(out: Uint8Array[]): void;
  /** True once the first image data has been reached: the header is read and the length change is fixed. */
  readonly headDone: boolean;
  /** Stored length minus input length; final once {@link headDone} is true. */
  readonly sizeDelta: number;
  /** Dimensions and orientation; set by the time {@link headDone} is true. */
  readonly facts: ImageHeaderFacts | undefined;
  /** Frames counted so far (all of them after {@link finish}). */
  readonly frames: number;
}

/** The state every format walker shares: the budget, the facts and the output run. */
export abstract class Walker implements ImageRewriter {
  headDone = false;
  sizeDelta = 0;
  facts: ImageHeaderFacts | undefined;
  protected readonly strip: boolean;
  protected readonly budget: FrameBudget;
  /** Start of the current pass-through run in the chunk being pushed. */
  protected from = 0;
  /** Bytes left in the current segment, chunk or box. */
  protected remaining = 0;

  constructor(options: ImageRewriterOptions) {
    this.strip = options.stripMetadata;
    this.budget = new FrameBudget(options);
  }

  get frames(): number {
    return this.budget.frames;
  }

  abstract push(chunk: Uint8Array, out: Uint8Array[]): void;
  abstract finish(out: Uint8Array[]): void;

  /** Emits the pass-through run up to `end` and starts a new one there. */
  protected flush(chunk: Uint8Array, end: number, out: Uint8Array[]): void {
    if (end > this.from) out.push(this.from === 0 && end === chunk.length ? chunk : chunk.subarray(this.from, end));
    this.from = end;
  }

  /** Passes up to {@link remaining} bytes of `chunk` from `i`; returns the new offset. */
  protected pass(chunk: Uint8Array, i: number): number {
    const k = Math.min(this.remaining, chunk.length - i);
    this.remaining -= k;
    return i + k;
  }

  /** Leaves up to {@link remaining} bytes out of the output; returns the new offset. */
  protected drop(chunk: Uint8Array, i: number): number {
    this.from = this.pass(chunk, i);
    return this.from;
  }

  /** Emits zeros for up to {@link remaining} bytes; returns the new offset. */
  protected zero(chunk: Uint8Array, i: number, out: Uint8Array[]): number {
    const end = this.pass(chunk, i);
    this.flush(chunk, i, out);
    out.push(zeros(end - i));
    this.from = end;
    return end;
  }

  /** Sets the displayed dimensions for `orientation`. */
  protected setFacts(width: number, height: number, orientation: Orientation): void {
    const swap = orientation >= 5;
    this.facts = { width: swap ? height : width, height: swap ? width : height, orientation };
  }
}

/** Zero-filled bytes standing in for `count` removed bytes of metadata. */
export function zeros(count: number): Uint8Array {
  return new Uint8Array(count);
}
