import type { StartedUpload as Started, UploadedImage } from '@imgstash/core';

/** How far a transfer has got, in bytes of the file. */
export interface UploadProgress {
  loaded: number;
  total: number;
}

/** Options for {@link upload}. */
export interface UploadOptions {
  /**
   * Where imgstash's routes are mounted: `''` (the page's own origin, the default), a path such
   * as `/img`, or an origin such as `https://img.example.com`.
   */
  endpoint?: string;
  /** The multipart upload route. Default `<endpoint>/upload`. */
  uploadUrl?: string;
  /** The direct-upload route. Default `<endpoint>/uploads`. */
  uploadsUrl?: string;
  /**
   * `auto` (the default) sends the bytes straight to storage when the server offers direct
   * uploads (`POST /uploads` answers 201) and posts them to `/upload` when it does not (404 or
   * 405); `direct` and `multipart` use one way only.
   */
  mode?: 'auto' | 'direct' | 'multipart';
  /** Called as the file's bytes go up. */
  onProgress?: (progress: UploadProgress) => void;
  /** Aborts the upload: the promise rejects with an `AbortError`. */
  signal?: AbortSignal;
  /**
   * Retries of a request that failed on the way (a network error, 408, 429, 502, 503, 504), per
   * step, with exponential backoff from 500 ms. Default 2. A multipart upload is retried only when
   * no answer came back or on 503, since it is not idempotent; `complete` is, and always retried.
   */
  retries?: number;
  /** Extra request headers for imgstash's routes (not storage), e.g. an API key for `authorize`. */
  headers?: Record<string, string>;
  /** The multipart field. Default `file`. */
  fieldName?: string;
}

/** A refused or failed upload: the server's `error.code` and `error.message` when it sent them. */
export class UploadError extends Error {
  override name = 'UploadError';
  /** The HTTP status, or 0 when no answer came back. */
  readonly status: number;
  /** The server's error code (e.g. `PAYLOAD_TOO_LARGE`), or `NETWORK_ERROR`. */
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

interface Reply {
  status: number;
  body: unknown;
}

interface SendOptions {
  headers?: Record<string, string> | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ((progress: UploadProgress) => void) | undefined;
  total?: number;
}

const abortError = () => new DOMException('The upload was aborted.', 'AbortError');

/** One request through XHR (fetch has no upload progress), resolving whatever the status. */
function send(method: string, url: string, body: XMLHttpRequestBodyInit | null, options: SendOptions): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const { signal } = options;
    if (signal?.aborted) return reject(abortError());
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    for (const [name, value] of Object.entries(options.headers ?? {})) xhr.setRequestHeader(name, value);
    const onAbort = () => xhr.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => signal?.removeEventListener('abort', onAbort);
    const { onProgress, total } = options;
    if (onProgress) {
      xhr.upload.addEventListener('progress', (e) => {
        const all = total ?? (e.lengthComputable ? e.total : 0);
        onProgress({ loaded: Math.min(e.loaded, all || e.loaded), total: all });
      });
    }
    let reply: Reply = { status: 0, body: null };
    let aborted = false;
    xhr.addEventListener('load', () => {
      let parsed: unknown = null;
      try {
        parsed = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        // Storage answers XML or nothing; only imgstash's JSON is read.
      }
      reply = { status: xhr.status, body: parsed };
    });
    xhr.addEventListener('abort', () => {
      aborted = true;
    });
    // Settled once the request is over whatever its outcome (after load, error or abort), so
    // the next request never starts while this one is still winding down.
    xhr.addEventListener('loadend', () => {
      done();
      if (aborted) reject(abortError());
      else resolve(reply);
    });
    xhr.send(body);
  });
}

const RETRYABLE = new Set([0, 408, 429, 502, 503, 504]);

function wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Runs `attempt` until it answers something not worth retrying, at most `retries` more times. */
async function withRetries(
  attempt: () => Promise<Reply>,
  retries: number,
  signal: AbortSignal | undefined,
  retryable: (status: number) => boolean = (status) => RETRYABLE.has(status),
): Promise<Reply> {
  for (let n = 0; ; n++) {
    const reply = await attempt();
    if (n >= retries || !retryable(reply.status)) return reply;
    // 500 ms, 1 s, 2 s, … with jitter, so that many clients do not retry in step.
    await wait(Math.min(8000, 500 * 2 ** n) * (0.75 + Math.random() / 2), signal);
  }
}

function failed(reply: Reply, what: string): UploadError {
  const error = (reply.body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (reply.status === 0)
    return new UploadError(0, 'NETWORK_ERROR', `The ${what} failed: the server could not be reached.`);
  const code = typeof error?.code === 'string' ? error.code : 'HTTP_ERROR';
  const message = typeof error?.message === 'string' ? error.message : `The ${what} failed (HTTP ${reply.status}).`;
  return new UploadError(reply.status, code, message);
}

const nameOf = (file: Blob) => (typeof (file as File).name === 'string' ? (file as File).name : 'image');

async function direct(file: Blob, started: Started, options: UploadOptions, base: string): Promise<UploadedImage> {
  const retries = options.retries ?? 2;
  const { signal } = options;
  const target = new URL(started.url, base).href;
  const sendBytes = () => {
    let body: XMLHttpRequestBodyInit = file;
    if (started.method === 'POST') {
      const form = new FormData();
      for (const [name, value] of Object.entries(started.fields ?? {})) form.append(name, value);
      form.append('file', file, nameOf(file));
      body = form;
    }
    return send(started.method, target, body, {
      headers: started.method === 'PUT' ? started.headers : undefined,
      signal,
      onProgress: options.onProgress,
      total: file.size,
    });
  };
  const stored = await withRetries(sendBytes, retries, signal);
  // The storage's own refusal (a bad signature, a policy) is not imgstash's JSON: complete
  // still runs, so the server cleans up and says why in its own words.
  if (stored.status === 0) throw failed(stored, 'upload');
  const complete = () =>
    send('POST', new URL(started.completeUrl, base).href, null, { headers: options.headers, signal });
  const done = await withRetries(complete, retries, signal);
  if (done.status !== 201) {
    if (stored.status >= 300)
      throw new UploadError(stored.status, 'STORAGE_REFUSED', 'The storage refused the upload.');
    throw failed(done, 'upload');
  }
  return done.body as UploadedImage;
}

async function multipart(file: Blob, options: UploadOptions, url: string): Promise<UploadedImage> {
  const form = new FormData();
  form.append(options.fieldName ?? 'file', file, nameOf(file));
  const reply = await withRetries(
    () =>
      send('POST', url, form, {
        headers: options.headers,
        signal: options.signal,
        onProgress: options.onProgress,
        total: file.size,
      }),
    options.retries ?? 2,
    options.signal,
    // Not idempotent: retried only when nothing was stored for sure.
    (status) => status === 0 || status === 503,
  );
  if (reply.status !== 201) throw failed(reply, 'upload');
  return reply.body as UploadedImage;
}

/**
 * Uploads one image to an imgstash server and resolves with what `/upload` answers
 * (`UploadedImage`: `id`, `url`, `contentType`, `size`, `sha256`, …). Where the server offers
 * direct uploads the bytes go straight to storage (a presigned PUT or POST), then
 * `complete` has the server verify and publish them; otherwise they are posted to `/upload`.
 * Progress comes from XHR upload events; `signal` aborts; failed requests are retried with
 * backoff. Refusals reject with an {@link UploadError} carrying the server's code and message.
 *
 * @example
 * ```ts
 * import { upload } from '@imgstash/client';
 * const image = await upload(input.files[0], {
 *   endpoint: '/img',
 *   onProgress: ({ loaded, total }) => (bar.value = loaded / total),
 * });
 * console.log(image.url);
 * ```
 */
export async function upload(file: Blob, options: UploadOptions = {}): Promise<UploadedImage> {
  const endpoint = (options.endpoint ?? '').replace(/\/+$/, '');
  const base = typeof location === 'undefined' ? 'http://localhost/' : location.href;
  const abs = (path: string) => new URL(path, base).href;
  const uploadUrl = abs(options.uploadUrl ?? `${endpoint}/upload`);
  const mode = options.mode ?? 'auto';
  if (file.size === 0) throw new UploadError(400, 'INVALID_INPUT', 'That file is empty.');
  // A file the browser cannot name a type for is left to /upload, which reads the bytes.
  if (mode === 'multipart' || (mode === 'auto' && !file.type.startsWith('image/'))) {
    return multipart(file, options, uploadUrl);
  }
  const uploadsUrl = abs(options.uploadsUrl ?? `${endpoint}/uploads`);
  const start = () =>
    send('POST', uploadsUrl, JSON.stringify({ filename: nameOf(file), size: file.size, contentType: file.type }), {
      headers: { 'content-type': 'application/json', ...options.headers },
      signal: options.signal,
    });
  const started = await withRetries(start, options.retries ?? 2, options.signal);
  if (started.status === 201) return direct(file, started.body as Started, options, uploadsUrl);
  if (mode === 'auto' && (started.status === 404 || started.status === 405)) return multipart(file, options, uploadUrl);
  throw failed(started, 'upload');
}
