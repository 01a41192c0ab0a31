import { type HandlerContext, mountPrefix } from './context.js';
import type { HandlerRequest, ImageHandlers } from './options.js';
import { methodNotAllowed } from './respond.js';

/** Inputs of the upload page. */
export interface UploadPageOptions {
  uploadUrl: string;
  fieldName: string;
  maxBytes: number;
  allowedTypes: readonly string[];
  title: string;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// JSON inside a <script> must not be able to close the tag.
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

function nonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes));
}

/**
 * The upload page: a plain HTML document with no build step and no external assets.
 * File picker, drag and drop, a progress bar (XHR upload events), a preview, a copy-link
 * button and readable errors. Its script and style run under a per-response CSP nonce.
 */
export function renderUploadPage(options: UploadPageOptions): { html: string; nonce: string } {
  const n = nonce();
  const config = {
    uploadUrl: options.uploadUrl,
    fieldName: options.fieldName,
    maxBytes: options.maxBytes,
    accept: options.allowedTypes,
  };
  const mb = (options.maxBytes / 1024 / 1024).toFixed(options.maxBytes % (1024 * 1024) === 0 ? 0 : 1);
  const kinds = options.allowedTypes.map((t) => t.replace('image/', '').replace('+xml', '').toUpperCase()).join(', ');
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(options.title)}</title>
<style nonce="${n}">
  :root { color-scheme: light dark; --accent: #2563eb; --bad: #dc2626; --line: #8884; }
  * { box-sizing: border-box; }
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0; display: grid; place-items: center; min-height: 100vh; }
  main { width: min(36rem, 92vw); padding: 2rem 0; }
  h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
  p.hint { margin: 0 0 1.25rem; opacity: .75; }
  #drop { display: block; border: 2px dashed var(--line); border-radius: 12px; padding: 2.5rem 1rem; text-align: center; cursor: pointer; }
  #drop.over { border-color: var(--accent); background: #2563eb14; }
  #drop input { display: block; margin: .75rem auto 0; }
  progress { width: 100%; height: .75rem; margin-top: 1rem; }
  progress[hidden] { display: none; }
  #error { color: var(--bad); margin-top: 1rem; font-weight: 600; }
  #result { margin-top: 1.25rem; }
  #result img { max-width: 100%; max-height: 50vh; border-radius: 8px; display: block; margin-bottom: .75rem; }
  .row { display: flex; gap: .5rem; }
  .row input { flex: 1; font: inherit; padding: .4rem .6rem; border: 1px solid var(--line); border-radius: 6px; }
  button { font: inherit; padding: .4rem .9rem; border: 0; border-radius: 6px; background: var(--accent); color: #fff; cursor: pointer; }
</style>
</head>
<body>
<main>
  <h1>${escapeHtml(options.title)}</h1>
  <p class="hint">Upload an image (${escapeHtml(kinds)}, up to ${mb} MiB) and get a link to share.</p>
  <label id="drop" for="file">Drop an image here, or choose one
    <input id="file" type="file" name="${escapeHtml(options.fieldName)}" accept="${escapeHtml(options.allowedTypes.join(','))}">
  </label>
  <progress id="progress" max="100" value="0" hidden></progress>
  <div id="error" role="alert" hidden></div>
  <section id="result" hidden aria-live="polite">
    <img id="preview" alt="Uploaded image preview">
    <div class="row">
      <input id="link" type="text" readonly aria-label="Link to the image">
      <button id="copy" type="button">Copy link</button>
    </div>
  </section>
</main>
<script nonce="${n}">
(() => {
  const config = ${scriptJson(config)};
  const $ = (id) => document.getElementById(id);
  const drop = $('drop'), input = $('file'), progress = $('progress'), errorBox = $('error');
  const result = $('result'), preview = $('preview'), link = $('link'), copy = $('copy');

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = false;
    progress.hidden = true;
  }

  function upload(file) {
    errorBox.hidden = true;
    result.hidden = true;
    if (!file) return;
    if (file.size === 0) return showError('That file is empty.');
    if (file.size > config.maxBytes) {
      return showError('That file is too large: the limit is ' + (config.maxBytes / 1048576).toFixed(1) + ' MiB.');
    }
    const form = new FormData();
    form.append(config.fieldName, file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', config.uploadUrl);
    xhr.responseType = 'json';
    progress.value = 0;
    progress.hidden = false;
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) progress.value = Math.round((e.loaded / e.total) * 100); };
    xhr.onerror = () => showError('The upload failed: the server could not be reached.');
    xhr.onload = () => {
      const body = xhr.response;
      if (xhr.status !== 201 || !body || !body.url) {
        const message = body && body.error && body.error.message ? body.error.message : 'The upload failed (HTTP ' + xhr.status + ').';
        return showError(message);
      }
      progress.value = 100;
      const absolute = new URL(body.url, location.href).href;
      link.value = absolute;
      preview.src = absolute;
      result.hidden = false;
      progress.hidden = true;
    };
    xhr.send(form);
  }

  input.addEventListener('change', () => upload(input.files && input.files[0]));
  ['dragenter', 'dragover'].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.add('over'); }));
  ['dragleave', 'drop'].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.remove('over'); }));
  drop.addEventListener('drop', (e) => upload(e.dataTransfer && e.dataTransfer.files[0]));
  copy.addEventListener('click', async () => {
    try { await navigator.clipboard.writeText(link.value); copy.textContent = 'Copied!'; }
    catch { link.select(); document.execCommand('copy'); copy.textContent = 'Copied!'; }
    setTimeout(() => { copy.textContent = 'Copy link'; }, 1500);
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
    const { html, nonce } = renderUploadPage({
      uploadUrl: mountPrefix(mountPath) + paths.upload,
      fieldName,
      maxBytes: policy.maxBytes,
      allowedTypes: policy.allowedTypes,
      title: options.title ?? 'imgstash',
    });
    return new Response(request.method === 'HEAD' ? null : html, {
      status: 200,
      headers: {
        'content-type': 'text/html; charset=utf-8',
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
        'referrer-policy': 'no-referrer',
        'cache-control': 'no-store',
        'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; img-src * blob: data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
      },
    });
  };
}
