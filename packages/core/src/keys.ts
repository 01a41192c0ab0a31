import { customAlphabet } from 'nanoid';
import { ImageStoreError } from './errors.js';

/** The id alphabet: nanoid's URL-safe 64 characters. */
export const ID_ALPHABET = 'useandom-26T198340PX75pxJACKVERYMINDBUSHWOLF_GQZbfghjklqvwyzrict';

/** Default id length: 21 characters of 6 bits each, 126 bits of randomness. */
export const DEFAULT_ID_LENGTH = 21;

/** The longest key any store accepts. */
export const MAX_KEY_LENGTH = 128;

const ID_RE = /^[A-Za-z0-9_-]+$/;
// A key is ids plus dots for an optional extension; it may not start with a dot
// and may not contain "..". No slash, backslash, percent, NUL or whitespace can pass.
const KEY_RE = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/;

/**
 * Creates a generator of URL-safe, unguessable ids.
 *
 * @param length - Characters per id; at least 16 (96 bits). Default 21 (126 bits).
 * @example
 * ```ts
 * const newId = createIdGenerator();
 * newId(); // "V1StGXR8_Z5jdHi6B-myT"
 * ```
 */
export function createIdGenerator(length: number = DEFAULT_ID_LENGTH): () => string {
  if (!Number.isInteger(length) || length < 16 || length > MAX_KEY_LENGTH) {
    throw new RangeError(`[imgstash] id length must be an integer in 16..${MAX_KEY_LENGTH}`);
  }
  return customAlphabet(ID_ALPHABET, length);
}

/** A new id of {@link DEFAULT_ID_LENGTH} characters. */
export const createId: () => string = createIdGenerator();

/**
 * True when `value` has the exact shape of an id: `length` characters of the id alphabet.
 * Cheap enough to run before any storage call.
 */
export function isValidId(value: unknown, length: number = DEFAULT_ID_LENGTH): value is string {
  return typeof value === 'string' && value.length === length && ID_RE.test(value);
}

/** True when `value` is a key every store accepts. See {@link assertValidKey}. */
export function isValidKey(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length > 0 &&
    value.length <= MAX_KEY_LENGTH &&
    KEY_RE.test(value) &&
    !value.includes('..')
  );
}

/** Throws `INVALID_INPUT` unless `prefix` is `''` or a valid key: what {@link ImageStore.list} accepts. */
export function assertValidPrefix(prefix: unknown): asserts prefix is string {
  if (prefix !== '') assertValidKey(prefix);
}

/**
 * Throws `INVALID_INPUT` unless `key` is 1..128 characters of `[A-Za-z0-9_.-]`, does
 * not start with a dot and contains no `..`. Slashes, backslashes, NUL, percent-encoded
 * forms and anything else that could escape a store's namespace are refused.
 */
export function assertValidKey(key: unknown): asserts key is string {
  if (!isValidKey(key)) {
    throw new ImageStoreError('INVALID_INPUT', '[imgstash] invalid key', {
      publicMessage: 'The key is invalid.',
    });
  }
}
