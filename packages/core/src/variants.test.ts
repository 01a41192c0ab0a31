import { describe, expect, it } from 'vitest';
import { createImageHandlers } from './handlers/handlers.js';
import type { ImageTransformer, VariantPreset } from './transform.js';
import type { ImageStore } from './types.js';
import { chooseFormat, resolvePresets, variantKey, variantKeys } from './variants.js';

const transformer: ImageTransformer = {
  transform: () => Promise.reject(new Error('not called')),
};
// Construction never touches the store.
const store = {} as ImageStore;

describe('resolvePresets', () => {
  it('applies the defaults (fit inside) and keeps what was given', () => {
    const presets = resolvePresets({
      thumb: { width: 320, height: 320, format: 'webp' },
      large: { width: 1600, format: 'auto', quality: 70, fit: 'cover' },
    });
    expect(presets.get('thumb')).toMatchObject({
      name: 'thumb',
      width: 320,
      height: 320,
      fit: 'inside',
      format: 'webp',
    });
    expect(presets.get('thumb')).not.toHaveProperty('quality');
    expect(presets.get('large')).toMatchObject({
      name: 'large',
      width: 1600,
      fit: 'cover',
      format: 'auto',
      quality: 70,
    });
    expect(presets.get('large')?.suffixes).toEqual({
      avif: 'large.avif',
      webp: 'large.webp',
      jpeg: 'large.jpg',
      png: 'large.png',
      gif: 'large.gif',
    });
  });

  it.each<[string, Record<string, VariantPreset>]>([
    ['an upper-case name', { Thumb: { width: 1, format: 'webp' } }],
    ['a name with a dot', { 'a.b': { width: 1, format: 'webp' } }],
    ['a name with a slash', { 'a/b': { width: 1, format: 'webp' } }],
    ['an empty name', { '': { width: 1, format: 'webp' } }],
    ['a 33-character name', { ['a'.repeat(33)]: { width: 1, format: 'webp' } }],
    ['a zero width', { t: { width: 0, format: 'webp' } }],
    ['a fractional height', { t: { height: 10.5, format: 'webp' } }],
    ['a width over 16384', { t: { width: 16_385, format: 'webp' } }],
    ['a negative width', { t: { width: -5, format: 'webp' } }],
    ['an unknown fit', { t: { width: 10, fit: 'stretch' as never, format: 'webp' } }],
    ['an unknown format', { t: { width: 10, format: 'tiff' as never } }],
    ['a quality of 0', { t: { width: 10, format: 'jpeg', quality: 0 } }],
    ['a quality of 101', { t: { width: 10, format: 'jpeg', quality: 101 } }],
  ])('refuses %s with a TypeError', (_what, variants) => {
    expect(() => resolvePresets(variants)).toThrow(TypeError);
    expect(() => createImageHandlers({ store, transformer, variants })).toThrow(TypeError);
  });
});

describe('createImageHandlers with variants', () => {
  it('refuses variants or a placeholder without a transformer, with a TypeError', () => {
    expect(() => createImageHandlers({ store, variants: { thumb: { width: 320, format: 'webp' } } })).toThrow(
      /variants need a transformer/,
    );
    expect(() => createImageHandlers({ store, placeholder: 'thumbhash' })).toThrow(TypeError);
  });

  it('refuses a placeholder the transformer cannot make, and bad queue bounds, with a TypeError', () => {
    expect(() => createImageHandlers({ store, transformer, placeholder: 'thumbhash' })).toThrow(/placeholder function/);
    expect(() => createImageHandlers({ store, transformer, placeholder: 'blurhash' as never, variants: {} })).toThrow(
      TypeError,
    );
    expect(() => createImageHandlers({ store, transformer, transformQueue: { concurrency: 0 } })).toThrow(TypeError);
    expect(() => createImageHandlers({ store, transformer, transformQueue: { maxQueued: -1 } })).toThrow(TypeError);
    expect(() => createImageHandlers({ store, transformer, deadlines: { transform: 0 } })).toThrow(TypeError);
  });

  it('routes /i/:id/:preset to the variant route, and /i/:id to the redirect', () => {
    const handlers = createImageHandlers({ store, transformer, variants: { thumb: { width: 1, format: 'png' } } });
    expect(handlers.match('/i/abc/thumb')).toEqual({ route: 'variant', params: { id: 'abc', preset: 'thumb' } });
    expect(handlers.match('/i/abc')).toEqual({ route: 'redirect', params: { id: 'abc' } });
  });
});

describe('chooseFormat', () => {
  const BROWSER = 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8';
  it.each<[string | null, string, string]>([
    [BROWSER, 'image/jpeg', 'avif'],
    ['image/webp,*/*', 'image/png', 'webp'],
    ['image/avif;q=0, image/webp', 'image/jpeg', 'webp'],
    ['IMAGE/AVIF', 'image/jpeg', 'avif'],
    ['*/*', 'image/png', 'png'],
    ['image/*', 'image/gif', 'gif'],
    [null, 'image/jpeg', 'jpeg'],
    ['image/webp;q=0.0', 'image/avif', 'avif'],
  ])('for auto, Accept %j and a %s original give %s', (accept, original, format) => {
    expect(chooseFormat('auto', accept, original as never)).toBe(format);
  });

  it('keeps a fixed format whatever Accept says', () => {
    expect(chooseFormat('webp', 'image/avif', 'image/jpeg')).toBe('webp');
  });
});

describe('variant keys', () => {
  it('derive from the id as <id>.<preset>.<ext>, one per format of an auto preset', () => {
    expect(variantKey('abc', 'thumb', 'jpeg')).toBe('abc.thumb.jpg');
    const presets = resolvePresets({ thumb: { width: 1, format: 'webp' }, large: { width: 2, format: 'auto' } });
    expect(variantKeys('abc', presets.values())).toEqual([
      'abc.thumb.webp',
      'abc.large.avif',
      'abc.large.webp',
      'abc.large.jpg',
      'abc.large.png',
      'abc.large.gif',
    ]);
  });
});
