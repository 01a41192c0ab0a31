import { type Deadline, deadlineError, startDeadline, untilAborted, withDeadline } from '../deadline.js';
import { type DrainableBody, drainableBody } from '../drain.js';
import { ImageStoreError } from '../errors.js';
import { sanitizeFilename } from '../filename.js';
import { jsonResponse } from '../http.js';
import { openFilePart } from '../multipart.js';
import { prepareImage } from '../prepare.js';
import { randomToken, sha256Hex } from '../secrets.js';
import type { PutOptions, StoredObject } from '../types.js';
import { isTransformable } from '../variants.js';
import { DELETE_TOKEN_METADATA, fromStore, type HandlerContext } from './context.js';
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

/**
 * Puts `body` under `key` with the put deadline (see {@link watched}), aborted with the
 * client. A passed deadline answers 503; a store that ignored its signal and still finishes
 * later has its object deleted, so nothing stays that nobody was told about.
 */
export async function putWithDeadline(
  ctx: HandlerContext,
  key: string,
  body: AsyncIterable<Uint8Array>,
  options: Omit<PutOptions, 'signal'>,
  clientSignal: AbortSignal | undefined,
): Promise<StoredObject> {
  const { store } = ctx;
  const deadline = startDeadline(ctx.deadlines.put, clientSignal);
  const put = fromStore(() => store.put(key, watched(body, deadline), { ...options, signal: deadline.signal }));
  try {
    return await untilAborted(put, deadline.signal);
  } catch (error) {
    if (!deadline.expired) throw error;
    put
      .then(
        () => withDeadline(ctx.deadlines.lookup, undefined, () => store.delete(key)),
        () => {},
      )
      .catch(() => {});
    throw deadlineError(ctx.deadlines.put, error);
  } finally {
    deadline.dispose();
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
  /**
   * The id to store the image under, instead of a fresh random one: direct uploads derive it
   * from their upload id, so that completing twice finds the same image.
   */
  id?: string;
  /**
   * The delete token to issue, instead of a fresh random one: direct uploads derive it from
   * their upload id too, so that completing twice answers the same token.
   */
  deleteToken?: string;
}

/**
 * The upload pipeline from the bytes of one file to a stored image: sniff, check, strip
 * metadata, read the dimensions, hash, then put under a fresh id with the put deadline.
 * Every route that publishes an image goes through here, so nothing reaches a public id
 * unverified.
 */
export async function ingestImage(
  ctx: HandlerContext,
  body: AsyncIterable<Uint8Array>,
  ingest: IngestOptions,
): Promise<UploadedImage> {
  const { policy, options } = ctx;
  const { filename, expectedSize } = ingest;
  const image = await prepareImage(body, policy, {
    ...(options.sha256 ? { sha256: options.sha256 } : {}),
    ...(expectedSize !== undefined && expectedSize <= policy.maxBytes ? { expectedSize } : {}),
  });
  const id = ingest.id ?? ctx.newId();
  // Only the token's hash is stored: a leaked listing, backup or log of metadata deletes nothing.
  const deleteToken = ingest.deleteToken ?? randomToken();
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
  };
  // The placeholder decodes a copy of the bytes while they stream to the store.
  const placeholder = startPlaceholder(ctx, image.body, image.contentType);
  try {
    await putWithDeadline(ctx, id, placeholder?.body ?? image.body, putOptions, ingest.signal);
  } catch (error) {
    placeholder?.abort(error);
    throw error;
  }
  const { size, sha256 } = image.digest();
  const hash = await placeholder?.result();
  return describeImage(ctx, ingest.linkBase, {
    id,
    contentType: image.contentType,
    size,
    sha256,
    deleteToken,
    ...(dimensions ?? {}),
    ...(filename === undefined ? {} : { filename }),
    ...(hash === undefined ? {} : { placeholder: hash }),
  });
}

/** The facts {@link describeImage} turns into an upload's answer. */
export interface ImageFacts {
  id: string;
  contentType: UploadedImage['contentType'];
  size: number;
  sha256: string;
  deleteToken: string;
  width?: number;
  height?: number;
  filename?: string;
  /** The image's placeholder (ThumbHash, base64), when one was made. */
  placeholder?: string;
}

/**
 * The answer of an upload, from its facts: the links, the delete token and link. One place,
 * so that `/upload` and a (repeated) direct upload's `complete` answer exactly alike.
 */
export function describeImage(ctx: HandlerContext, linkBase: string, facts: ImageFacts): UploadedImage {
  const { id } = facts;
  const url = `${linkBase}${ctx.paths.image}/${id}`;
  const pageUrl = ctx.paths.share === false ? url : `${linkBase}${ctx.paths.share}/${id}`;
  const uploaded: UploadedImage = {
    id,
    url,
    pageUrl,
    contentType: facts.contentType,
    size: facts.size,
    sha256: facts.sha256,
  };
  if (facts.width !== undefined && facts.height !== undefined) {
    uploaded.width = facts.width;
    uploaded.height = facts.height;
  }
  if (facts.filename !== undefined) uploaded.filename = facts.filename;
  const presets = ctx.transforms?.presets;
  // SVG is never transformed: it has no variants.
  if (presets && presets.size > 0 && isTransformable(facts.contentType)) {
    uploaded.variants = Object.fromEntries([...presets.keys()].map((name) => [name, `${url}/${name}`]));
  }
  if (facts.placeholder !== undefined) uploaded.placeholder = facts.placeholder;
  uploaded.deleteToken = facts.deleteToken;
  uploaded.deleteUrl = `${linkBase}${ctx.paths.delete}/${id}#${facts.deleteToken}`;
  ctx.infoCache.set(id, { contentType: facts.contentType }, Date.now() + ctx.infoTtl);
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
