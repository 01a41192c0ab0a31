/** The longest filename kept, in Unicode code points. */
export const MAX_FILENAME_LENGTH = 255;

/**
 * Makes a client-supplied filename safe to keep: only its last path segment, without
 * control characters (CR, LF, NUL...), bidi overrides, or leading dots, at most
 * {@link MAX_FILENAME_LENGTH} code points. Returns `undefined` when nothing is left.
 */
export function sanitizeFilename(name: string | undefined | null): string | undefined {
  if (typeof name !== 'string') return undefined;
  const base = name.split(/[/\\]/).pop() ?? '';
  const cleaned = base
    // C0/C1 controls, DEL, and bidi/zero-width formatting characters that disguise extensions.
    .replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, '')
    // Lone surrogates make encodeURIComponent throw (a URIError, not a clean refusal).
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
    .normalize('NFC')
    .replace(/^[\s.]+/, '')
    .trimEnd();
  if (cleaned.length === 0) return undefined;
  const points = Array.from(cleaned);
  // Trimmed again after the cut, so that sanitizing is idempotent (signed links compare it).
  return points.length > MAX_FILENAME_LENGTH ? points.slice(0, MAX_FILENAME_LENGTH).join('').trimEnd() : cleaned;
}

/** The longest filename {@link encodeFilenameMetadata} returns, in (ASCII) characters: half of S3's 2 KB of user metadata. */
export const MAX_FILENAME_METADATA_LENGTH = 1024;

/**
 * Encodes a filename as ASCII for storage metadata (S3 user metadata must be ASCII).
 * Percent-encoding (UTF-8) keeps every Unicode character and decodes back exactly with
 * {@link decodeFilenameMetadata}. A name that would encode to more than
 * {@link MAX_FILENAME_METADATA_LENGTH} characters is shortened (its extension kept). Returns
 * `undefined` when the name sanitizes to nothing.
 */
export function encodeFilenameMetadata(name: string | undefined | null): string | undefined {
  const safe = sanitizeFilename(name);
  if (safe === undefined) return undefined;
  const encoded = encodeURIComponent(safe);
  if (encoded.length <= MAX_FILENAME_METADATA_LENGTH) return encoded;
  // S3 refuses an object whose user metadata passes 2 KB (MetadataTooLarge), and 255 CJK
  // characters or emoji encode to 2.3-3 KB: shorten the name, keeping a short extension.
  const dot = safe.lastIndexOf('.');
  const extension = dot > 0 && safe.length - dot <= 16 ? encodeURIComponent(safe.slice(dot)) : '';
  let stem = '';
  for (const char of Array.from(extension ? safe.slice(0, dot) : safe)) {
    const next = encodeURIComponent(char);
    if (stem.length + next.length + extension.length > MAX_FILENAME_METADATA_LENGTH) break;
    stem += next;
  }
  return stem + extension;
}

/** Decodes what {@link encodeFilenameMetadata} produced; `undefined` for anything malformed. */
export function decodeFilenameMetadata(value: string | undefined | null): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return undefined;
  try {
    return sanitizeFilename(decodeURIComponent(value));
  } catch {
    return undefined;
  }
}

// RFC 5987 attr-char: ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
function encodeRfc5987(value: string): string {
  return encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Builds a `Content-Disposition` value per RFC 6266: an ASCII `filename` fallback plus
 * `filename*` (RFC 5987, UTF-8) when the name is not plain ASCII. Header injection is
 * impossible: controls are stripped and quotes and backslashes never reach the quoted string.
 *
 * @example
 * ```ts
 * contentDisposition('inline', 'café.png');
 * // inline; filename="caf_.png"; filename*=UTF-8''caf%C3%A9.png
 * ```
 */
export function contentDisposition(type: 'inline' | 'attachment', filename?: string): string {
  const safe = sanitizeFilename(filename);
  if (safe === undefined) return type;
  const fallback = safe.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const header = `${type}; filename="${fallback}"`;
  return fallback === safe ? header : `${header}; filename*=UTF-8''${encodeRfc5987(safe)}`;
}
