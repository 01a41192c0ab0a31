import { createHash } from 'node:crypto';
import {
  DeleteObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type PutObjectCommandInput,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import {
  abortableChunks,
  assertSize,
  type ImageBody,
  ImageStoreError,
  type NormalizedPutOptions,
  throwIfAborted,
} from '@imgstash/core';
import { toStoreError } from './s3-errors.js';

/** Where and how one put goes. */
export interface PutTarget {
  client: S3Client;
  /** The `PutObject` parameters shared by both paths, without `Body`. */
  params: Omit<PutObjectCommandInput, 'Body'>;
  partSize: number;
  queueSize: number;
}

/** What a put stored. */
export interface PutResult {
  size: number;
  etag?: string;
}

/** A growable byte buffer, so a small body is held once, contiguous, and not as a list of chunks. */
class ByteBuffer {
  private buffer: Uint8Array;
  length = 0;

  /** Grows by doubling, but not past `limit` unless a single chunk needs it. */
  constructor(
    initial: number,
    private readonly limit: number,
  ) {
    this.buffer = new Uint8Array(initial);
  }

  push(chunk: Uint8Array): void {
    const needed = this.length + chunk.length;
    if (needed > this.buffer.length) {
      const grown = new Uint8Array(Math.max(needed, Math.min(this.buffer.length * 2, this.limit)));
      grown.set(this.bytes());
      this.buffer = grown;
    }
    // A copy: the producer may reuse its chunk once we ask for the next one.
    this.buffer.set(chunk, this.length);
    this.length = needed;
  }

  bytes(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }
}

const noop = () => {};

/**
 * Streams `body` into the bucket. Up to one part is buffered: a body that ends within it
 * goes up with one PutObject (with Content-MD5); a longer one goes up as a multipart upload
 * with at most `queueSize` parts in flight. On abort or failure the multipart upload is
 * aborted and nothing is stored; an error thrown by the body (an `ImageStoreError` from
 * core's upload checks, an `AbortError`) propagates unchanged.
 */
export async function streamPut(target: PutTarget, body: ImageBody, opts: NormalizedPutOptions): Promise<PutResult> {
  const { partSize } = target;
  if (body instanceof Uint8Array && body.length <= partSize) {
    // Already in memory and contiguous: no copy needed.
    assertSize(opts.size, body.length);
    return putBuffered(target, body, createHash('md5').update(body).digest('base64'));
  }
  const source = abortableChunks(body, opts.signal)[Symbol.asyncIterator]();
  const head = new ByteBuffer(Math.min(opts.size ?? 64 * 1024, partSize) || 1, partSize);
  const md5 = createHash('md5');
  let ended = false;
  while (head.length <= partSize) {
    const step = await source.next();
    if (step.done) {
      ended = true;
      break;
    }
    head.push(step.value);
    md5.update(step.value);
  }
  if (ended) {
    throwIfAborted(opts.signal);
    assertSize(opts.size, head.length);
    return putBuffered(target, head.bytes(), md5.digest('base64'));
  }
  return putMultipart(target, source, head.bytes(), opts);
}

async function putBuffered(target: PutTarget, bytes: Uint8Array, contentMd5: string): Promise<PutResult> {
  // The body is complete by now, so an abort from here on is too late to matter: the
  // request is bounded by requestTimeout instead of the signal.
  try {
    const out = await target.client.send(
      new PutObjectCommand({ ...target.params, Body: bytes, ContentLength: bytes.length, ContentMD5: contentMd5 }),
    );
    return out.ETag ? { size: bytes.length, etag: out.ETag } : { size: bytes.length };
  } catch (error) {
    throw toStoreError(error, 'put');
  }
}

async function putMultipart(
  target: PutTarget,
  source: AsyncIterator<Uint8Array>,
  first: Uint8Array,
  opts: NormalizedPutOptions,
): Promise<PutResult> {
  const { client, params } = target;
  let streamed = 0;
  let sourceDone = false;
  // Set when the body itself fails (or is aborted, or has the wrong size): that error wins.
  let sourceError: { error: unknown } | undefined;
  // Set by the first failed request, so the body is not read on for nothing.
  let requestError: { error: unknown } | undefined;

  async function* chunks(): AsyncGenerator<Uint8Array> {
    streamed = first.length;
    yield first;
    try {
      for (;;) {
        if (requestError) throw requestError.error;
        const step = await source.next();
        if (step.done) break;
        streamed += step.value.length;
        yield step.value;
      }
      sourceDone = true;
      throwIfAborted(opts.signal);
      assertSize(opts.size, streamed);
    } catch (error) {
      if (error !== requestError?.error) sourceError = { error };
      throw error;
    }
  }

  // lib-storage reads a ReadableStream (not an async iterable); pulled one chunk at a
  // time, so back-pressure reaches the body.
  const generator = chunks();
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const step = await generator.next();
          if (step.done) controller.close();
          else controller.enqueue(step.value);
        } catch (error) {
          controller.error(error);
        }
      },
    },
    { highWaterMark: 0 },
  );

  // Every request of the upload goes through this view of the client: parts in flight are
  // cancelled on abort, and the first failure stops the body from being read further.
  // Create, Complete and Abort are never cancelled, so an upload id is never lost.
  const uploadClient: S3Client = Object.create(client, {
    send: {
      value: (command: Parameters<S3Client['send']>[0], options?: { abortSignal?: AbortSignal }) => {
        const cancellable = command instanceof UploadPartCommand && opts.signal !== undefined;
        const sent = cancellable
          ? client.send(command, { ...options, abortSignal: opts.signal as AbortSignal })
          : client.send(command, options);
        return sent.catch((error: unknown) => {
          requestError ??= { error };
          throw error;
        });
      },
    },
  });

  let etag: string | undefined;
  try {
    const upload = new Upload({
      client: uploadClient,
      params: { ...params, Body: stream },
      partSize: target.partSize,
      queueSize: target.queueSize,
      leavePartsOnError: false,
    });
    // A failure ends in AbortMultipartUpload before done() rejects; Complete is only sent
    // once the body has ended without error, so a late body error commits nothing.
    const out = await upload.done();
    etag = out.ETag;
  } catch (error) {
    if (sourceError) throw sourceError.error;
    if (opts.signal?.aborted) throw opts.signal.reason ?? error;
    throw toStoreError(error, 'put');
  } finally {
    // lib-storage releases the stream without cancelling it; release the body ourselves.
    if (!sourceDone) void source.return?.().catch(noop);
  }

  // No checksum headers on strict providers, so check the committed size instead.
  let stored: number | undefined;
  try {
    const head = await client.send(new HeadObjectCommand({ Bucket: params.Bucket, Key: params.Key }));
    stored = head.ContentLength;
    etag = head.ETag ?? etag;
  } catch (error) {
    await client.send(new DeleteObjectCommand({ Bucket: params.Bucket, Key: params.Key })).catch(noop);
    throw toStoreError(error, 'put (verify)');
  }
  if (stored !== streamed) {
    await client.send(new DeleteObjectCommand({ Bucket: params.Bucket, Key: params.Key })).catch(noop);
    throw new ImageStoreError(
      'STORAGE_ERROR',
      `[imgstash] [s3] multipart upload stored ${stored ?? 'no'} bytes, not the ${streamed} sent; deleted it`,
    );
  }
  return etag ? { size: streamed, etag } : { size: streamed };
}
