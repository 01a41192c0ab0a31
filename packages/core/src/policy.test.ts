import { describe, expect, it } from 'vitest';
import { DEFAULT_ALLOWED_TYPES, DEFAULT_MAX_BYTES, DEFAULT_POLICY, isAllowedType, resolvePolicy } from './policy.js';
import { sniffType } from './sniff.js';
import { FIXTURES } from './testing/fixtures.js';

describe('resolvePolicy', () => {
  it('defaults to 10 MiB and the five raster types, without SVG', () => {
    const policy = resolvePolicy();
    expect(DEFAULT_MAX_BYTES).toBe(10 * 1024 * 1024);
    expect(policy.maxBytes).toBe(10 * 1024 * 1024);
    expect([...policy.allowedTypes]).toEqual(['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/avif']);
    expect(policy.allowedTypes).not.toContain('image/svg+xml');
    expect(resolvePolicy({})).toEqual(DEFAULT_POLICY);
  });

  it('keeps the defaults frozen, so one caller cannot change another’s policy', () => {
    expect(Object.isFrozen(DEFAULT_POLICY)).toBe(true);
    expect(Object.isFrozen(DEFAULT_ALLOWED_TYPES)).toBe(true);
    expect(() => (DEFAULT_ALLOWED_TYPES as string[]).push('text/html')).toThrow(TypeError);
  });

  it('merges options over the defaults', () => {
    const image = { stripMetadata: true, maxPixels: 100_000_000, maxFrames: 1000 };
    expect(resolvePolicy({ maxBytes: 1024 })).toEqual({
      maxBytes: 1024,
      allowedTypes: DEFAULT_ALLOWED_TYPES,
      ...image,
    });
    const svg = resolvePolicy({ allowedTypes: ['image/png', 'image/svg+xml'] });
    expect(svg).toEqual({ maxBytes: DEFAULT_MAX_BYTES, allowedTypes: ['image/png', 'image/svg+xml'], ...image });
    expect(resolvePolicy({ stripMetadata: false, maxPixels: 4, maxFrames: 1 })).toMatchObject({
      stripMetadata: false,
      maxPixels: 4,
      maxFrames: 1,
    });
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53])('refuses maxBytes of %s', (maxBytes) => {
    expect(() => resolvePolicy({ maxBytes })).toThrow(RangeError);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses maxPixels and maxFrames of %s', (value) => {
    expect(() => resolvePolicy({ maxPixels: value })).toThrow(/maxPixels must be a positive integer/);
    expect(() => resolvePolicy({ maxFrames: value })).toThrow(/maxFrames must be a positive integer/);
  });

  it('refuses a stripMetadata that is not a boolean', () => {
    expect(() => resolvePolicy({ stripMetadata: 'no' as unknown as boolean })).toThrow(RangeError);
  });

  it('accepts a maxBytes of one byte', () => {
    expect(resolvePolicy({ maxBytes: 1 }).maxBytes).toBe(1);
  });

  it.each([
    'text/html',
    'image/tiff',
    'image/PNG',
    'application/octet-stream',
    '',
  ])('refuses %j as an allowed type', (type) => {
    expect(() => resolvePolicy({ allowedTypes: [type as 'image/png'] })).toThrow(RangeError);
  });
});

describe('isAllowedType', () => {
  it('allows each fixture’s sniffed type under the default policy', () => {
    for (const fixture of Object.values(FIXTURES))
      expect(isAllowedType(DEFAULT_POLICY, sniffType(fixture.bytes))).toBe(true);
  });

  it('refuses SVG unless listed, and HTML and unrecognised content always', () => {
    const withSvg = resolvePolicy({ allowedTypes: [...DEFAULT_ALLOWED_TYPES, 'image/svg+xml'] });
    expect(isAllowedType(DEFAULT_POLICY, 'image/svg+xml')).toBe(false);
    expect(isAllowedType(withSvg, 'image/svg+xml')).toBe(true);
    expect(isAllowedType(withSvg, 'text/html')).toBe(false);
    expect(isAllowedType(withSvg, undefined)).toBe(false);
  });

  it('refuses a raster type left out of the list', () => {
    const pngOnly = resolvePolicy({ allowedTypes: ['image/png'] });
    expect(isAllowedType(pngOnly, 'image/png')).toBe(true);
    expect(isAllowedType(pngOnly, 'image/jpeg')).toBe(false);
  });
});
