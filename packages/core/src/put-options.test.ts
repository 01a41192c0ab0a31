import { describe, expect, it } from 'vitest';
import { assertSize, normalizePutOptions } from './put-options.js';

const invalid = expect.objectContaining({ code: 'INVALID_INPUT', status: 400 });

describe('normalizePutOptions', () => {
  it('passes a minimal valid put through with empty metadata', () => {
    expect(normalizePutOptions('abc', { contentType: 'image/png' })).toEqual({
      contentType: 'image/png',
      metadata: {},
    });
  });

  it('lower-cases the media type', () => {
    expect(normalizePutOptions('abc', { contentType: 'Image/PNG' }).contentType).toBe('image/png');
    expect(normalizePutOptions('abc', { contentType: 'image/svg+xml' }).contentType).toBe('image/svg+xml');
  });

  it('refuses an invalid key before anything else', () => {
    expect(() => normalizePutOptions('../x', { contentType: 'image/png' })).toThrow(invalid);
  });

  it.each([
    '',
    'image',
    'image/',
    '/png',
    'image/png; charset=utf-8',
    'image/png\r\nx-evil: 1',
    'image /png',
    'image/png/x',
    'imágen/png',
  ])('refuses the media type %j', (contentType) => {
    expect(() => normalizePutOptions('abc', { contentType })).toThrow(invalid);
  });

  it('refuses a missing media type', () => {
    expect(() => normalizePutOptions('abc', {} as { contentType: string })).toThrow(invalid);
  });

  it('keeps valid metadata as a fresh object', () => {
    const metadata = { owner: 'user-42', 'x-1': 'printable ~!@#$%^&*()' };
    const out = normalizePutOptions('abc', { contentType: 'image/png', metadata });
    expect(out.metadata).toEqual(metadata);
    expect(out.metadata).not.toBe(metadata);
  });

  it.each([
    'Owner',
    'with_underscore',
    'with space',
    'k'.repeat(65),
    '',
    'imgstash-filename',
    'ümlaut',
  ])('refuses the metadata key %j', (key) => {
    expect(() => normalizePutOptions('abc', { contentType: 'image/png', metadata: { [key]: 'v' } })).toThrow(invalid);
  });

  it('accepts a metadata key of 64 characters', () => {
    const key = 'k'.repeat(64);
    expect(normalizePutOptions('abc', { contentType: 'image/png', metadata: { [key]: 'v' } }).metadata[key]).toBe('v');
  });

  it.each([
    'line\nbreak',
    'carriage\rreturn',
    'nul\0',
    'café',
    '😀',
    'tab\t',
  ])('refuses the metadata value %j', (value) => {
    expect(() => normalizePutOptions('abc', { contentType: 'image/png', metadata: { note: value } })).toThrow(invalid);
  });

  it('refuses non-string metadata values', () => {
    const metadata = { count: 3 } as unknown as Record<string, string>;
    expect(() => normalizePutOptions('abc', { contentType: 'image/png', metadata })).toThrow(invalid);
  });

  it('caps metadata at 1024 bytes of keys and values', () => {
    const fits = { a: 'x'.repeat(1023) };
    expect(normalizePutOptions('abc', { contentType: 'image/png', metadata: fits }).metadata).toEqual(fits);
    expect(() => normalizePutOptions('abc', { contentType: 'image/png', metadata: { a: 'x'.repeat(1024) } })).toThrow(
      invalid,
    );
    const many = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`key-${i}`, 'v'.repeat(50)]));
    expect(() => normalizePutOptions('abc', { contentType: 'image/png', metadata: many })).toThrow(invalid);
  });

  it('keeps a non-negative integer size, and refuses any other', () => {
    expect(normalizePutOptions('abc', { contentType: 'image/png', size: 0 }).size).toBe(0);
    expect(normalizePutOptions('abc', { contentType: 'image/png', size: 1234 }).size).toBe(1234);
    for (const size of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      expect(() => normalizePutOptions('abc', { contentType: 'image/png', size })).toThrow(invalid);
    }
  });

  it('sanitizes the filename, and drops it when nothing is left', () => {
    expect(normalizePutOptions('abc', { contentType: 'image/png', filename: '../../a\r\n.png' }).filename).toBe(
      'a.png',
    );
    expect(normalizePutOptions('abc', { contentType: 'image/png', filename: '😀 北京.png' }).filename).toBe(
      '😀 北京.png',
    );
    expect('filename' in normalizePutOptions('abc', { contentType: 'image/png', filename: '../' })).toBe(false);
  });

  it('keeps a printable cacheControl and refuses one that could split a header', () => {
    const cacheControl = 'public, max-age=31536000, immutable';
    expect(normalizePutOptions('abc', { contentType: 'image/png', cacheControl }).cacheControl).toBe(cacheControl);
    expect(() => normalizePutOptions('abc', { contentType: 'image/png', cacheControl: 'public\r\nx: y' })).toThrow(
      invalid,
    );
  });

  it('passes the abort signal through', () => {
    const signal = new AbortController().signal;
    expect(normalizePutOptions('abc', { contentType: 'image/png', signal }).signal).toBe(signal);
  });

  it('never echoes the offending values in its public message', () => {
    try {
      normalizePutOptions('abc', { contentType: 'image/png', metadata: { 'Secret-Key': 'AKIA' } });
      expect.unreachable();
    } catch (error) {
      expect((error as { publicMessage: string }).publicMessage).toBe('The request is invalid.');
    }
  });
});

describe('assertSize', () => {
  it('passes when no size was declared or the sizes agree', () => {
    expect(() => assertSize(undefined, 10)).not.toThrow();
    expect(() => assertSize(10, 10)).not.toThrow();
    expect(() => assertSize(0, 0)).not.toThrow();
  });

  it('throws INVALID_INPUT when the body is shorter or longer than declared', () => {
    expect(() => assertSize(10, 9)).toThrow(invalid);
    expect(() => assertSize(10, 11)).toThrow(invalid);
  });
});
