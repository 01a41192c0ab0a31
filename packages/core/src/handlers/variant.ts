import { startDeadline, untilAborted, withDeadline } from '../deadline.js';
import { ImageStoreError, isImageStoreError } from '../errors.js';
import { isValidId } from '../keys.js';
import type { TransformFormat } from '../transform.js';
import { chooseFormat, isTransformable, type ResolvedPreset } from '../variants.js';
import { ExpiringLru } from './cache.js';
import { type CachedInfo, fromStore, type HandlerContext, type TransformSetup } from './context.js';
import type { HandlerRequest, ImageHandlers, RedirectTarget } from './options.js';
import { cachedInfo, signedRedirect } from './redirect.js';
import { failure, json404, methodNotAllowed } from './respond.js';

/** How long a variant that failed to decode answers its 422 without trying again, in ms. */
const FAILURE_TTL_MS = 60_000;

function unprocessable(cause: unknown): ImageStoreError {
  return new ImageStoreError('UNPROCESSABLE_IMAGE', '[imgstash] the transform failed', {
    cause,
    publicMessage: 'The image could not be processed.',
  });
}

function tooSlow(ms: number, cause: unknown): ImageStoreError {
  return new ImageStoreError('OVERLOADED', `[imgstash] the variant was not ready within ${ms} ms`, {
    cause,
    publicMessage: 'The image took too long to process. Try again later.',
  });
}

/**
 * `GET|HEAD /i/:id/:preset`: 302 to a variant of the image. The original is checked first
 * (cached info), so a deleted image has no variants whatever objects remain. The first
 * request makes the variant: get the original, transform, put `<id>.<preset>.<ext>`;
 * single-flight per key, through the bounded queue. Later requests find it like `/i/:id`.
 */
export function createVariantRoute(ctx: HandlerContext): Pick<ImageHandlers, 'variant' | 'variantTarget'> {
  const setup = ctx.transforms;
  // A corrupt original would otherwise be decoded again on every request.
  const failures = new ExpiringLru<ImageStoreError>(1024);

  async function make(
    { transformer, maxPixels }: TransformSetup,
    id: string,
    key: string,
    preset: ResolvedPreset,
    format: TransformFormat,
  ): Promise<CachedInfo> {
    // Shared by every request waiting on this key: no client's signal may cancel it.
    const original = await withDeadline(ctx.deadlines.lookup, undefined, (signal) =>
      fromStore(() => ctx.store.get(id, { signal })),
    );
    if (!original) throw new ImageStoreError('NOT_FOUND', '[imgstash] original gone', { publicMessage: 'Not found.' });
    const deadline = startDeadline(ctx.deadlines.transform);
    let result: Awaited<ReturnType<typeof transformer.transform>>;
    try {
      const running = (async () =>
        transformer.transform(original.body, {
          fit: preset.fit,
          format,
          maxPixels,
          signal: deadline.signal,
          ...(preset.width === undefined ? {} : { width: preset.width }),
          ...(preset.height === undefined ? {} : { height: preset.height }),
          ...(preset.quality === undefined ? {} : { quality: preset.quality }),
        }))();
      result = await untilAborted(running, deadline.signal);
    } catch (error) {
      original.body.cancel().catch(() => {});
      if (deadline.expired) throw tooSlow(ctx.deadlines.transform, error);
      throw isImageStoreError(error) ? error : unprocessable(error);
    } finally {
      deadline.dispose();
    }
    const { bytes, contentType, width, height } = result;
    await withDeadline(ctx.deadlines.put, undefined, (signal) =>
      fromStore(() =>
        ctx.store.put(key, bytes, {
          contentType,
          size: bytes.length,
          cacheControl: ctx.objectCacheControl,
          metadata: { width: String(width), height: String(height) },
          signal,
        }),
      ),
    );
    return { contentType };
  }

  async function variantTarget(
    request: HandlerRequest,
    id: string,
    presetName: string,
    mountPath = '',
  ): Promise<RedirectTarget | Response> {
    if (request.method !== 'GET' && request.method !== 'HEAD') return methodNotAllowed('GET, HEAD');
    const preset = setup?.presets.get(presetName);
    // An unknown preset or a malformed id cannot exist: answer without touching storage.
    if (!setup || !preset || !isValidId(id, ctx.idLength)) return json404();
    const auto = preset.format === 'auto';
    try {
      await ctx.authorize(request, 'view');
      const now = Date.now();
      const original = await cachedInfo(ctx, request, id, now);
      if (!original)
        throw new ImageStoreError('NOT_FOUND', '[imgstash] no such image', { publicMessage: 'Not found.' });
      if (!isTransformable(original.contentType)) {
        throw new ImageStoreError('UNPROCESSABLE_IMAGE', '[imgstash] no variants of this type', {
          publicMessage: 'This image has no variants.',
        });
      }
      // Only `auto` reads Accept: a fixed format is the same for every client.
      const format = auto ? chooseFormat('auto', request.headers.get('accept'), original.contentType) : preset.format;
      const suffix = preset.suffixes[format as TransformFormat];
      let found = original.variants?.get(suffix);
      if (!found) {
        const key = `${id}.${suffix}`;
        const failed = failures.get(key, now);
        if (failed) throw failed;
        const stat = await ctx.lookup(request, (signal) => ctx.store.stat(key, { signal }));
        let info: CachedInfo | undefined = stat && { contentType: stat.contentType };
        if (!info) {
          const made = setup.queue.run(key, () => make(setup, id, key, preset, format as TransformFormat));
          // A request waits (queued, then while the work runs) at most the transform deadline;
          // the work itself goes on, and stores the variant for the requests after it.
          const waiting = startDeadline(ctx.deadlines.transform, request.signal);
          try {
            info = await untilAborted(made, waiting.signal);
          } catch (error) {
            if (isImageStoreError(error) && error.code === 'UNPROCESSABLE_IMAGE') {
              failures.set(key, error, Date.now() + FAILURE_TTL_MS);
            }
            if (waiting.expired) throw tooSlow(ctx.deadlines.transform, error);
            throw error;
          } finally {
            waiting.dispose();
          }
        }
        found = { key, info: { contentType: info.contentType } };
        original.variants ??= new Map();
        original.variants.set(suffix, found);
      }
      const target = await signedRedirect(ctx, request, found.key, found.info, mountPath, now);
      if (auto) target.headers.vary = 'Accept';
      return target;
    } catch (error) {
      return failure(error, auto ? { vary: 'Accept' } : {});
    }
  }

  async function variant(request: HandlerRequest, id: string, preset: string, mountPath = ''): Promise<Response> {
    const target = await variantTarget(request, id, preset, mountPath);
    return target instanceof Response ? target : new Response(null, target);
  }

  return { variant, variantTarget };
}
