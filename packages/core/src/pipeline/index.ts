import type { RasterImageType } from '../sniff.js';
import { AvifWalker } from './avif.js';
import { GifWalker } from './gif.js';
import { JpegWalker } from './jpeg.js';
import { PngWalker } from './png.js';
import type { ImageRewriter, ImageRewriterOptions } from './rewriter.js';
import { WebpWalker } from './webp.js';

export type { Orientation } from './exif.js';
export type { ImageHeaderFacts, ImageRewriter, ImageRewriterOptions } from './rewriter.js';

/**
 * Creates the inspect-and-strip stage for one image of `type`: it reads the dimensions
 * and orientation from the headers, enforces `maxPixels` and `maxFrames` before any
 * decode, and, with `stripMetadata`, removes metadata losslessly (see docs/images.md).
 * Memory is bounded: at most one segment header, one EXIF block (64 KiB) or one AVIF
 * `meta` box (1 MiB) is held at a time.
 *
 * @example
 * ```ts
 * const rewriter = createImageRewriter('image/jpeg', { stripMetadata: true, maxPixels: 1e8, maxFrames: 1000 });
 * const out: Uint8Array[] = [];
 * for (const chunk of chunks) rewriter.push(chunk, out);
 * rewriter.finish(out);
 * console.log(rewriter.facts); // { width, height, orientation }
 * ```
 */
export function createImageRewriter(type: RasterImageType, options: ImageRewriterOptions): ImageRewriter {
  switch (type) {
    case 'image/jpeg':
      return new JpegWalker(options);
    case 'image/png':
      return new PngWalker(options);
    case 'image/gif':
      return new GifWalker(options);
    case 'image/webp':
      return new WebpWalker(options);
    case 'image/avif':
      return new AvifWalker(options);
  }
}
