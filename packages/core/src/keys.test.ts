import { describe, expect, it } from 'vitest';
import {
  assertValidKey,
  createId,
  createIdGenerator,
  DEFAULT_ID_LENGTH,
  ID_ALPHABET,
  isValidId,
  isValidKey,
  MAX_KEY_LENGTH,
} from './keys.js';
import { INVALID_KEYS } from './testing/contract.js';

const ALPHABET = new Set(ID_ALPHABET);

describe('ids', () => {
  it('uses the 64 URL-safe characters of nanoid, each once', () => {
    expect(ID_ALPHABET).toHaveLength(64);
    expect(ALPHABET.size).toBe(64);
    expect(ID_ALPHABET).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('makes ids of 21 characters of the alphabet (126 bits)', () => {
    expect(DEFAULT_ID_LENGTH).toBe(21);
    for (let i = 0; i < 100; i++) {
      const id = createId();
      expect(id).toHaveLength(21);
      for (const c of id) expect(ALPHABET.has(c)).toBe(true);
    }
  });

  it('never repeats an id over 10,000 draws', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => createId()));
    expect(ids.size).toBe(10_000);
  });

  it('uses every character of the alphabet, so no bits are wasted', () => {
    const seen = new Set(Array.from({ length: 2_000 }, () => createId()).join(''));
    expect(seen.size).toBe(64);
  });

  it('makes generators of 16 to 128 characters, and refuses shorter, longer or fractional lengths', () => {
    expect(createIdGenerator(16)()).toHaveLength(16);
    expect(createIdGenerator(MAX_KEY_LENGTH)()).toHaveLength(128);
    expect(createIdGenerator(32)()).toHaveLength(32);
    for (const bad of [15, 0, -1, 129, 20.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => createIdGenerator(bad)).toThrow(RangeError);
    }
  });
});

describe('isValidId', () => {
  it('accepts ids it made, of the default or a given length', () => {
    expect(isValidId(createId())).toBe(true);
    expect(isValidId(createIdGenerator(32)(), 32)).toBe(true);
  });

  it('refuses the wrong length, characters outside the alphabet and non-strings', () => {
    const id = createId();
    expect(isValidId(id.slice(1))).toBe(false);
    expect(isValidId(`${id}a`)).toBe(false);
    expect(isValidId(id, 22)).toBe(false);
    expect(isValidId(`${id.slice(1)}.`)).toBe(false);
    expect(isValidId(`${id.slice(1)}/`)).toBe(false);
    expect(isValidId(`${id.slice(1)}é`)).toBe(false);
    expect(isValidId(`${id.slice(2)}%2`)).toBe(false);
    expect(isValidId(undefined)).toBe(false);
    expect(isValidId(123456789012345)).toBe(false);
    expect(isValidId({ length: 21 })).toBe(false);
  });
});

describe('assertValidKey', () => {
  it.each([
    ['parent directory', '..'],
    ['a path climbing out', '../../etc/passwd'],
    ['dots inside', 'a..b'],
    ['a slash', 'a/b'],
    ['a leading slash', '/abs'],
    ['a backslash', 'a\\b'],
    ['a Windows path', 'C:\\x'],
    ['NUL', 'a\u0000b'],
    ['encoded dots', '%2e%2e'],
    ['an encoded slash', 'a%2fb'],
    ['an encoded slash, upper case', 'a%2Fb'],
    ['a leading dot', '.hidden'],
    ['a lone dot', '.'],
    ['a space', 'a b'],
    ['a tab', 'a\tb'],
    ['a newline', 'a\nb'],
    ['a trailing space', 'abc '],
    ['non-ASCII', 'café'],
    ['a fullwidth slash', 'a\uff0fb'],
    ['an emoji', 'a😀'],
    ['129 characters', 'x'.repeat(129)],
    ['the empty string', ''],
  ])('refuses %s with INVALID_INPUT', (_what, key) => {
    expect(() => assertValidKey(key)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', status: 400 }));
    expect(isValidKey(key)).toBe(false);
  });

  it('refuses every key of the contract suite', () => {
    for (const key of INVALID_KEYS)
      expect(() => assertValidKey(key)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });

  it.each([undefined, null, 42, {}, ['abc'], new String('abc')])('refuses the non-string %s', (key) => {
    expect(() => assertValidKey(key)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });

  it('accepts ids, ids with an extension, and keys of exactly 128 characters', () => {
    const id = createId();
    for (const key of [id, `${id}.png`, `${id}.tar.gz`, 'a', '-_', 'x'.repeat(128)]) {
      expect(() => assertValidKey(key)).not.toThrow();
      expect(isValidKey(key)).toBe(true);
    }
  });

  it('tells the client only that the key is invalid, without echoing it', () => {
    try {
      assertValidKey('../secret');
      expect.unreachable();
    } catch (error) {
      expect((error as { publicMessage: string }).publicMessage).not.toContain('secret');
    }
  });
});
