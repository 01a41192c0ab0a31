import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
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
  iterateBody,
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
  /**
   * Milliseconds a streamed PutObject may wait on the server (to take the next bytes, or
   * to answer once it has them all). Time spent waiting on the body's producer (a slow
   * client) does not count: such a put takes as long as the client takes to send.
   */
  stallTimeout: number;
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
const QUIET_LOGGER = { trace: noop, debug: noop, info: noop, warn: noop, error: noop };

/** Bodies of a known or expected length above this are streamed in one PutObject, not buffered. */
export const STREAM_THRESHOLD: number = 1024 * 1024;
/** The largest object one PutObject may carry. */
const MAX_PUT_SIZE = 5 * 1024 ** 3;

/**
 * Streams `body` into the bucket. A body whose `size` is given and above
 * {@link STREAM_THRESHOLD} goes up as one streamed PutObject, holding about one chunk
 * (core gives the size of uploads that carry a Content-Length). Otherwise up to one part is buffered: a body that ends within
 * it goes up with one PutObject (with Content-MD5); a longer one goes up as a multipart
 * upload with at most `queueSize` parts in flight. On abort or failure nothing is stored
 * (a multipart upload is aborted); an error thrown by the body (an `ImageStoreError` from
 * core's upload checks, an `AbortError`) propagates unchanged.
 */
export async function streamPut(target: PutTarget, body: ImageBody, opts: NormalizedPutOptions): Promise<PutResult> {
  const { partSize } = target;
  if (body instanceof Uint8Array && body.length <= partSize) {
    // Already in memory and contiguous: no copy needed.
    assertSize(opts.size, body.length);
    return putBuffered(target, body, createHash('md5').update(body).digest('base64'), opts.signal);
  }
  if (opts.size !== undefined && opts.size > STREAM_THRESHOLD && opts.size <= MAX_PUT_SIZE) {
    return putStreamed(target, body, opts.size, opts);
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
    return putBuffered(target, head.bytes(), md5.digest('base64'), opts.signal);
  }
  return putMultipart(target, source, head.bytes(), opts);
}

async function putBuffered(
  target: PutTarget,
  bytes: Uint8Array,
  contentMd5: string,
  signal: AbortSignal | undefined,
): Promise<PutResult> {
  throwIfAborted(signal);
  const startedAt = Date.now();
  try {
    const out = await target.client.send(
      new PutObjectCommand({ ...target.params, Body: bytes, ContentLength: bytes.length, ContentMD5: contentMd5 }),
      // The caller's deadline (or the client going away) cancels the request in flight.
      signal ? { abortSignal: signal } : undefined,
    );
    return out.ETag ? { size: bytes.length, etag: out.ETag } : { size: bytes.length };
  } catch (error) {
    if (signal?.aborted) {
      // The whole body may have reached the server before the abort (it sits in the
      // server's socket buffer), and a server that wakes up stores it: look again a little
      // later too. In the background: the abort itself is answered at once.
      void removeLeftover(target, startedAt).then(() => removeLeftoverLater(target, startedAt));
      throw signal.reason ?? error;
    }
    throw toStoreError(error, 'put');
  }
}

/**
 * Deletes what a failed streamed put may have left: an object at its key written since
 * the put started (a lax server's partial body, or a body stored before its answer was
 * lost). An object older than the put was there before it and stays. Resolves whether
 * the key holds no such object now.
 */
async function removeLeftover(target: PutTarget, startedAt: number): Promise<boolean> {
  const key = { Bucket: target.params.Bucket, Key: target.params.Key };
  try {
    const head = await target.client.send(new HeadObjectCommand(key));
    // LastModified has a resolution of one second.
    if ((head.LastModified?.getTime() ?? 0) < startedAt - 1000) return true;
    await target.client.send(new DeleteObjectCommand(key));
    return true;
  } catch {
    // Nothing there (the usual case: S3 stores nothing for an incomplete body), or the
    // server is unreachable: the put's own error is what the caller needs.
    return false;
  }
}

/** Checks again a little later: a lax server may still be writing the cancelled body. */
function removeLeftoverLater(target: PutTarget, startedAt: number): void {
  for (const delay of [100, 1000]) {
    setTimeout(() => void removeLeftover(target, startedAt), delay).unref?.();
  }
}

/**
 * One PutObject of exactly `length` bytes, streamed from `body` as it arrives. The last
 * chunk is held back until the body has ended without error and with that length, so a
 * body that fails late (core's end-of-file checks) never completes the request: it is
 * cancelled, and S3 stores nothing for a PutObject whose body did not arrive whole.
 * Some compatible servers (s3rver) keep a cancelled body's bytes as the object: see
 * {@link removeLeftover}.
 */
async function putStreamed(
  target: PutTarget,
  body: ImageBody,
  length: number,
  opts: NormalizedPutOptions,
): Promise<PutResult> {
  throwIfAborted(opts.signal);
  const startedAt = Date.now();
  let bodySent = false;
  // Not abortableChunks: the request below is cancelled by the same signal, which settles
  // the put at once, without a listener per chunk on the hot path.
  const source = iterateBody(body);
  const cancel = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, cancel.signal]) : cancel.signal;
  // Set when the body fails (or has another length than `size`): that error wins.
  let sourceError: { error: unknown } | undefined;
  let sourceDone = false;
  // One timer for the whole put, pushed back lazily: arming a timer per chunk would cost
  // more than the chunk's own trip on the hot path.
  let deadline = Number.POSITIVE_INFINITY;
  let stall: ReturnType<typeof setTimeout> | undefined;
  const onStall = () => {
    const left = deadline - performance.now();
    if (left > 0) {
      stall = setTimeout(onStall, Math.min(left, target.stallTimeout));
      return;
    }
    const error = Object.assign(new Error(`[imgstash] [s3] the server stalled for ${target.stallTimeout} ms`), {
      name: 'TimeoutError',
    });
    cancel.abort(error);
  };
  const waitOnServer = () => {
    deadline = performance.now() + target.stallTimeout;
    stall ??= setTimeout(onStall, target.stallTimeout);
  };
  const waitOnBody = () => {
    deadline = Number.POSITIVE_INFINITY;
  };

  async function* chunks(): AsyncGenerator<Uint8Array> {
    let received = 0;
    let held: Uint8Array | undefined;
    try {
      for (;;) {
        waitOnBody();
        const step = await source.next();
        if (step.done) break;
        if (step.value.length === 0) continue;
        received += step.value.length;
        if (received > length) assertSize(length, received);
        if (held) {
          waitOnServer();
          bodySent = true;
          yield held;
        }
        held = step.value;
      }
      sourceDone = true;
      assertSize(length, received);
      throwIfAborted(opts.signal);
    } catch (error) {
      sourceError = { error };
      cancel.abort(error);
      throw error;
    }
    waitOnServer();
    if (held) yield held;
    // Until the server answers.
    waitOnServer();
  }

  // No read-ahead: the stream pulls the next chunk only once the request has taken the last
  // one, so each upload holds one chunk here rather than two.
  const stream = Readable.from(chunks(), { objectMode: false, highWaterMark: 1 });
  // The SDK pipes the stream without listening for its errors; they are handled above.
  stream.on('error', noop);
  // Until the server asks for the body (it answers `Expect: 100-continue` first).
  waitOnServer();
  const command = new PutObjectCommand({ ...target.params, Body: stream, ContentLength: length });
  // The SDK writes a console warning whenever a streamed request fails; this put reports
  // its failures itself (a refused upload is not a storage problem).
  command.middlewareStack.add(
    (next, context) => (args) => {
      context.logger = QUIET_LOGGER;
      return next(args);
    },
    { step: 'initialize', name: 'imgstashQuietStreamedPut' },
  );
  try {
    const out = await target.client.send(
      command,
      // A streamed request lasts as long as the client takes to send: the stall watchdog
      // above bounds the server's share instead of a total request timeout.
      { abortSignal: signal, requestTimeout: 0 } as Parameters<S3Client['send']>[1],
    );
    return out.ETag ? { size: length, etag: out.ETag } : { size: length };
  } catch (error) {
    clearTimeout(stall);
    if (bodySent && !(await removeLeftover(target, startedAt))) removeLeftoverLater(target, startedAt);
    if (sourceError) throw sourceError.error;
    if (opts.signal?.aborted) throw opts.signal.reason ?? error;
    throw toStoreError(cancel.signal.aborted ? cancel.signal.reason : error, 'put');
  } finally {
    clearTimeout(stall);
    stream.destroy();
    if (!sourceDone) void source.return?.().catch(noop);
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
