import { isValidId } from '../keys.js';
import type { CachedInfo, HandlerContext } from './context.js';
import type { HandlerRequest, ImageHandlers, RedirectTarget } from './options.js';
import { failure, json404, methodNotAllowed } from './respond.js';

/**
 * `GET|HEAD /i/:id`: 302 to a signed URL. The image's info is cached (ids are immutable)
 * and the URL is signed on a time window, so a hot redirect makes no store call.
 */
export function createRedirectRoute(ctx: HandlerContext): Pick<ImageHandlers, 'redirect' | 'redirectTarget'> {
  const { store, infoCache, urlCache, ttl, window } = ctx;

  async function signedLocation(
    request: HandlerRequest,
    id: string,
    info: CachedInfo,
    now: number,
  ): Promise<{ url: string; until: number }> {
    const signedAt = Math.floor(now / 1000 / window) * window * 1000;
    const cacheKey = `${id}@${signedAt}`;
    const until = signedAt + ttl * 1000;
    const cached = urlCache.get(cacheKey, now);
    if (cached) return { url: cached, until };
    const isSvg = info.contentType === 'image/svg+xml';
    const url = await ctx.lookup(request, (signal) =>
      store.signedUrl(id, {
        expiresIn: ttl,
        signedAt,
        contentType: info.contentType,
        // SVG can carry script: never render it inline from the storage origin.
        ...(isSvg ? { disposition: 'attachment' as const } : {}),
        signal,
      }),
    );
    urlCache.set(cacheKey, url, signedAt + window * 1000);
    return { url, until };
  }

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
      let info = infoCache.get(id, now);
      if (!info) {
        const stat = await ctx.lookup(request, (signal) => store.stat(id, { signal }));
        if (!stat) return json404();
        info = { contentType: stat.contentType };
        // Ids are immutable: a positive answer stays true until deleted.
        infoCache.set(id, info, now + ctx.infoTtl);
      }
      const { url, until } = await signedLocation(request, id, info, now);
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
