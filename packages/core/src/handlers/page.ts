import { isLocallyServed } from '../local.js';
import { CLIENT_SCRIPT } from './client-script.js';
import { type HandlerContext, mountPrefix } from './context.js';
import { uploadsUrl } from './direct.js';
import { escapeHtml, htmlResponse, nonce, scriptJson } from './html.js';
import type { HandlerRequest, ImageHandlers } from './options.js';
import { methodNotAllowed } from './respond.js';

/** Inputs of the upload page. */
export interface UploadPageOptions {
  /** Where the page posts each file (the mount prefix included), e.g. `/upload`. */
  uploadUrl: string;
  /** The multipart field that carries the file, e.g. `file`. */
  fieldName: string;
  /** Largest file in bytes; bigger files are refused in the page before anything is sent. */
  maxBytes: number;
  /** Accepted media types, shown in the hint and given to the file picker's `accept`. */
  allowedTypes: readonly string[];
  /** The document title and heading. */
  title: string;
  /**
   * Asks for an API key (a password field, `#key`) and sends it as `Authorization: Bearer`
   * with every upload: for hosts with `apiKeys`. Default `false`.
   */
  apiKey?: boolean;
  /**
   * The direct-upload route (the mount prefix included), e.g. `/uploads`, when the server offers
   * direct uploads: the page then sends the bytes straight to storage. Default: none.
   */
  uploadsUrl?: string;
}

/**
 * The upload page: a plain HTML document with no build step and no external assets.
 * It takes files however a person gives them: the file picker (several at once), a drop
 * anywhere on the page, or a paste from the clipboard (a screenshot). Files go up one after
 * another, each as an item of a list with its own progress bar (XHR upload events), then its
 * link (`[data-link]`), a copy button and a preview, or its own readable error (the server's
 * `error.message`). Its script and style run under a per-response CSP nonce, with no inline
 * handlers; filenames reach the document only as text.
 *
 * @example
 * ```ts
 * const { html, nonce } = renderUploadPage({
 *   uploadUrl: '/upload',
 *   fieldName: 'file',
 *   maxBytes: 10 * 1024 * 1024,
 *   allowedTypes: ['image/jpeg', 'image/png'],
 *   title: 'My images',
 * });
 * // Serve `html` with `Content-Security-Policy: script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; …`
 * ```
 */
export function renderUploadPage(options: UploadPageOptions): { html: string; nonce: string } {
  const n = nonce();
  const mb = (options.maxBytes / 1024 / 1024).toFixed(options.maxBytes % (1024 * 1024) === 0 ? 0 : 1);
  const config = {
    uploadUrl: options.uploadUrl,
    uploadsUrl: options.uploadsUrl ?? '',
    fieldName: options.fieldName,
    maxBytes: options.maxBytes,
    limit: `${mb} MiB`,
  };
  const kinds = options.allowedTypes.map((t) => t.replace('image/', '').replace('+xml', '').toUpperCase()).join(', ');
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(options.title)}</title>
<style nonce="${n}">
  :root { color-scheme: light dark; --accent: #2563eb; --bad: #dc2626; --ok: #16a34a; --line: #8884; --soft: #8881; }
  * { box-sizing: border-box; }
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0; display: grid; place-items: center; min-height: 100vh; }
  main { width: min(38rem, 92vw); padding: 2rem 0; }
  h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
  p.hint { margin: 0 0 1.25rem; opacity: .75; }
  kbd { font: .85em ui-monospace, monospace; border: 1px solid var(--line); border-radius: 4px; padding: 0 .3em; }
  #drop { display: block; border: 2px dashed var(--line); border-radius: 12px; padding: 2.25rem 1rem; text-align: center; cursor: pointer; }
  #drop:hover, body.dragging #drop { border-color: var(--accent); background: #2563eb14; }
  #drop input { display: block; margin: .75rem auto 0; }
  #overlay { position: fixed; inset: .75rem; display: grid; place-items: center; border: 3px dashed var(--accent);
    border-radius: 16px; background: #2563eb1f; backdrop-filter: blur(3px); pointer-events: none; visibility: hidden; }
  #overlay span { background: var(--accent); color: #fff; font-size: 1.3rem; font-weight: 700; padding: .7rem 1.6rem;
    border-radius: 999px; box-shadow: 0 6px 24px #0003; }
  body.dragging #overlay { visibility: visible; }
  #uploads { list-style: none; margin: 1.25rem 0 0; padding: 0; display: grid; gap: .75rem; }
  .item { display: grid; grid-template-columns: 4.5rem minmax(0, 1fr); gap: .85rem; align-items: center; padding: .75rem;
    border: 1px solid var(--line); border-radius: 10px; }
  .item[data-state="error"] { border-color: #dc262680; }
  .thumb { width: 4.5rem; height: 4.5rem; border-radius: 8px; background: var(--soft); display: grid; place-items: center;
    overflow: hidden; font-size: .7rem; font-weight: 700; opacity: .9; text-transform: uppercase; color: inherit; text-decoration: none; }
  .thumb img { width: 100%; height: 100%; object-fit: cover; display: block; }
  .thumb img[hidden] { display: none; }
  .body { min-width: 0; display: grid; grid-template-columns: minmax(0, 1fr); gap: .35rem; }
  .title { display: flex; gap: .5rem; align-items: baseline; }
  .name { min-width: 0; font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .meta { flex: none; opacity: .7; font-size: .85rem; white-space: nowrap; }
  .status { margin: 0; font-size: .9rem; opacity: .8; }
  .item[data-state="done"] .status { color: var(--ok); opacity: 1; }
  .error { margin: 0; color: var(--bad); font-weight: 600; font-size: .95rem; }
  progress { width: 100%; height: .6rem; }
  [hidden] { display: none !important; }
  .row { display: flex; gap: .5rem; }
  .key { display: flex; gap: .5rem; align-items: center; margin: 0 0 1rem; }
  .key input { flex: 1; min-width: 0; font: inherit; padding: .35rem .55rem; border: 1px solid var(--line); border-radius: 6px; }
  .row input { flex: 1; min-width: 0; font: inherit; font-size: .9rem; padding: .35rem .55rem; border: 1px solid var(--line); border-radius: 6px; }
  button { font: inherit; font-size: .9rem; padding: .35rem .85rem; border: 0; border-radius: 6px; background: var(--accent); color: #fff; cursor: pointer; }
</style>
</head>
<body>
<main>
  <h1>${escapeHtml(options.title)}</h1>
  <p class="hint">Upload images (${escapeHtml(kinds)}, up to ${mb} MiB each) and get links to share.
    Drop them anywhere on this page, paste one with <kbd>Ctrl</kbd>+<kbd>V</kbd>, or choose several.</p>
  ${
    options.apiKey
      ? '<p class="key"><label for="key">API key</label> <input id="key" type="password" autocomplete="current-password" spellcheck="false"></p>'
      : ''
  }
  <label id="drop" for="file">Drop images here, or choose them
    <input id="file" type="file" multiple name="${escapeHtml(options.fieldName)}" accept="${escapeHtml(options.allowedTypes.join(','))}">
  </label>
  <ol id="uploads" aria-live="polite" aria-label="Uploads"></ol>
</main>
<div id="overlay" aria-hidden="true"><span>Drop to upload</span></div>
<script nonce="${n}">${CLIENT_SCRIPT}</script>
<script nonce="${n}">
(() => {
  const config = ${scriptJson(config)};
  const input = document.getElementById('file');
  const list = document.getElementById('uploads');
  const queue = [];
  let busy = false;

  const size = (bytes) =>
    bytes < 1024 ? bytes + ' B' : bytes < 1048576 ? Math.round(bytes / 1024) + ' KiB' : (bytes / 1048576).toFixed(1) + ' MiB';
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // One list item per file, shown at once, so a person sees the whole batch and its order.
  function addItem(file) {
    const item = el('li', 'item');
    item.dataset.state = 'queued';
    const thumb = el('a', 'thumb');
    thumb.target = '_blank';
    thumb.rel = 'noopener';
    const dot = file.name.lastIndexOf('.');
    const kind = el('span', '', dot > 0 ? file.name.slice(dot + 1, dot + 5) : '');
    const preview = el('img');
    preview.alt = 'Preview of ' + file.name;
    preview.hidden = true;
    preview.dataset.preview = '';
    preview.addEventListener('load', () => { kind.hidden = true; preview.hidden = false; });
    thumb.append(kind, preview);
    const body = el('div', 'body');
    const title = el('div', 'title');
    const name = el('span', 'name', file.name);
    name.dataset.name = '';
    name.title = file.name;
    title.append(name, el('span', 'meta', size(file.size)));
    const progress = el('progress');
    progress.max = 100;
    progress.value = 0;
    progress.hidden = true;
    progress.setAttribute('aria-label', 'Upload progress of ' + file.name);
    const status = el('p', 'status', 'Waiting…');
    const error = el('p', 'error');
    error.dataset.error = '';
    error.hidden = true;
    const row = el('div', 'row');
    row.hidden = true;
    const link = el('input');
    link.type = 'text';
    link.readOnly = true;
    link.dataset.link = '';
    link.setAttribute('aria-label', 'Link to ' + file.name);
    const copy = el('button', '', 'Copy link');
    copy.type = 'button';
    copy.dataset.copy = '';
    copy.addEventListener('click', async () => {
      try { await navigator.clipboard.writeText(link.value); }
      catch { link.select(); document.execCommand('copy'); }
      copy.textContent = 'Copied!';
      setTimeout(() => { copy.textContent = 'Copy link'; }, 1500);
    });
    row.append(link, copy);
    body.append(title, progress, status, error, row);
    item.append(thumb, body);
    list.append(item);
    return { item, thumb, preview, progress, status, error, row, link };
  }

  function fail(view, message) {
    view.item.dataset.state = 'error';
    view.progress.hidden = true;
    view.status.hidden = true;
    view.error.textContent = message;
    view.error.hidden = false;
  }

  function succeed(view, body) {
    const absolute = new URL(body.url, location.href).href;
    view.item.dataset.state = 'done';
    view.progress.hidden = true;
    view.status.textContent = 'Uploaded';
    view.link.value = absolute;
    view.thumb.href = absolute;
    // The thumb variant, where the server has one: a small image instead of the original.
    const thumb = body.variants && body.variants.thumb;
    if (thumb) {
      // A thumb that cannot be made (an image the server cannot decode) falls back to the original.
      view.preview.addEventListener('error', () => { view.preview.src = absolute; }, { once: true });
      view.preview.src = new URL(thumb, location.href).href;
    } else {
      view.preview.src = absolute;
    }
    view.row.hidden = false;
  }

  // Resolves when this file is done, whatever the outcome, so the next one can start.
  function upload(job) {
    const { file, view } = job;
    if (file.size === 0) return Promise.resolve(fail(view, 'That file is empty.'));
    if (file.size > config.maxBytes) {
      return Promise.resolve(fail(view, 'That file is too large: the limit is ' + config.limit + '.'));
    }
    const key = document.getElementById('key')?.value.trim();
    view.item.dataset.state = 'uploading';
    view.status.textContent = 'Uploading…';
    view.progress.hidden = false;
    // @imgstash/client, inlined above: straight to storage when the server offers it.
    return imgstash
      .upload(file, {
        uploadUrl: config.uploadUrl,
        uploadsUrl: config.uploadsUrl || undefined,
        mode: config.uploadsUrl ? 'auto' : 'multipart',
        fieldName: config.fieldName,
        headers: key ? { authorization: 'Bearer ' + key } : undefined,
        onProgress: (p) => {
          if (!p.total) return;
          view.progress.value = Math.round((p.loaded / p.total) * 100);
          view.status.textContent = 'Uploading… ' + view.progress.value + '%';
        },
      })
      .then(
        (image) => succeed(view, image),
        (error) => fail(view, error && error.name === 'AbortError' ? 'The upload was interrupted.' : (error && error.message) || 'The upload failed.'),
      );
  }

  async function drain() {
    if (busy) return;
    busy = true;
    while (queue.length) await upload(queue.shift());
    busy = false;
  }

  function enqueue(files) {
    for (const file of files) queue.push({ file, view: addItem(file) });
    drain();
  }

  input.addEventListener('change', () => {
    const files = Array.from(input.files || []);
    // Cleared so that choosing the same file again is a new upload.
    input.value = '';
    enqueue(files);
  });

  // The whole document takes a drop: a drop beside the box would otherwise make the browser
  // navigate away to the raw file. Drags that carry no files (a text selection) are left alone.
  const carriesFiles = (e) => !!e.dataTransfer && Array.from(e.dataTransfer.types).includes('Files');
  let depth = 0;
  const dragging = (on) => document.body.classList.toggle('dragging', on);
  document.addEventListener('dragenter', (e) => {
    if (!carriesFiles(e)) return;
    e.preventDefault();
    depth++;
    dragging(true);
  });
  document.addEventListener('dragover', (e) => {
    if (!carriesFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
  });
  document.addEventListener('dragleave', (e) => {
    if (!carriesFiles(e)) return;
    depth = Math.max(0, depth - 1);
    if (depth === 0) dragging(false);
  });
  document.addEventListener('drop', (e) => {
    if (!carriesFiles(e)) return;
    e.preventDefault();
    depth = 0;
    dragging(false);
    enqueue(Array.from(e.dataTransfer.files));
  });

  // A pasted screenshot arrives as a file item of the clipboard; pasted text is left alone.
  document.addEventListener('paste', (e) => {
    const items = e.clipboardData ? Array.from(e.clipboardData.items) : [];
    const files = [];
    for (const item of items) {
      const file = item.kind === 'file' ? item.getAsFile() : null;
      if (!file) continue;
      const ext = (file.type.split('/')[1] || 'bin').replace('+xml', '');
      files.push(file.name ? file : new File([file], 'pasted image.' + ext, { type: file.type }));
    }
    if (files.length === 0) return;
    e.preventDefault();
    enqueue(files);
  });
})();
</script>
</body>
</html>
`;
  return { html, nonce: n };
}

/** `GET|HEAD /`: the upload page, under a per-response CSP nonce. */
export function createPageRoute(ctx: HandlerContext): ImageHandlers['page'] {
  const { policy, fieldName, paths, options } = ctx;
  return function page(request: HandlerRequest, mountPath = ''): Response {
    if (request.method !== 'GET' && request.method !== 'HEAD') return methodNotAllowed('GET, HEAD');
    const direct = uploadsUrl(ctx, mountPath);
    const { html, nonce } = renderUploadPage({
      uploadUrl: mountPrefix(mountPath) + paths.upload,
      ...(direct === null ? {} : { uploadsUrl: direct }),
      fieldName,
      maxBytes: policy.maxBytes,
      allowedTypes: policy.allowedTypes,
      title: options.title ?? 'imgstash',
      apiKey: options.apiKeys !== undefined,
    });
    // Direct uploads to a bucket go to its origin; a local store's go to this one.
    const origins = options.directUploads ? options.directUploads.uploadOrigins : undefined;
    const remote = direct !== null && !isLocallyServed(ctx.store);
    const connect = remote ? `'self' ${origins ? origins.join(' ') : 'https:'}` : "'self'";
    return htmlResponse(html, { nonce, head: request.method === 'HEAD', connect });
  };
}
