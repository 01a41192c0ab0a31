import type { HandlerContext } from './context.js';
import type { HandlerRequest, ImageHandlers, RouteMatch } from './options.js';
import { json404 } from './respond.js';

/** The route functions the router dispatches to. */
export interface Routes {
  upload(request: HandlerRequest, mountPath: string): Promise<Response>;
  redirect(request: HandlerRequest, id: string, mountPath: string): Promise<Response>;
  variant(request: HandlerRequest, id: string, preset: string, mountPath: string): Promise<Response>;
  serve(request: HandlerRequest, key: string): Promise<Response>;
  page(request: HandlerRequest, mountPath: string): Response;
  health(request: HandlerRequest): Promise<Response>;
  deletePage(request: HandlerRequest, id: string, mountPath: string): Promise<Response>;
  share(request: HandlerRequest, id: string, mountPath: string): Promise<Response>;
  sharex(request: HandlerRequest, mountPath: string): Promise<Response>;
  startUpload(request: HandlerRequest, mountPath: string): Promise<Response>;
  completeUpload(request: HandlerRequest, uploadId: string, mountPath: string): Promise<Response>;
}

/** The path of a request URL, as sent (not percent-decoded), without its query. */
export function pathOf(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  const end = url.indexOf('?', start);
  return start < 0 ? '/' : url.slice(start, end < 0 ? undefined : end);
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return '';
  }
}

/** Matches paths to routes and dispatches; it holds no behaviour of its own. */
export function createRouter(ctx: HandlerContext, routes: Routes): Pick<ImageHandlers, 'match' | 'dispatch' | 'fetch'> {
  const { paths } = ctx;
  const imagePrefix = `${paths.image}/`;
  const filesPrefix = paths.files === null ? null : `${paths.files}/`;
  const deletePrefix = `${paths.delete}/`;
  const sharePrefix = paths.share === false ? null : `${paths.share}/`;
  const uploadsPrefix = `${paths.uploads}/`;

  function match(path: string): RouteMatch | undefined {
    if (path === paths.upload) return { route: 'upload', params: {} };
    if (path === paths.health) return { route: 'health', params: {} };
    if (path === paths.sharex) return { route: 'sharex', params: {} };
    if (path.startsWith(imagePrefix)) {
      const rest = path.slice(imagePrefix.length);
      const slash = rest.indexOf('/');
      if (slash < 0) return { route: 'redirect', params: { id: rest } };
      return { route: 'variant', params: { id: rest.slice(0, slash), preset: rest.slice(slash + 1) } };
    }
    if (path.startsWith(deletePrefix)) return { route: 'delete', params: { id: path.slice(deletePrefix.length) } };
    if (sharePrefix !== null && path.startsWith(sharePrefix)) {
      return { route: 'share', params: { id: path.slice(sharePrefix.length) } };
    }
    if (filesPrefix !== null && path.startsWith(filesPrefix)) {
      return { route: 'serve', params: { key: path.slice(filesPrefix.length) } };
    }
    if (path === paths.uploads) return { route: 'uploads', params: {} };
    if (path.startsWith(uploadsPrefix) && path.endsWith('/complete')) {
      const uploadId = path.slice(uploadsPrefix.length, -'/complete'.length);
      if (uploadId && !uploadId.includes('/')) return { route: 'complete', params: { uploadId } };
    }
    if (paths.page !== false && path === paths.page) return { route: 'page', params: {} };
    return undefined;
  }

  async function dispatch(found: RouteMatch, request: HandlerRequest, mountPath = ''): Promise<Response> {
    const { params } = found;
    switch (found.route) {
      case 'upload':
        return routes.upload(request, mountPath);
      case 'redirect':
        return routes.redirect(request, params.id ?? '', mountPath);
      case 'variant':
        return routes.variant(request, params.id ?? '', params.preset ?? '', mountPath);
      case 'serve':
        return routes.serve(request, safeDecode(params.key ?? ''));
      case 'page':
        return routes.page(request, mountPath);
      case 'health':
        return routes.health(request);
      case 'delete':
        return routes.deletePage(request, params.id ?? '', mountPath);
      case 'share':
        return routes.share(request, params.id ?? '', mountPath);
      case 'sharex':
        return routes.sharex(request, mountPath);
      case 'uploads':
        return routes.startUpload(request, mountPath);
      case 'complete':
        return routes.completeUpload(request, safeDecode(params.uploadId ?? ''), mountPath);
    }
  }

  async function fetch(request: HandlerRequest, mountPath = ''): Promise<Response> {
    const mount = mountPath === '/' ? '' : mountPath.replace(/\/+$/, '');
    let path = pathOf(request.url);
    if (mount && path.startsWith(mount)) path = path.slice(mount.length) || '/';
    const found = match(path);
    return found ? dispatch(found, request, mount) : json404();
  }

  return { match, dispatch, fetch };
}
