import { bodyChunks } from '../body.js';
import { ImageStoreError } from '../errors.js';
import { jsonResponse } from '../http.js';
import { isValidKey } from '../keys.js';
import { isLocallyServed, type LocalUploadParams } from '../local.js';
import type { ImageBody } from '../types.js';
import type { HandlerContext } from './context.js';
import type { HandlerRequest } from './options.js';
import { failure } from './respond.js';
import { putWithDeadline } from './upload.js';

const forbidden = () =>
  new ImageStoreError('FORBIDDEN', '[imgstash] invalid or expired upload link', {
    publicMessage: 'The upload link is invalid or has expired.',
  });

const tooLarge = (size: number) =>
  new ImageStoreError('PAYLOAD_TOO_LARGE', '[imgstash] body longer than the signed size', {
    publicMessage: `The body is larger than the ${size} bytes this link was signed for.`,
  });

/** Passes `body` on, and fails as soon as it carries more than `size` bytes. */
async function* atMost(body: ImageBody, size: number): AsyncGenerator<Uint8Array> {
  let seen = 0;
  for await (const chunk of bodyChunks(body)) {
    seen += chunk.length;
    if (seen > size) throw tooLarge(size);
    yield chunk;
  }
}

/** Reads and checks the signed query of a local upload link; throws 403 when it is not one. */
async function verifiedParams(ctx: HandlerContext, request: HandlerRequest, key: string): Promise<LocalUploadParams> {
  const { store } = ctx;
  if (!isLocallyServed(store) || !isValidKey(key)) throw forbidden();
  const query = new URL(request.url).searchParams;
  const expires = query.get('expires') ?? '';
  const size = query.get('size') ?? '';
  if (!/^\d{1,12}$/.test(expires) || !/^[1-9]\d{0,15}$/.test(size)) throw forbidden();
  const params = { expires: Number(expires), size: Number(size), contentType: query.get('type') ?? '' };
  if (!(await store.localUrls.verifyUpload(key, params, query.get('sig') ?? ''))) throw forbidden();
  return params;
}

/**
 * `PUT /files/:key?expires=…&size=…&type=…&sig=…`: the direct uploads of the memory and fs
 * stores. The signature binds the key, the exact size, the type and the expiry (403 when
 * forged or expired); the body streams into `store.put` and is refused (413, or 400 when
 * short) the moment it differs from the signed size, so nothing partial is ever stored.
 */
export async function receiveLocalUpload(ctx: HandlerContext, request: HandlerRequest, key: string): Promise<Response> {
  try {
    const { size, contentType } = await verifiedParams(ctx, request, key);
    const sent = (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
    if (sent !== contentType) {
      throw new ImageStoreError('UNSUPPORTED_MEDIA_TYPE', '[imgstash] content-type differs from the signed one', {
        publicMessage: `Send the body with Content-Type: ${contentType}, as signed.`,
      });
    }
    const declared = Number(request.headers.get('content-length') ?? Number.NaN);
    if (Number.isFinite(declared) && declared > size) throw tooLarge(size);
    if (!request.body) throw new ImageStoreError('INVALID_INPUT', '[imgstash] no body', { publicMessage: 'No body.' });
    const stored = await putWithDeadline(ctx, key, atMost(request.body, size), { contentType, size }, request.signal);
    return jsonResponse(200, { size: stored.size }, stored.etag ? { etag: stored.etag } : {});
  } catch (error) {
    return failure(error);
  }
}
