// Error mapping, and the failures a real server cannot be made to produce on demand
// (a timeout, a refused connection, a part failing, a short multipart object), with the
// SDK client mocked by aws-sdk-client-mock. Mocking replaces `client.send`, so the SDK's
// own retries do not run here: retrying is exercised against s3rver in s3-store.test.ts.
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { ImageStoreError, isImageStoreError } from '@imgstash/core';
import { FIXTURES } from '@imgstash/core/testing';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { createS3Client } from './s3-client.js';
import { CREDENTIALS_MESSAGE, toStoreError } from './s3-errors.js';
import { createS3Store } from './s3-store.js';
import { caught } from './testing/caught.js';

const MiB = 1024 * 1024;
const SDK_TEXT = 'bucket secret-bucket at https://internal.example.com is unhappy';

function sdkError(name: string, status: number, fault: 'client' | 'server' = status >= 500 ? 'server' : 'client') {
  return new S3ServiceException({ name, $fault: fault, $metadata: { httpStatusCode: status }, message: SDK_TEXT });
}

function setup() {
  const client = createS3Client({
    endpoint: 'http://127.0.0.1:9',
    region: 'auto',
    credentials: { accessKeyId: 'id', secretAccessKey: 'secret' },
    forcePathStyle: true,
  });
  const mock = mockClient(client);
  const store = createS3Store({ bucket: 'secret-bucket', client });
  return { client, mock, store };
}

/** A lazily generated body of `total` bytes that counts what was read from it. */
function countedBody(total: number) {
  const counter = { read: 0 };
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      if (counter.read >= total) return c.close();
      counter.read += MiB;
      c.enqueue(new Uint8Array(MiB));
    },
  });
  return { body, counter };
}

describe('toStoreError', () => {
  const timeout = Object.assign(new Error('socket hang'), { name: 'TimeoutError' });
  const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' });
  const eyeballs = new AggregateError([refused, refused], 'all addresses failed');
  it.each([
    ['503 SlowDown', sdkError('SlowDown', 503), 'STORAGE_UNAVAILABLE'],
    ['503 without a name', sdkError('Unknown', 503), 'STORAGE_UNAVAILABLE'],
    ['429', sdkError('TooManyRequests', 429), 'STORAGE_UNAVAILABLE'],
    ['a TimeoutError', timeout, 'STORAGE_UNAVAILABLE'],
    ['ECONNREFUSED', refused, 'STORAGE_UNAVAILABLE'],
    ['ECONNREFUSED inside an AggregateError', eyeballs, 'STORAGE_UNAVAILABLE'],
    ['500 InternalError', sdkError('InternalError', 500), 'STORAGE_ERROR'],
    ['403 AccessDenied', sdkError('AccessDenied', 403), 'STORAGE_ERROR'],
    ['404 NoSuchBucket', sdkError('NoSuchBucket', 404), 'STORAGE_ERROR'],
    ['301 PermanentRedirect', sdkError('PermanentRedirect', 301), 'STORAGE_ERROR'],
    ['400 InvalidArgument', sdkError('InvalidArgument', 400), 'STORAGE_ERROR'],
    ['a plain Error', new Error(SDK_TEXT), 'STORAGE_ERROR'],
  ])('maps %s to %s, keeping the SDK error only as cause', (_what, error, code) => {
    const mapped = toStoreError(error, 'put') as ImageStoreError;
    expect(isImageStoreError(mapped)).toBe(true);
    expect(mapped.code).toBe(code);
    expect(mapped.cause).toBe(error);
    expect(mapped.message).toMatch(/^\[imgstash\] \[s3\] /);
    expect(mapped.message).not.toContain('secret-bucket');
    expect(mapped.publicMessage).not.toMatch(/secret-bucket|internal\.example|unhappy/);
  });

  it('names rejected credentials clearly', () => {
    for (const name of ['AccessDenied', 'SignatureDoesNotMatch', 'InvalidAccessKeyId']) {
      expect((toStoreError(sdkError(name, 403), 'get') as Error).message).toContain(CREDENTIALS_MESSAGE);
    }
  });

  it('returns an AbortError and an ImageStoreError unchanged', () => {
    const abort = new DOMException('The operation was aborted.', 'AbortError');
    const own = new ImageStoreError('PAYLOAD_TOO_LARGE', '[imgstash] too large');
    expect(toStoreError(abort, 'put')).toBe(abort);
    expect(toStoreError(own, 'put')).toBe(own);
  });
});

describe('createS3Store with a mocked client', () => {
  it('reports throttling as STORAGE_UNAVAILABLE with a generic public message', async () => {
    const { mock, store } = setup();
    mock.on(PutObjectCommand).rejects(sdkError('SlowDown', 503));
    const error = (await caught(store.put('k', FIXTURES.png.bytes, { contentType: 'image/png' }))) as ImageStoreError;
    expect(error.code).toBe('STORAGE_UNAVAILABLE');
    expect(error.publicMessage).toBe('The storage backend is unavailable. Try again later.');
  });

  it('reports a timeout and a refused connection as STORAGE_UNAVAILABLE', async () => {
    const { mock, store } = setup();
    mock.on(HeadObjectCommand).rejects(Object.assign(new Error('timed out'), { name: 'TimeoutError' }));
    mock.on(GetObjectCommand).rejects(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    expect((await caught(store.stat('k'))) as ImageStoreError).toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    expect((await caught(store.get('k'))) as ImageStoreError).toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
  });

  it('treats 404s as absent objects, but a missing bucket as an error', async () => {
    const { mock, store } = setup();
    mock.on(HeadObjectCommand).rejects(sdkError('NotFound', 404));
    mock.on(GetObjectCommand).rejects(sdkError('NoSuchKey', 404));
    mock.on(DeleteObjectCommand).rejects(sdkError('NoSuchKey', 404));
    expect(await store.exists('k')).toBe(false);
    expect(await store.stat('k')).toBeUndefined();
    expect(await store.get('k')).toBeUndefined();
    await store.delete('k');
    mock.on(GetObjectCommand).rejects(sdkError('NoSuchBucket', 404));
    expect((await caught(store.get('k'))) as ImageStoreError).toMatchObject({ code: 'STORAGE_ERROR' });
  });

  it('lets an AbortError through unchanged', async () => {
    const { mock, store } = setup();
    const abort = new DOMException('The operation was aborted.', 'AbortError');
    mock.on(GetObjectCommand).rejects(abort);
    expect(await caught(store.get('k'))).toBe(abort);
  });

  it('aborts the multipart upload when a part fails, and stops reading the body', async () => {
    const { mock, store } = setup();
    mock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u1' });
    mock.on(UploadPartCommand).rejects(sdkError('InternalError', 500));
    mock.on(AbortMultipartUploadCommand).resolves({});
    const { body, counter } = countedBody(200 * MiB);
    const error = (await caught(store.put('k', body, { contentType: 'image/png' }))) as ImageStoreError;
    expect(error.code).toBe('STORAGE_ERROR');
    expect(mock.commandCalls(AbortMultipartUploadCommand)).toHaveLength(1);
    expect(mock.commandCalls(AbortMultipartUploadCommand)[0]?.args[0].input).toMatchObject({ UploadId: 'u1' });
    expect(mock.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
    // Bounded by the head, the parts in flight and one read-ahead, far below the 200 MiB offered.
    expect(counter.read).toBeLessThanOrEqual(20 * MiB);
  });

  it('keeps the body error when aborting the multipart upload fails too', async () => {
    const { mock, store } = setup();
    mock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u2' });
    mock.on(UploadPartCommand).resolves({ ETag: '"p"' });
    mock.on(AbortMultipartUploadCommand).rejects(sdkError('MethodNotAllowed', 405));
    const late = new ImageStoreError('PAYLOAD_TOO_LARGE', '[imgstash] file exceeds 8388608 bytes');
    async function* tooLarge() {
      for (let i = 0; i < 9; i++) yield new Uint8Array(MiB);
      throw late;
    }
    expect(await caught(store.put('k', tooLarge(), { contentType: 'image/png' }))).toBe(late);
    expect(mock.commandCalls(AbortMultipartUploadCommand)).toHaveLength(1);
    expect(mock.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
  });

  it('deletes a multipart object whose stored size differs from the bytes sent', async () => {
    const { mock, store } = setup();
    mock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u3' });
    mock.on(UploadPartCommand).resolves({ ETag: '"p"' });
    mock.on(CompleteMultipartUploadCommand).resolves({ ETag: '"c-2"' });
    mock.on(HeadObjectCommand).resolves({ ContentLength: 7 * MiB - 1, ETag: '"c-2"' });
    mock.on(DeleteObjectCommand).resolves({});
    const { body } = countedBody(7 * MiB);
    const error = (await caught(store.put('k', body, { contentType: 'image/png' }))) as ImageStoreError;
    expect(error.code).toBe('STORAGE_ERROR');
    expect(error.message).toContain(`not the ${7 * MiB} sent`);
    expect(mock.commandCalls(DeleteObjectCommand)[0]?.args[0].input).toMatchObject({ Key: 'k' });
  });
});
