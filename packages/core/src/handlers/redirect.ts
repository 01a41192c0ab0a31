import { isValidId } from '../keys.js';
import type { CachedInfo, HandlerContext } from './context.js';
import type { HandlerRequest, ImageHandlers, RedirectTarget } from './options.js';
import { failure, json404, methodNotAllowed } from './respond.js';

/**
 * The info of the object under `key`: cached (keys are immutable), else one `stat` under
 * the lookup deadline. `undefined` when nothing is stored there.
 */
export async function cachedInfo(
  ctx: HandlerContext,
  request: HandlerRequest,
  key: string,
  now: number,
): Promise<CachedInfo | undefined> {
  const cached = ctx.infoCache.get(key, now);
  if (cached) return cached;
  const stat = await ctx.lookup(request, (signal) => ctx.store.stat(key, { signal }));
  if (!stat) return undefined;
  const info = { contentType: stat.contentType };
  // A positive answer stays true until the image is deleted (and the cache invalidated).
  ctx.infoCache.set(key, info, now + ctx.infoTtl);
  return info;
}

/**
 * The 302 to `key`'s signed URL. The URL is signed on a time window, so every view in the
 * window gets the same one, and it is cached: a hot redirect makes no store call.
 */
export async function signedRedirect(
  ctx: HandlerContext,
  request: HandlerRequest,
  key: string,
  info: CachedInfo,
  mountPath: string,
  now: number,
): Promise<RedirectTarget> {
  const { store, urlCache, ttl, window } = ctx;
  const signedAt = Math.floor(now / 1000 / window) * window * 1000;
  const cacheKey = `${key}@${signedAt}`;
  const until = signedAt + ttl * 1000;
  let url = urlCache.get(cacheKey, now);
  if (!url) {
    const isSvg = info.contentType === 'image/svg+xml';
    url = await ctx.lookup(request, (signal) =>
      store.signedUrl(key, {
        expiresIn: ttl,
        signedAt,
        contentType: info.contentType,
        // SVG can carry script: never render it inline from the storage origin.
        ...(isSvg ? { disposition: 'attachment' as const } : {}),
        signal,
      }),
    );
    urlCache.set(cacheKey, url, signedAt + window * 1000);
  }
  const location = url.startsWith('/') ? ctx.linkBase(request, mountPath) + url : url;
  // Caches must drop the redirect well before the signed URL dies.
  const maxAge = Math.max(0, Math.floor(((until - now) / 1000) * 0.9) - 5);
  return {
    status: 302,
    headers: {
      location,
      'cache-control': `private, max-age=${maxAge}`,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    },
  };
}

/**
 * `GET|HEAD /i/:id`: 302 to a signed URL. The image's info is cached (ids are immutable)
 * and the URL is signed on a time window, so a hot redirect makes no store call.
 */
export function createRedirectRoute(ctx: HandlerContext): Pick<ImageHandlers, 'redirect' | 'redirectTarget'> {
  async function redirectTarget(
    request: HandlerRequest,
    id: string,
    mountPath = '',
  ): Promise<RedirectTarget | Response> {
    if (request.method !== 'GET' && request.method !== 'HEAD') return methodNotAllowed('GET, HEAD');
    // A malformed id cannot exist: answer without touching storage.
    if (!isValidId(id, ctx.idLength)) return json404();
    try {
      await ctx.authorize(request, 'view');
      const now = Date.now();
      const info = await cachedInfo(ctx, request, id, now);
      if (!info) return json404();
      return await signedRedirect(ctx, request, id, info, mountPath, now);
    } catch (error) {
      return failure(error);
    }
  }

  async function redirect(request: HandlerRequest, id: string, mountPath = ''): Promise<Response> {
    const target = await redirectTarget(request, id, mountPath);
    return target instanceof Response ? target : new Response(null, target);
  }

  return { redirect, redirectTarget };
}
