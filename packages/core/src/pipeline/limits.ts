// The errors the pipeline raises, and the pixel and frame budget checked from headers.

import { ImageStoreError } from '../errors.js';

const REFUSED = '[imgstash] refused: ';

/** `UNSUPPORTED_MEDIA_TYPE` with a reason the client may read. */
export function unsupported(reason: string): ImageStoreError {
  return new ImageStoreError('UNSUPPORTED_MEDIA_TYPE', `${REFUSED}${reason}`, {
    publicMessage: `The file is not an accepted image (${reason}).`,
  });
}

/** The reason given to {@link unsupported}, or undefined for any other error. */
export function refusalReason(error: unknown): string | undefined {
  if (!(error instanceof ImageStoreError) || error.code !== 'UNSUPPORTED_MEDIA_TYPE') return undefined;
  return error.message.startsWith(REFUSED) ? error.message.slice(REFUSED.length) : undefined;
}

/** `PAYLOAD_TOO_LARGE` for a file over `maxBytes`. */
export function tooLarge(maxBytes: number): ImageStoreError {
  return new ImageStoreError('PAYLOAD_TOO_LARGE', `[imgstash] file exceeds ${maxBytes} bytes`, {
    publicMessage: `The file is larger than the limit of ${maxBytes} bytes.`,
  });
}

/** The limits a {@link FrameBudget} enforces. */
export interface FrameLimits {
  /** Width × height summed over all frames. */
  maxPixels: number;
  /** Frames of an animation. */
  maxFrames: number;
}

/**
 * Counts the frames and pixels an image declares and refuses, with `PAYLOAD_TOO_LARGE`,
 * the first one past a limit: from the headers, before anything decodes a pixel.
 */
export class FrameBudget {
  frames = 0;
  pixels = 0;
  readonly #limits: FrameLimits;
  constructor(limits: FrameLimits) {
    this.#limits = limits;
  }

  /** Adds `count` frames of `width` × `height` pixels each. */
  add(width: number, height: number, count = 1): void {
    const { maxPixels, maxFrames } = this.#limits;
    this.frames += count;
    this.pixels += width * height * count;
    if (this.frames > maxFrames) {
      throw new ImageStoreError('PAYLOAD_TOO_LARGE', `[imgstash] ${this.frames} frames, over ${maxFrames}`, {
        publicMessage: `The animation has more than the limit of ${maxFrames} frames.`,
      });
    }
    if (this.pixels > maxPixels) {
      throw new ImageStoreError(
        'PAYLOAD_TOO_LARGE',
        `[imgstash] ${width}×${height} (×${this.frames} frames) is over ${maxPixels} pixels`,
        {
          publicMessage:
            this.frames > 1
              ? `The animation's frames hold more than the limit of ${maxPixels} pixels in all.`
              : `The image is ${width}×${height} pixels, more than the limit of ${maxPixels} pixels.`,
        },
      );
    }
  }
}
