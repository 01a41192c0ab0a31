import type { ImageStore } from './types.js';

/** Options for {@link checkUploadCors}. */
export interface CorsCheckOptions {
  /** The origin of the page that will upload, e.g. `https://app.example.com`. */
  origin: string;
  /** The `fetch` to send the preflight with. Default: the global one. */
  fetch?: typeof fetch;
  signal?: AbortSignal;
}

/** What {@link checkUploadCors} found. */
export interface CorsCheckResult {
  /** True when a browser on `origin` may send the store's direct uploads. */
  ok: boolean;
  /** The method the store's direct uploads use. */
  method: 'POST' | 'PUT';
  /** Where the preflight went, without the signature. */
  url: string;
  /** The preflight's status (0 when it was not needed: a store served from the app's own origin). */
  status: number;
  /** What the bucket's CORS rules lack, one line each, in the terms of its CORS configuration. */
  missing: string[];
}

const listed = (header: string | null, wanted: string) =>
  (header ?? '')
    .split(',')
    .map((v) => v.trim().toLowerCase())
    .some((v) => v === '*' || v === wanted.toLowerCase());

/**
 * Checks that a browser on `origin` may send direct uploads to the store's bucket: it presigns
 * an upload as `POST /uploads` would, sends the CORS preflight a browser sends before it
 * (`OPTIONS` with `Origin`, `Access-Control-Request-Method` and, for a PUT,
 * `Access-Control-Request-Headers: content-type`) and says what the answer lacks. Nothing is
 * uploaded. Stores whose uploads go to the app's own origin (memory, fs) need no CORS.
 *
 * @example
 * ```ts
 * const { ok, missing } = await checkUploadCors(store, { origin: 'https://app.example.com' });
 * if (!ok) console.error(`The bucket's CORS rules lack:\n${missing.join('\n')}`);
 * ```
 */
export async function checkUploadCors(store: ImageStore, options: CorsCheckOptions): Promise<CorsCheckResult> {
  if (!store.presignUpload) throw new TypeError('[imgstash] this store has no direct uploads (presignUpload)');
  const origin = new URL(options.origin).origin;
  const upload = await store.presignUpload('pending.cors-check', {
    size: 1,
    contentType: 'image/png',
    expiresIn: 60,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const { method } = upload;
  if (!/^https?:\/\//.test(upload.url))
    return { ok: true, method, url: upload.url.split('?')[0] ?? '', status: 0, missing: [] };
  const target = new URL(upload.url);
  const url = `${target.origin}${target.pathname}`;
  const headers: Record<string, string> = { origin, 'access-control-request-method': method };
  // A PUT carries Content-Type: image/…, which is not a CORS-safelisted value.
  if (method === 'PUT') headers['access-control-request-headers'] = 'content-type';
  const response = await (options.fetch ?? fetch)(target, {
    method: 'OPTIONS',
    headers,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  await response.body?.cancel();
  const missing: string[] = [];
  const allowOrigin = response.headers.get('access-control-allow-origin');
  if (!response.ok || (allowOrigin !== '*' && allowOrigin !== origin)) {
    missing.push(
      `a CORS rule with AllowedOrigin ${origin} and AllowedMethod ${method} (the preflight answered ${response.status})`,
    );
  } else {
    // Some servers leave the methods out when the rule matched; only a list that omits it counts.
    const methods = response.headers.get('access-control-allow-methods');
    if (methods !== null && !listed(methods, method)) missing.push(`AllowedMethod ${method}`);
    if (method === 'PUT' && !listed(response.headers.get('access-control-allow-headers'), 'content-type')) {
      missing.push('AllowedHeader Content-Type (or *)');
    }
  }
  return { ok: missing.length === 0, method, url, status: response.status, missing };
}
