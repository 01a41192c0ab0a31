import { describe, expect, it } from 'vitest';
import {
  IMAGE_STORE_ERROR_CODES,
  ImageStoreError,
  type ImageStoreErrorCode,
  isAbortError,
  isImageStoreError,
  statusForCode,
} from './errors.js';

const EXPECTED_STATUS: Record<ImageStoreErrorCode, number> = {
  INVALID_INPUT: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  STORAGE_ERROR: 502,
  STORAGE_UNAVAILABLE: 503,
  UNPROCESSABLE_IMAGE: 422,
  OVERLOADED: 503,
};

describe('ImageStoreError', () => {
  it('lists exactly the ten codes of the contract', () => {
    expect([...IMAGE_STORE_ERROR_CODES].sort()).toEqual(Object.keys(EXPECTED_STATUS).sort());
  });

  it.each(Object.entries(EXPECTED_STATUS))('maps %s to HTTP %i, on the error and in statusForCode', (code, status) => {
    const error = new ImageStoreError(code as ImageStoreErrorCode, 'internal detail');
    expect(error.status).toBe(status);
    expect(statusForCode(code as ImageStoreErrorCode)).toBe(status);
    expect(error.code).toBe(code);
  });

  it('is an Error named ImageStoreError that keeps its internal message and stack', () => {
    const error = new ImageStoreError('NOT_FOUND', '[imgstash] [fs] no object at abc');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ImageStoreError');
    expect(error.message).toBe('[imgstash] [fs] no object at abc');
    expect(error.stack).toContain('ImageStoreError');
  });

  it('keeps the cause it is given, and has no cause when none is given', () => {
    const cause = Object.assign(new Error('EACCES: permission denied, open /srv/bucket/x'), { code: 'EACCES' });
    expect(new ImageStoreError('STORAGE_ERROR', 'write failed', { cause }).cause).toBe(cause);
    expect('cause' in new ImageStoreError('STORAGE_ERROR', 'write failed')).toBe(false);
  });

  it.each(IMAGE_STORE_ERROR_CODES)('gives %s a default public message that never repeats the internal one', (code) => {
    const secret = 'bucket=prod-images endpoint=https://s3.internal.example:9000 key=AKIA123';
    const error = new ImageStoreError(code, secret, { cause: new Error(secret) });
    expect(error.publicMessage.length).toBeGreaterThan(0);
    expect(error.publicMessage).not.toContain('prod-images');
    expect(error.publicMessage).not.toContain('s3.internal');
    expect(error.publicMessage).not.toContain('[imgstash]');
  });

  it('uses a public message when one is given', () => {
    const error = new ImageStoreError('PAYLOAD_TOO_LARGE', 'internal', { publicMessage: 'Too big.' });
    expect(error.publicMessage).toBe('Too big.');
  });
});

describe('isImageStoreError', () => {
  it('is true for an ImageStoreError of every code', () => {
    for (const code of IMAGE_STORE_ERROR_CODES) expect(isImageStoreError(new ImageStoreError(code, 'x'))).toBe(true);
  });

  it('is true for a structurally equal error thrown by another copy of core', () => {
    // A second installed version of @imgstash/core has its own class; the guard checks the shape.
    class ImageStoreError extends Error {
      readonly code = 'STORAGE_UNAVAILABLE';
      readonly status = 503;
      readonly publicMessage = 'Try again later.';
      override name = 'ImageStoreError';
    }
    const foreign = new ImageStoreError('from another copy');
    expect(isImageStoreError(foreign)).toBe(true);
    expect(isImageStoreError({ name: 'ImageStoreError', code: 'NOT_FOUND', message: 'x' })).toBe(true);
  });

  it('is false for plain errors, look-alikes with unknown codes, and non-objects', () => {
    expect(isImageStoreError(new Error('boom'))).toBe(false);
    expect(isImageStoreError(Object.assign(new Error('x'), { code: 'NOT_FOUND' }))).toBe(false);
    expect(isImageStoreError({ name: 'ImageStoreError', code: 'TEAPOT' })).toBe(false);
    expect(isImageStoreError({ name: 'ImageStoreError', code: 'toString' })).toBe(false);
    expect(isImageStoreError({ name: 'ImageStoreError', code: '__proto__' })).toBe(false);
    expect(isImageStoreError({ name: 'ImageStoreError', code: 404 })).toBe(false);
    expect(isImageStoreError({ name: 'ImageStoreError' })).toBe(false);
    expect(isImageStoreError(null)).toBe(false);
    expect(isImageStoreError(undefined)).toBe(false);
    expect(isImageStoreError('ImageStoreError')).toBe(false);
  });
});

describe('isAbortError', () => {
  it('is true for an aborted signal’s reason and an AbortError DOMException', () => {
    const controller = new AbortController();
    controller.abort();
    expect(isAbortError(controller.signal.reason)).toBe(true);
    expect(isAbortError(new DOMException('stop', 'AbortError'))).toBe(true);
  });

  it('is false for a timeout, a plain error and non-objects', () => {
    expect(isAbortError(new DOMException('slow', 'TimeoutError'))).toBe(false);
    expect(isAbortError(new Error('AbortError'))).toBe(false);
    expect(isAbortError('AbortError')).toBe(false);
    expect(isAbortError(null)).toBe(false);
  });
});
