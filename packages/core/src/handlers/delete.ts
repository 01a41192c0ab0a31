import { readAtMost } from '../body.js';
import { withDeadline } from '../deadline.js';
import { ImageStoreError } from '../errors.js';
import { isValidId } from '../keys.js';
import { bearerToken, constantTimeEqual, sha256Hex } from '../secrets.js';
import { DELETE_TOKEN_METADATA, fromStore, type HandlerContext, mountPrefix } from './context.js';
import { escapeHtml, htmlResponse, nonce } from './html.js';
import type { HandlerRequest, ImageHandlers } from './options.js';
import { failure, json404, methodNotAllowed } from './respond.js';

/** Largest form body the confirmation page's POST may send: a token field and some slack. */
const MAX_FORM_BYTES = 4096;

/** Derived keys deleted at once. */
const DELETE_CONCURRENCY = 4;

const forbidden = () =>
  new ImageStoreError('FORBIDDEN', '[imgstash] delete refused', {
    publicMessage: 'The delete token is missing or wrong.',
  });

/**
 * Deletes image `id`: its derived keys (`<id>.<suffix>`, e.g. variants, from `store.list`),
 * the original, then the derived keys again (one made meanwhile, before the original went),
 * and this process's caches of it, before and after. Derived keys go first, so that a delete
 * that fails midway leaves the original, and its token, to retry with. A store without
 * `list` only loses the original. Not tied to the client's signal: a delete, once begun, is
 * finished even when the client goes away; every call has the lookup deadline.
 */
export async function deleteImage(ctx: HandlerContext, id: string): Promise<void> {
  const { store } = ctx;
  const call = <T>(run: (signal: AbortSignal) => Promise<T>) =>
    fromStore(() => withDeadline(ctx.deadlines.lookup, undefined, run));
  const sweep = async () => {
    if (!store.list) return;
    const prefix = `${id}.`;
    const keys = await call(async (signal) => {
      const found: string[] = [];
      for await (const entry of store.list?.(prefix, { signal }) ?? []) {
        if (entry.key.startsWith(prefix)) found.push(entry.key);
      }
      return found;
    });
    for (let i = 0; i < keys.length; i += DELETE_CONCURRENCY) {
      await Promise.all(
        keys.slice(i, i + DELETE_CONCURRENCY).map((key) => call((signal) => store.delete(key, { signal }))),
      );
    }
  };
  ctx.forget(id);
  await sweep();
  await call((signal) => store.delete(id, { signal }));
  ctx.forget(id);
  await sweep();
  ctx.forget(id);
}

/**
 * Throws unless `request` may delete `id`: `authorize(request, 'delete')` answering `true`
 * (when `admin` is allowed), or `token` hashing to the image's stored `delete-token-sha256`,
 * compared in constant time. A missing image is a 404.
 */
async function permit(
  ctx: HandlerContext,
  request: HandlerRequest,
  id: string,
  token: string | undefined,
  admin: boolean,
): Promise<void> {
  const verdict = await ctx.options.authorize?.(request, 'delete');
  if (verdict === false) throw forbidden();
  const info = await ctx.lookup(request, (signal) => ctx.store.stat(id, { signal }));
  if (!info) throw new ImageStoreError('NOT_FOUND', '[imgstash] no such image', { publicMessage: 'Not found.' });
  if (admin && verdict === true) return;
  // Hash whatever was presented, so that a missing or odd token takes the same path.
  const presented = await sha256Hex(token ?? '');
  const expected = info.metadata[DELETE_TOKEN_METADATA] ?? '';
  if (token === undefined || expected.length !== presented.length || !constantTimeEqual(presented, expected)) {
    throw forbidden();
  }
}

/** The `token` field of an `application/x-www-form-urlencoded` body, read up to a bound. */
async function formToken(request: HandlerRequest): Promise<string | undefined> {
  const type = request.headers.get('content-type') ?? '';
  if (!request.body || !/^application\/x-www-form-urlencoded\s*(;|$)/i.test(type)) return undefined;
  const bytes = await readAtMost(
    request.body,
    MAX_FORM_BYTES,
    () =>
      new ImageStoreError('PAYLOAD_TOO_LARGE', '[imgstash] delete form too large', {
        publicMessage: 'The form is too large.',
      }),
  );
  return new URLSearchParams(new TextDecoder().decode(bytes)).get('token') ?? undefined;
}

const PAGE_STYLE = `
  :root { color-scheme: light dark; --accent: #dc2626; --line: #8884; }
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0; display: grid; place-items: center; min-height: 100vh; }
  main { width: min(32rem, 92vw); padding: 2rem 0; text-align: center; }
  h1 { font-size: 1.5rem; margin: 0 0 1rem; }
  img { max-width: 100%; max-height: 50vh; border-radius: 8px; border: 1px solid var(--line); }
  form { display: grid; gap: .75rem; margin-top: 1rem; }
  input { font: inherit; padding: .4rem .6rem; border: 1px solid var(--line); border-radius: 6px; }
  button { font: inherit; padding: .5rem 1rem; border: 0; border-radius: 6px; background: var(--accent); color: #fff; cursor: pointer; }
  button:disabled { opacity: .6; cursor: default; }
  [hidden] { display: none !important; }`;

function page(title: string, n: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${escapeHtml(title)}</title>
<style nonce="${n}">${PAGE_STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

/**
 * The confirmation page. Opening it deletes nothing (Slack, Discord and mail scanners open
 * links); its button POSTs. The token comes from the URL fragment, which no browser sends,
 * so it is never in a request line, a log or a Referer; the script moves it into the form and
 * drops it from the address bar. Without a fragment (or without script), the person pastes it.
 */
function confirmationPage(imageUrl: string, action: string): { html: string; nonce: string } {
  const n = nonce();
  const body = `<h1>Delete this image?</h1>
<p><img src="${escapeHtml(imageUrl)}" alt="The image to delete"></p>
<form id="delete" method="post" action="${escapeHtml(action)}">
  <label id="token-field">Delete token <input id="token" name="token" type="password" autocomplete="off" required></label>
  <button id="confirm" type="submit">Delete image</button>
</form>
<p id="status" role="status" aria-live="polite"></p>
<script nonce="${n}">
(() => {
  const form = document.getElementById('delete');
  const input = document.getElementById('token');
  const button = document.getElementById('confirm');
  const status = document.getElementById('status');
  let fromFragment = '';
  try {
    fromFragment = decodeURIComponent(location.hash.slice(1));
  } catch {
    // A mangled fragment is no token: the person pastes it instead.
  }
  if (fromFragment) {
    input.value = fromFragment;
    document.getElementById('token-field').hidden = true;
    // The token should not stay in the address bar, the history or a synced tab.
    history.replaceState(null, '', location.pathname + location.search);
  }
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    button.disabled = true;
    status.textContent = 'Deleting…';
    document.body.dataset.state = 'deleting';
    try {
      const res = await fetch(form.action, {
        method: 'POST',
        headers: { accept: 'application/json' },
        body: new URLSearchParams({ token: input.value }),
      });
      if (res.status === 204) {
        form.hidden = true;
        document.querySelector('img')?.remove();
        status.textContent = 'Deleted.';
        document.body.dataset.state = 'deleted';
        return;
      }
      const answer = await res.json().catch(() => null);
      status.textContent = answer?.error?.message ?? 'The image could not be deleted.';
    } catch {
      status.textContent = 'The request failed. Try again.';
    }
    document.body.dataset.state = 'error';
    document.getElementById('token-field').hidden = false;
    button.disabled = false;
  });
})();
</script>`;
  return { html: page('Delete image?', n, body), nonce: n };
}

/** `DELETE /i/:id` and `GET|HEAD|POST /d/:id`, over {@link deleteImage}. */
export function createDeleteRoutes(ctx: HandlerContext): Pick<ImageHandlers, 'remove' | 'deletePage' | 'deleteImage'> {
  async function remove(request: HandlerRequest, id: string): Promise<Response> {
    if (request.method !== 'DELETE') return methodNotAllowed('GET, HEAD, DELETE');
    if (!isValidId(id, ctx.idLength)) return json404();
    try {
      await permit(ctx, request, id, bearerToken(request.headers), true);
      await deleteImage(ctx, id);
      return new Response(null, { status: 204, headers: { 'cache-control': 'no-store' } });
    } catch (error) {
      return failure(error);
    }
  }

  async function deletePage(request: HandlerRequest, id: string, mountPath = ''): Promise<Response> {
    const { method } = request;
    if (method !== 'GET' && method !== 'HEAD' && method !== 'POST') return methodNotAllowed('GET, HEAD, POST');
    if (!isValidId(id, ctx.idLength)) return json404();
    const mount = mountPrefix(mountPath);
    try {
      if (method === 'POST') {
        // Only the token deletes here: an admin's cookie must not, or any site could post
        // this form for them (CSRF). Admins send DELETE, which a cross-site form cannot.
        const token = bearerToken(request.headers) ?? (await formToken(request));
        await permit(ctx, request, id, token, false);
        await deleteImage(ctx, id);
        if (!(request.headers.get('accept') ?? '').includes('text/html')) {
          return new Response(null, { status: 204, headers: { 'cache-control': 'no-store' } });
        }
        // A form posted without script: a page to land on.
        const n = nonce();
        return htmlResponse(
          page('Image deleted', n, '<h1>Image deleted</h1>\n<p>The image and its links are gone.</p>'),
          {
            nonce: n,
            noindex: true,
          },
        );
      }
      const info = await ctx.lookup(request, (signal) => ctx.store.stat(id, { signal }));
      if (!info) return json404();
      const { html, nonce: n } = confirmationPage(
        `${mount}${ctx.paths.image}/${id}`,
        `${mount}${ctx.paths.delete}/${id}`,
      );
      return htmlResponse(html, { nonce: n, noindex: true, head: method === 'HEAD' });
    } catch (error) {
      return failure(error);
    }
  }

  async function deleteById(id: string): Promise<void> {
    if (!isValidId(id, ctx.idLength)) {
      throw new ImageStoreError('INVALID_INPUT', '[imgstash] deleteImage needs an image id', {
        publicMessage: 'The id is invalid.',
      });
    }
    await deleteImage(ctx, id);
  }

  return { remove, deletePage, deleteImage: deleteById };
}
