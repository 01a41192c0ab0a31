import { type Deadline, deadlineError, startDeadline, untilAborted, withDeadline } from '../deadline.js';
import { ImageStoreError } from '../errors.js';
import { sanitizeFilename } from '../filename.js';
import { jsonResponse } from '../http.js';
import { openFilePart } from '../multipart.js';
import { prepareImage } from '../prepare.js';
import { isTransformable } from '../variants.js';
import { fromStore, type HandlerContext } from './context.js';
import type { HandlerRequest, ImageHandlers, UploadedImage } from './options.js';
import { startPlaceholder } from './placeholder.js';
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
  const image = await prepareImage(body, policy, options.sha256 ? { sha256: options.sha256 } : {});
  const id = ctx.newId();
  const { filename, expectedSize } = ingest;
  const deadline = startDeadline(ctx.deadlines.put, ingest.signal);
  const putOptions = {
    contentType: image.contentType,
    cacheControl: ctx.objectCacheControl,
    ...(filename === undefined ? {} : { filename }),
    // The file's body throws unless it has exactly this length, so for the store it is
    // the size: an S3 store streams it through in one request instead of buffering it.
    ...(expectedSize !== undefined && expectedSize <= policy.maxBytes ? { size: expectedSize } : {}),
    signal: deadline.signal,
  };
  // The placeholder decodes a copy of the bytes while they stream to the store.
  const placeholder = startPlaceholder(ctx, image.body, image.contentType);
  const put = fromStore(() => store.put(id, watched(placeholder?.body ?? image.body, deadline), putOptions));
  try {
    await untilAborted(put, deadline.signal);
  } catch (error) {
    placeholder?.abort(error);
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
  const uploaded: UploadedImage = { id, url, pageUrl: url, contentType: image.contentType, size, sha256 };
  if (filename !== undefined) uploaded.filename = filename;
  const presets = ctx.transforms?.presets;
  // SVG is never transformed: it has no variants.
  if (presets && presets.size > 0 && isTransformable(image.contentType)) {
    uploaded.variants = Object.fromEntries([...presets.keys()].map((name) => [name, `${url}/${name}`]));
  }
  const hash = await placeholder?.result();
  if (hash !== undefined) uploaded.placeholder = hash;
  ctx.infoCache.set(id, { contentType: image.contentType }, Date.now() + ctx.ttl * 1000);
  return uploaded;
}

/**
 * Runs `onUploaded` for a stored image; if it throws, the image is taken back out and
 * the error propagates.
 */
export async function announce(ctx: HandlerContext, uploaded: UploadedImage, request: HandlerRequest): Promise<void> {
  try {
    await ctx.options.onUploaded?.(uploaded, request);
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
        throw new ImageStoreError('PAYLOAD_TOO_LARGE', '[imgstash] declared length over the limit', {
          publicMessage: `The file is larger than the limit of ${policy.maxBytes} bytes.`,
        });
      }
      const part = await openFilePart(
        request.body,
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
      return jsonResponse(201, uploaded, { location: uploaded.url });
    } catch (error) {
      return failure(error);
    }
  };
}
