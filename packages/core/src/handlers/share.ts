import { isValidId } from '../keys.js';
import type { HandlerContext } from './context.js';
import { escapeHtml, htmlResponse, nonce } from './html.js';
import type { HandlerRequest, ImageHandlers } from './options.js';
import { failure, json404, methodNotAllowed } from './respond.js';

/** Facts the share page shows. */
interface ShareFacts {
  title: string;
  /** The stable link `/i/<id>`, absolute when `absolute`. */
  imageUrl: string;
  pageUrl: string;
  contentType: string;
  width?: number;
  height?: number;
  /** Whether links are absolute, as OpenGraph and Twitter cards require. */
  absolute: boolean;
}

const dimension = (value: string | undefined): number | undefined =>
  value !== undefined && /^[1-9]\d{0,5}$/.test(value) ? Number(value) : undefined;

function sharePage(facts: ShareFacts, n: string): string {
  const e = escapeHtml;
  const meta = (attr: 'property' | 'name', key: string, value: string | number) =>
    `<meta ${attr}="${key}" content="${e(String(value))}">`;
  const size = facts.width !== undefined && facts.height !== undefined;
  // Unfurlers need absolute URLs: a root-relative og:image is a broken card, so none is emitted.
  const cards = facts.absolute
    ? [
        meta('property', 'og:type', 'website'),
        meta('property', 'og:title', facts.title),
        meta('property', 'og:url', facts.pageUrl),
        meta('property', 'og:image', facts.imageUrl),
        meta('property', 'og:image:type', facts.contentType),
        ...(size
          ? [
              meta('property', 'og:image:width', facts.width ?? 0),
              meta('property', 'og:image:height', facts.height ?? 0),
            ]
          : []),
        meta('property', 'og:image:alt', facts.title),
        meta('name', 'twitter:card', 'summary_large_image'),
        meta('name', 'twitter:title', facts.title),
        meta('name', 'twitter:image', facts.imageUrl),
        `<link rel="canonical" href="${e(facts.pageUrl)}">`,
      ].join('\n')
    : '';
  const note = facts.absolute
    ? ''
    : `<p class="note" data-note="no-public-base-url">Link previews are off: this server does not know its public address.
  Set <code>publicBaseUrl</code> (or <code>trustProxy</code> behind a proxy that sets X-Forwarded-Host and X-Forwarded-Proto)
  so that this page can carry absolute links.</p>`;
  const dims = size ? ` width="${facts.width}" height="${facts.height}"` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(facts.title)}</title>
${cards}
<style nonce="${n}">
  :root { color-scheme: light dark; }
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0; display: grid; place-items: center; min-height: 100vh; }
  main { width: min(64rem, 96vw); padding: 1.5rem 0; text-align: center; }
  h1 { font-size: 1.1rem; font-weight: 600; margin: 0 0 1rem; overflow-wrap: anywhere; }
  img { max-width: 100%; height: auto; max-height: 80vh; }
  .note { margin: 1rem auto 0; max-width: 40rem; font-size: .9rem; opacity: .8; }
</style>
</head>
<body>
<main>
<h1>${e(facts.title)}</h1>
<a href="${e(facts.imageUrl)}"><img src="${e(facts.imageUrl)}" alt="${e(facts.title)}"${dims}></a>
${note}
</main>
</body>
</html>
`;
}

/**
 * `GET|HEAD /p/:id`: the page to share. It shows the image, and its OpenGraph and Twitter
 * tags point at the stable link `/i/<id>`, never at a presigned URL (those die within hours,
 * and unfurlers cache cards for days). Width and height come from the object's metadata
 * when the upload pipeline stored them. The filename is the title, as text only.
 */
export function createShareRoute(ctx: HandlerContext): ImageHandlers['share'] {
  return async function share(request: HandlerRequest, id: string, mountPath = ''): Promise<Response> {
    if (request.method !== 'GET' && request.method !== 'HEAD') return methodNotAllowed('GET, HEAD');
    if (!isValidId(id, ctx.idLength)) return json404();
    try {
      await ctx.authorize(request, 'view');
      const info = await ctx.lookup(request, (signal) => ctx.store.stat(id, { signal }));
      if (!info) return json404();
      const base = ctx.linkBase(request, mountPath);
      const width = dimension(info.metadata.width);
      const height = dimension(info.metadata.height);
      const n = nonce();
      const html = sharePage(
        {
          title: info.filename ?? 'Image',
          imageUrl: `${base}${ctx.paths.image}/${id}`,
          pageUrl: `${base}${ctx.paths.share}/${id}`,
          contentType: info.contentType,
          ...(width !== undefined && height !== undefined ? { width, height } : {}),
          absolute: /^https?:\/\//.test(base),
        },
        n,
      );
      return htmlResponse(html, {
        nonce: n,
        connect: "'none'",
        // Short, so that a deleted image's page does not outlive it for long in a CDN.
        cacheControl: ctx.options.authorize ? 'private, max-age=60' : 'public, max-age=60',
        head: request.method === 'HEAD',
      });
    } catch (error) {
      return failure(error);
    }
  };
}
