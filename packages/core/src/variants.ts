import type { RasterImageType } from './sniff.js';
import { EXTENSION_FOR_TYPE } from './sniff.js';
import type { TransformFormat, VariantFit, VariantFormat, VariantPreset } from './transform.js';

/** A preset name: `[a-z0-9-]{1,32}`, so that `<id>.<preset>.<ext>` is always a valid key. */
export const PRESET_NAME_RE: RegExp = /^[a-z0-9-]{1,32}$/;

/** The largest width or height a preset may ask for. */
export const MAX_PRESET_SIZE = 16_384;

const FITS: readonly VariantFit[] = ['inside', 'cover', 'contain', 'fill', 'outside'];
const FORMATS: readonly VariantFormat[] = ['webp', 'avif', 'jpeg', 'png', 'auto'];
/** What `auto` may resolve to, in the order its keys are listed. */
const OUTPUT_FORMATS: readonly TransformFormat[] = ['avif', 'webp', 'jpeg', 'png', 'gif'];

/** A checked preset, with its defaults applied. */
export interface ResolvedPreset {
  readonly name: string;
  readonly width?: number;
  readonly height?: number;
  readonly fit: VariantFit;
  readonly format: VariantFormat;
  readonly quality?: number;
  /** `<preset>.<ext>` for each output format: a variant's key is `<id>.<suffix>`. */
  readonly suffixes: Readonly<Record<TransformFormat, string>>;
}

function checkSize(name: string, field: string, value: unknown): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > MAX_PRESET_SIZE) {
    throw new TypeError(`[imgstash] variants.${name}.${field} must be an integer in 1..${MAX_PRESET_SIZE}`);
  }
}

/**
 * Checks `variants` once, at construction: names, sizes, fits, formats and qualities.
 * Throws `TypeError` on the first bad entry.
 */
export function resolvePresets(variants: Readonly<Record<string, VariantPreset>>): ReadonlyMap<string, ResolvedPreset> {
  if (typeof variants !== 'object' || variants === null) throw new TypeError('[imgstash] variants must be an object');
  const out = new Map<string, ResolvedPreset>();
  for (const [name, preset] of Object.entries(variants)) {
    if (!PRESET_NAME_RE.test(name)) {
      throw new TypeError(`[imgstash] variant name ${JSON.stringify(name)} must match [a-z0-9-]{1,32}`);
    }
    if (typeof preset !== 'object' || preset === null)
      throw new TypeError(`[imgstash] variants.${name} must be an object`);
    checkSize(name, 'width', preset.width);
    checkSize(name, 'height', preset.height);
    const fit = preset.fit ?? 'inside';
    if (!FITS.includes(fit)) throw new TypeError(`[imgstash] variants.${name}.fit must be one of ${FITS.join(', ')}`);
    if (!FORMATS.includes(preset.format)) {
      throw new TypeError(`[imgstash] variants.${name}.format must be one of ${FORMATS.join(', ')}`);
    }
    const { quality } = preset;
    if (quality !== undefined && (!Number.isInteger(quality) || quality < 1 || quality > 100)) {
      throw new TypeError(`[imgstash] variants.${name}.quality must be an integer in 1..100`);
    }
    out.set(name, {
      name,
      suffixes: Object.fromEntries(
        OUTPUT_FORMATS.map((format) => [format, `${name}.${EXTENSION_FOR_TYPE[TYPE_OF_FORMAT[format]]}`]),
      ) as Record<TransformFormat, string>,
      fit,
      format: preset.format,
      ...(preset.width === undefined ? {} : { width: preset.width }),
      ...(preset.height === undefined ? {} : { height: preset.height }),
      ...(quality === undefined ? {} : { quality }),
    });
  }
  return out;
}

const FORMAT_OF_TYPE: Readonly<Record<RasterImageType, TransformFormat>> = {
  'image/jpeg': 'jpeg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'image/avif': 'avif',
};

/** The media type a transform format is served as. */
export const TYPE_OF_FORMAT: Readonly<Record<TransformFormat, RasterImageType>> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
};

/**
 * The media types `accept` names explicitly with a non-zero quality. Wildcards are left
 * out on purpose: `*∕*` does not promise that a client decodes AVIF.
 */
function acceptedTypes(accept: string): Set<string> {
  const types = new Set<string>();
  for (const range of accept.toLowerCase().split(',')) {
    const [type, ...params] = range.split(';').map((s) => s.trim());
    if (!type) continue;
    const q = params.find((p) => p.startsWith('q='));
    if (q !== undefined && !(Number(q.slice(2)) > 0)) continue;
    types.add(type);
  }
  return types;
}

/**
 * The format a preset is made in for this request: its own, or for `auto` AVIF, then WebP
 * when `Accept` names them, else the original's.
 */
export function chooseFormat(format: VariantFormat, accept: string | null, original: RasterImageType): TransformFormat {
  if (format !== 'auto') return format;
  const types = acceptedTypes(accept ?? '');
  if (types.has('image/avif')) return 'avif';
  if (types.has('image/webp')) return 'webp';
  return FORMAT_OF_TYPE[original];
}

/** The key a variant is stored under: `<id>.<preset>.<ext>`, derivable from the id. */
export function variantKey(id: string, preset: string, format: TransformFormat): string {
  return `${id}.${preset}.${EXTENSION_FOR_TYPE[TYPE_OF_FORMAT[format]]}`;
}

/** Every key the variants of `id` can have, for the given presets: what deleting an image must also remove. */
export function variantKeys(id: string, presets: Iterable<ResolvedPreset>): string[] {
  const keys: string[] = [];
  for (const preset of presets) {
    const formats = preset.format === 'auto' ? OUTPUT_FORMATS : [preset.format];
    for (const format of formats) keys.push(`${id}.${preset.suffixes[format]}`);
  }
  return keys;
}

/** True for the types a transformer reads (raster images; never SVG). */
export function isTransformable(type: string): type is RasterImageType {
  return Object.hasOwn(FORMAT_OF_TYPE, type);
}
