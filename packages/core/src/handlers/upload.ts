import { type Deadline, deadlineError, startDeadline, untilAborted, withDeadline } from '../deadline.js';
import { type DrainableBody, drainableBody } from '../drain.js';
import { ImageStoreError } from '../errors.js';
import { sanitizeFilename } from '../filename.js';
import { jsonResponse } from '../http.js';
import { openFilePart } from '../multipart.js';
import { prepareImage } from '../prepare.js';
import { randomToken, sha256Hex } from '../secrets.js';
import { DELETE_TOKEN_METADATA, fromStore, type HandlerContext } from './context.js';
import type { HandlerRequest, ImageHandlers, UploadedImage } from './options.js';
import { failure, methodNotAllowed } from './respond.js';

/**
 * Hands `body` to the store while the put deadline watches the store's side only: the
 * countdown is paused while waiting on the client (slow clients are never cut off) and
 * runs while the store holds a chunk, and from the last byte on.
 */
async function* watched(body: AsyncIterable<Uint8Array>, deadline: Deadline): AsyncGenerator<Uint8Array> {
  const it = body[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      deadline.pause();
      const r = await it.next();
      deadline.touch();
      // A store that ignores its signal must still stop getting bytes.
      if (deadline.signal.aborted) throw deadline.signal.reason;
      if (r.done) break;
      yield r.value;
    }
    finished = true;
  } finally {
    if (!finished) await it.return?.();
  }
}

/** What {@link ingestImage} needs besides the bytes. */
export interface IngestOptions {
  /** The sanitized original filename, if any. */
  filename?: string;
  /** The exact length of `body`, when known: stores stream a sized body in one request. */
  expectedSize?: number;
  /** Where links are built from: see {@link HandlerContext.linkBase}. */
  linkBase: string;
  /** The client's signal: aborts the put when the client goes away. */
  signal?: AbortSignal;
}

/**
 * The upload pipeline from the bytes of one file to a stored image: sniff, check, hash,
 * then put under a fresh id with the put deadline. Every route that publishes an image
 * goes through here, so nothing reaches a public id unverified.
 */
export async function ingestImage(
  ctx: HandlerContext,
  body: AsyncIterable<Uint8Array>,
  ingest: IngestOptions,
): Promise<UploadedImage> {
  const { store, policy, options } = ctx;
  const { filename, expectedSize } = ingest;
  const image = await prepareImage(body, policy, {
    ...(options.sha256 ? { sha256: options.sha256 } : {}),
    ...(expectedSize !== undefined && expectedSize <= policy.maxBytes ? { expectedSize } : {}),
  });
  const id = ctx.newId();
  // Only the token's hash is stored: a leaked listing, backup or log of metadata deletes nothing.
  const deleteToken = randomToken();
  const deadline = startDeadline(ctx.deadlines.put, ingest.signal);
  const dimensions =
    image.width === undefined || image.height === undefined ? undefined : { width: image.width, height: image.height };
  const putOptions = {
    contentType: image.contentType,
    cacheControl: ctx.objectCacheControl,
    metadata: {
      [DELETE_TOKEN_METADATA]: await sha256Hex(deleteToken),
      // The displayed size, so that later routes (share page, variants) need no decode.
      ...(dimensions ? { width: String(dimensions.width), height: String(dimensions.height) } : {}),
    },
    ...(filename === undefined ? {} : { filename }),
    // Known before the body streams (stripping included), and the body throws unless it has
    // exactly this length: an S3 store streams it through in one request instead of buffering.
    ...(image.size === undefined ? {} : { size: image.size }),
    signal: deadline.signal,
  };
  const put = fromStore(() => store.put(id, watched(image.body, deadline), putOptions));
  try {
    await untilAborted(put, deadline.signal);
  } catch (error) {
    if (!deadline.expired) throw error;
    // A store that ignored its signal may still finish: nothing unannounced may stay.
    put
      .then(
        () => withDeadline(ctx.deadlines.lookup, undefined, () => store.delete(id)),
        () => {},
      )
      .catch(() => {});
    throw deadlineError(ctx.deadlines.put, error);
  } finally {
    deadline.dispose();
  }
  const { size, sha256 } = image.digest();
  const url = `${ingest.linkBase}${ctx.paths.image}/${id}`;
  const pageUrl = ctx.paths.share === false ? url : `${ingest.linkBase}${ctx.paths.share}/${id}`;
  const uploaded: UploadedImage = { id, url, pageUrl, contentType: image.contentType, size, sha256 };
  if (dimensions) Object.assign(uploaded, dimensions);
  if (filename !== undefined) uploaded.filename = filename;
  uploaded.deleteToken = deleteToken;
  uploaded.deleteUrl = `${ingest.linkBase}${ctx.paths.delete}/${id}#${deleteToken}`;
  ctx.infoCache.set(id, { contentType: image.contentType }, Date.now() + ctx.infoTtl);
  return uploaded;
}

/**
 * Runs `onUploaded` for a stored image; if it throws, the image is taken back out and
 * the error propagates.
 */
export async function announce(ctx: HandlerContext, uploaded: UploadedImage, request: HandlerRequest): Promise<void> {
  try {
    if (ctx.options.onUploaded) {
      // The token leaves the server once, in the answer: hooks that log images cannot leak it.
      const { deleteToken: _token, deleteUrl: _url, ...image } = uploaded;
      await ctx.options.onUploaded(image, request);
    }
  } catch (error) {
    ctx.infoCache.delete(uploaded.id);
    await withDeadline(ctx.deadlines.lookup, undefined, () => ctx.store.delete(uploaded.id)).catch(() => {});
    throw error;
  }
}

/** `POST /upload`: parse the multipart body, then {@link ingestImage} its file. */
export function createUploadRoute(ctx: HandlerContext): ImageHandlers['upload'] {
  const { policy, multipartLimits, fieldName } = ctx;

  return async function upload(request: HandlerRequest, mountPath = ''): Promise<Response> {
    if (request.method !== 'POST') return methodNotAllowed('POST');
    // Read through a drainable view, so that a refusal can still read the rest (see refuse).
    const source = request.body === null ? null : drainableBody(request.body);
    try {
      await ctx.authorize(request, 'upload');
      const contentType = request.headers.get('content-type') ?? '';
      if (!/^multipart\/form-data\s*(;|$)/i.test(contentType)) {
        throw new ImageStoreError('UNSUPPORTED_MEDIA_TYPE', '[imgstash] not multipart/form-data', {
          publicMessage: `Send the image as multipart/form-data in a field named "${fieldName}".`,
        });
      }
      // Content-Length is never trusted to accept, only to refuse early and cheaply.
      const declared = Number(request.headers.get('content-length') ?? Number.NaN);
      if (Number.isFinite(declared) && declared > multipartLimits.maxTotalSize) {
        // Past the drain bound the answer cannot wait for the body: it goes out at once.
        if (declared > ctx.refusalDrain.maxBytes) void source?.release();
        throw new ImageStoreError('PAYLOAD_TOO_LARGE', '[imgstash] declared length over the limit', {
          publicMessage: `The file is larger than the limit of ${policy.maxBytes} bytes.`,
        });
      }
      const part = await openFilePart(
        source?.body ?? null,
        contentType,
        multipartLimits,
        Number.isFinite(declared) ? { contentLength: declared } : {},
      );
      const filename = sanitizeFilename(part.filename);
      const uploaded = await ingestImage(ctx, part.body, {
        linkBase: ctx.linkBase(request, mountPath),
        ...(filename === undefined ? {} : { filename }),
        ...(part.expectedSize === undefined ? {} : { expectedSize: part.expectedSize }),
        ...(request.signal ? { signal: request.signal } : {}),
      });
      await announce(ctx, uploaded, request);
      void source?.release();
      return jsonResponse(201, uploaded, { location: uploaded.url });
    } catch (error) {
      return refuse(failure(error), source, request);
    }
  };

  /**
   * Drains what the client is still sending before the refusal goes out, within bounds,
   * so that a client which reads the answer only once its body is sent can read it. Past a
   * bound the answer says `Connection: close`, and the server cuts the rest off.
   */
  async function refuse(response: Response, source: DrainableBody | null, request: HandlerRequest): Promise<Response> {
    if (source === null || source.ended) return response;
    const drained = await source.drain(ctx.refusalDrain, request.signal);
    if (!drained) response.headers.set('connection', 'close');
    return response;
  }
}
