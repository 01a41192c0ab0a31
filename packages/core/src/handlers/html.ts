/** Escapes text for HTML content and quoted attribute values. */
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** JSON for inside a `<script>`: it cannot close the tag. */
export const scriptJson = (value: unknown): string => JSON.stringify(value).replace(/</g, '\\u003c');

/** A fresh CSP nonce: 128 random bits, base64. */
export function nonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes));
}

/** Options of {@link htmlResponse}. */
export interface HtmlResponseOptions {
  status?: number;
  /** The CSP nonce of the page's `<script>` and `<style>`. */
  nonce: string;
  /** `connect-src` of the CSP: `'self'` for pages whose script calls this app (plus the storage origins of direct uploads), else `'none'`. */
  connect?: string;
  /** `Cache-Control`. Default `no-store`. */
  cacheControl?: string;
  /** Adds `X-Robots-Tag: noindex, nofollow`: pages no search engine should keep. */
  noindex?: boolean;
  /** `HEAD`: the headers only. */
  head?: boolean;
}

/**
 * An HTML page under imgstash's strict CSP: scripts and styles only with the page's nonce,
 * no inline handlers, no plugins, no framing, no `<base>`, forms only to this origin.
 * Images may come from anywhere: a stable link redirects to the storage's origin.
 */
export function htmlResponse(html: string, options: HtmlResponseOptions): Response {
  const n = options.nonce;
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${n}'`,
    `style-src 'nonce-${n}'`,
    'img-src * blob: data:',
    `connect-src ${options.connect ?? "'self'"}`,
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return new Response(options.head ? null : html, {
    status: options.status ?? 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'cache-control': options.cacheControl ?? 'no-store',
      'content-security-policy': csp,
      ...(options.noindex ? { 'x-robots-tag': 'noindex, nofollow' } : {}),
    },
  });
}
