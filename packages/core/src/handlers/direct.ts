import { bodyChunks, readAtMost } from '../body.js';
import {
  createNonce,
  type DirectUploadClaim,
  deleteTokenFor,
  finalIdFor,
  PENDING_PREFIX,
  signClaim,
  verifyClaim,
} from '../direct-token.js';
import { ImageStoreError } from '../errors.js';
import { sanitizeFilename } from '../filename.js';
import { defaultSha256 } from '../hash.js';
import { jsonResponse } from '../http.js';
import { isAllowedType } from '../policy.js';
import type { SniffedType } from '../sniff.js';
import type { ObjectInfo } from '../types.js';
import { type HandlerContext, mountPrefix } from './context.js';
import type { HandlerRequest, ImageHandlers, StartedUpload, UploadedImage } from './options.js';
import { failure, json404, methodNotAllowed } from './respond.js';
import { announce, describeImage, ingestImage } from './upload.js';

/** The JSON body `POST /uploads` takes. */
interface StartBody {
  filename?: unknown;
  size?: unknown;
  contentType?: unknown;
}

/** How long after its upload request expires an upload can still be completed, in seconds. */
const COMPLETE_GRACE = 3600;
const MAX_JSON = 16 * 1024;

const invalid = (publicMessage: string) =>
  new ImageStoreError('INVALID_INPUT', `[imgstash] direct upload: ${publicMessage}`, { publicMessage });

async function readJson(request: HandlerRequest): Promise<StartBody> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new ImageStoreError('UNSUPPORTED_MEDIA_TYPE', '[imgstash] direct upload: not JSON', {
      publicMessage: 'Send { filename, size, contentType } as application/json.',
    });
  }
  if (!request.body) throw invalid('The request has no body.');
  const bytes = await readAtMost(request.body, MAX_JSON, () => invalid('The request body is too large.'));
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(bytes));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as StartBody;
  } catch (error) {
    throw new ImageStoreError('INVALID_INPUT', '[imgstash] direct upload: bad JSON', {
      cause: error,
      publicMessage: 'The body must be a JSON object { filename, size, contentType }.',
    });
  }
}

/** The answer of `/upload` for an image already stored, read back from the store. */
async function describeStored(
  ctx: HandlerContext,
  request: HandlerRequest,
  id: string,
  info: ObjectInfo,
  linkBase: string,
  deleteToken: string,
): Promise<UploadedImage | undefined> {
  // The hash is of the stored bytes: read them once more (a retried complete is rare).
  const object = await ctx.lookup(request, (signal) => ctx.store.get(id, { signal }));
  if (!object) return undefined;
  const hash = (ctx.options.sha256 ?? defaultSha256)();
  for await (const chunk of bodyChunks(object.body)) hash.update(chunk);
  const width = Number(info.metadata.width);
  const height = Number(info.metadata.height);
  return describeImage(ctx, linkBase, {
    id,
    contentType: info.contentType as UploadedImage['contentType'],
    size: info.size,
    sha256: hash.digestHex(),
    deleteToken,
    ...(Number.isSafeInteger(width) && Number.isSafeInteger(height) && width > 0 && height > 0
      ? { width, height }
      : {}),
    ...(info.filename === undefined ? {} : { filename: info.filename }),
  });
}

/** Deletes a pending object, best effort: a leftover is swept later (see `sweepPending`). */
async function discard(ctx: HandlerContext, request: HandlerRequest, key: string): Promise<void> {
  await ctx.lookup(request, (signal) => ctx.store.delete(key, { signal })).catch(() => {});
}

/**
 * `POST /uploads` and `POST /uploads/:uploadId/complete`: direct-to-storage uploads for
 * stores with `presignUpload`. Start checks the declared size and type and presigns a
 * request to `pending.<nonce>`; complete checks what landed (size within `maxBytes` and
 * equal to the declared one), streams it through {@link ingestImage} (the pipeline of
 * `/upload`) under an id derived from the upload id, deletes the pending object and answers
 * exactly what `/upload` answers. Nothing unverified is ever published.
 */
export function createDirectRoutes(ctx: HandlerContext): Pick<ImageHandlers, 'startUpload' | 'completeUpload'> {
  const { store, policy, directSigner: signer } = ctx;

  async function startUpload(request: HandlerRequest, mountPath = ''): Promise<Response> {
    if (!signer || !store.presignUpload) return json404();
    if (request.method !== 'POST') return methodNotAllowed('POST');
    try {
      await ctx.authorize(request, 'upload');
      const body = await readJson(request);
      const { size } = body;
      if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
        throw invalid('`size` must be the file’s length in bytes.');
      }
      if (size === 0) throw invalid('The file is empty.');
      if (size > policy.maxBytes) {
        throw new ImageStoreError('PAYLOAD_TOO_LARGE', '[imgstash] direct upload: declared size over the limit', {
          publicMessage: `The file is larger than the limit of ${policy.maxBytes} bytes.`,
        });
      }
      const contentType = typeof body.contentType === 'string' ? body.contentType.toLowerCase() : '';
      if (!isAllowedType(policy, contentType as SniffedType)) {
        throw new ImageStoreError('UNSUPPORTED_MEDIA_TYPE', '[imgstash] direct upload: type not allowed', {
          publicMessage: `The type must be one of: ${policy.allowedTypes.join(', ')}.`,
        });
      }
      if (body.filename !== undefined && typeof body.filename !== 'string')
        throw invalid('`filename` must be a string.');
      const filename = sanitizeFilename(body.filename);
      const claim: DirectUploadClaim = {
        nonce: createNonce(),
        size,
        contentType,
        expires: Math.floor(Date.now() / 1000) + ctx.directExpiresIn,
        ...(filename === undefined ? {} : { filename }),
      };
      const presign = store.presignUpload.bind(store);
      const presigned = await ctx.lookup(request, (signal) =>
        presign(PENDING_PREFIX + claim.nonce, { size, contentType, expiresIn: ctx.directExpiresIn, signal }),
      );
      const uploadId = await signClaim(signer, claim);
      const linkBase = ctx.linkBase(request, mountPath);
      const url = presigned.url.startsWith('/') ? linkBase + presigned.url : presigned.url;
      const started: StartedUpload = {
        uploadId,
        method: presigned.method,
        url,
        ...(presigned.fields ? { fields: presigned.fields } : {}),
        ...(presigned.headers ? { headers: presigned.headers } : {}),
        expiresAt: new Date(claim.expires * 1000).toISOString(),
        completeUrl: `${linkBase}${ctx.paths.uploads}/${uploadId}/complete`,
      };
      return jsonResponse(201, started);
    } catch (error) {
      return failure(error);
    }
  }

  async function completeUpload(request: HandlerRequest, uploadId: string, mountPath = ''): Promise<Response> {
    if (!signer || !store.presignUpload) return json404();
    if (request.method !== 'POST') return methodNotAllowed('POST');
    try {
      await ctx.authorize(request, 'upload');
      const claim = await verifyClaim(signer, uploadId);
      if (!claim) {
        throw new ImageStoreError('FORBIDDEN', '[imgstash] direct upload: forged upload id', {
          publicMessage: 'The upload id is invalid.',
        });
      }
      const pendingKey = PENDING_PREFIX + claim.nonce;
      const id = await finalIdFor(signer, claim.nonce, ctx.idLength);
      const deleteToken = await deleteTokenFor(signer, claim.nonce);
      const linkBase = ctx.linkBase(request, mountPath);
      const respond = (uploaded: UploadedImage) => jsonResponse(201, uploaded, { location: uploaded.url });

      // Completed before: answer the same, from what is stored.
      const published = await ctx.lookup(request, (signal) => store.stat(id, { signal }));
      if (published) {
        const again = await describeStored(ctx, request, id, published, linkBase, deleteToken);
        if (again) {
          await discard(ctx, request, pendingKey);
          return respond(again);
        }
      }
      if (Date.now() > (claim.expires + COMPLETE_GRACE) * 1000) {
        await discard(ctx, request, pendingKey);
        throw new ImageStoreError('NOT_FOUND', '[imgstash] direct upload: expired', {
          publicMessage: 'This upload has expired. Start a new one.',
        });
      }
      const pending = await ctx.lookup(request, (signal) => store.stat(pendingKey, { signal }));
      if (!pending) {
        throw new ImageStoreError('NOT_FOUND', '[imgstash] direct upload: nothing uploaded', {
          publicMessage: 'Nothing has been uploaded for this upload id.',
        });
      }
      try {
        if (pending.size > policy.maxBytes) {
          throw new ImageStoreError('PAYLOAD_TOO_LARGE', '[imgstash] direct upload: stored object over the limit', {
            publicMessage: `The file is larger than the limit of ${policy.maxBytes} bytes.`,
          });
        }
        if (pending.size !== claim.size) {
          throw invalid(`The uploaded file has ${pending.size} bytes, not the declared ${claim.size}.`);
        }
        const object = await ctx.lookup(request, (signal) => store.get(pendingKey, { signal }));
        if (!object) {
          throw new ImageStoreError('NOT_FOUND', '[imgstash] direct upload: pending object vanished', {
            publicMessage: 'Nothing has been uploaded for this upload id.',
          });
        }
        const uploaded = await ingestImage(ctx, bodyChunks(object.body), {
          id,
          deleteToken,
          linkBase,
          expectedSize: claim.size,
          ...(claim.filename === undefined ? {} : { filename: claim.filename }),
          ...(request.signal ? { signal: request.signal } : {}),
        });
        await announce(ctx, uploaded, request);
        await discard(ctx, request, pendingKey);
        return respond(uploaded);
      } catch (error) {
        // Whatever refused it, the bytes are not kept: the answer is what /upload would say.
        await discard(ctx, request, pendingKey);
        throw error;
      }
    } catch (error) {
      return failure(error);
    }
  }

  return { startUpload, completeUpload };
}

/** The link prefix of the direct-upload routes, for the upload page. */
export const uploadsUrl = (ctx: HandlerContext, mountPath: string): string | null =>
  ctx.directSigner && ctx.store.presignUpload ? mountPrefix(mountPath) + ctx.paths.uploads : null;
