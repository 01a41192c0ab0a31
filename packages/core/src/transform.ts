import type { RasterImageType } from './sniff.js';
import type { ImageBody } from './types.js';

/**
 * How a preset fits the image into its box, as CSS `object-fit` (and sharp) name it.
 * `inside` (the default) keeps the whole image within the box; `cover` fills the box and
 * crops; `contain` letterboxes; `fill` stretches; `outside` covers the box without cropping.
 */
export type VariantFit = 'inside' | 'cover' | 'contain' | 'fill' | 'outside';

/** The formats a preset may ask for: one format, or `auto` (AVIF, WebP or the original's, from `Accept`). */
export type VariantFormat = 'webp' | 'avif' | 'jpeg' | 'png' | 'auto';

/** The formats a transformer writes: what `auto` resolves to, and the concrete preset formats. */
export type TransformFormat = 'webp' | 'avif' | 'jpeg' | 'png' | 'gif';

/**
 * A named variant: what `/i/:id/:preset` serves. Only presets exist (no free-form sizes in
 * URLs), so the work a client can cause is bounded by the list the server was given.
 */
export interface VariantPreset {
  /** Largest width, in pixels (1..16384). At least one of `width` and `height`, or neither to re-encode only. */
  width?: number;
  /** Largest height, in pixels (1..16384). */
  height?: number;
  /** How the image fits a `width` × `height` box. Default `inside`. An image is never enlarged. */
  fit?: VariantFit;
  /** The output format; `auto` picks AVIF, WebP or the original's format from the request's `Accept`. */
  format: VariantFormat;
  /** Encoder quality, 1..100. Default: the transformer's (sharp: WebP 80, AVIF 50, JPEG 80). */
  quality?: number;
}

/** What {@link ImageTransformer.transform} is asked to make. */
export interface TransformOptions {
  /** Largest output width; omitted: the original's. */
  width?: number;
  /** Largest output height; omitted: the original's. */
  height?: number;
  /** How to fit the box. */
  fit: VariantFit;
  /** The output format (already resolved from `auto`). */
  format: TransformFormat;
  /** Encoder quality 1..100; omitted: the transformer's default. */
  quality?: number;
  /**
   * Refuse inputs with more pixels than this (width × height of one frame) before they
   * decode. A refusal is an `UNPROCESSABLE_IMAGE` error.
   */
  maxPixels: number;
  /**
   * Aborts the work: the handlers' per-transform deadline, or nobody waiting any more. A
   * transformer stops reading the input and rejects with the signal's reason.
   */
  signal: AbortSignal;
}

/** A finished variant. */
export interface TransformResult {
  /** The encoded bytes: stripped of metadata, in sRGB (or carrying their ICC profile). */
  bytes: Uint8Array;
  /** The media type of `bytes`. */
  contentType: RasterImageType;
  /** Output width, in pixels. */
  width: number;
  /** Output height, in pixels. */
  height: number;
}

/** The placeholder kinds a transformer may compute at upload. */
export type PlaceholderKind = 'thumbhash';

/** What {@link ImageTransformer.placeholder} is asked for. */
export interface PlaceholderOptions {
  kind: PlaceholderKind;
  /** The sniffed type of the upload. */
  contentType: RasterImageType;
  /** As in {@link TransformOptions.maxPixels}. */
  maxPixels: number;
  /** Aborts the work (the upload failed, or the deadline passed). */
  signal: AbortSignal;
}

/**
 * Makes variants and placeholders. Core never decodes an image itself: a transformer is
 * handed to the handlers, like a store. `@imgstash/sharp` implements it on sharp (Node,
 * Bun, Deno); an implementation on the Workers Images binding would map `transform` to
 * `env.IMAGES.input(stream).transform({ width, height, fit }).output({ format, quality })`.
 *
 * Failures are {@link ImageStoreError}s: `UNPROCESSABLE_IMAGE` (422) for an input that does
 * not decode or is over `maxPixels`, `OVERLOADED` (503) for work that ran out of time.
 * Anything else thrown is reported as `UNPROCESSABLE_IMAGE` too: a failed transform never
 * falls back to the original.
 */
export interface ImageTransformer {
  /** Reads `input` (a stored original, streamed) and encodes one variant. */
  transform(input: ImageBody, options: TransformOptions): Promise<TransformResult>;
  /**
   * Optional: a placeholder of `kind` (ThumbHash: base64) computed from `input` while the
   * upload streams to storage. `input` is a copy of the upload's bytes; a transformer may
   * stop reading it early. Resolves `undefined` when it cannot make one.
   */
  placeholder?(input: AsyncIterable<Uint8Array>, options: PlaceholderOptions): Promise<string | undefined>;
}
