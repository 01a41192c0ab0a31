// Hand-built multipart/form-data bodies: FormData cannot produce the malformed ones the
// hostile-input and fuzzing suites need, and the valid ones must be byte-exact.
import { randomBytes } from 'node:crypto';

/** One part of a multipart body. */
export interface Part {
  /** The form field name; omit for none. */
  name?: string;
  /** The filename; omit for a plain field. */
  filename?: string;
  /** The part's Content-Type. */
  contentType?: string;
  /** Replaces the whole Content-Disposition value (no escaping). `null` sends none. */
  disposition?: string | null;
  /** Extra raw header lines, sent as is (e.g. `' X-Folded: 1'`). */
  headers?: string[];
  body: string | Uint8Array;
}

/** A built body and the Content-Type that goes with it. */
export interface MultipartBody {
  body: Buffer;
  boundary: string;
  contentType: string;
}

/** A random boundary of the kind browsers send. */
export function randomBoundary(): string {
  return `----imgstash${randomBytes(12).toString('hex')}`;
}

const quote = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"');

/** The header block of one part, CRLF-terminated, without the blank line. */
function partHeaders(part: Part): string {
  const lines: string[] = [];
  if (part.disposition !== null) {
    let disposition = part.disposition;
    if (disposition === undefined) {
      disposition = 'form-data';
      if (part.name !== undefined) disposition += `; name="${quote(part.name)}"`;
      if (part.filename !== undefined) disposition += `; filename="${quote(part.filename)}"`;
    }
    lines.push(`Content-Disposition: ${disposition}`);
  }
  if (part.contentType !== undefined) lines.push(`Content-Type: ${part.contentType}`);
  lines.push(...(part.headers ?? []));
  return lines.map((line) => `${line}\r\n`).join('');
}

/**
 * Builds a multipart/form-data body from `parts`, with the closing boundary.
 *
 * @example
 * ```ts
 * const { body, contentType } = multipartBody([{ name: 'file', filename: 'a.png', contentType: 'image/png', body: png }]);
 * ```
 */
export function multipartBody(parts: readonly Part[], boundary: string = randomBoundary()): MultipartBody {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\n${partHeaders(part)}\r\n`, 'utf8'));
    chunks.push(typeof part.body === 'string' ? Buffer.from(part.body, 'utf8') : Buffer.from(part.body));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  // A boundary with characters outside an RFC 9110 token (`=`, `/`, `:`...) must be quoted.
  const param = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(boundary) ? boundary : `"${boundary}"`;
  return { body: Buffer.concat(chunks), boundary, contentType: `multipart/form-data; boundary=${param}` };
}

/** The usual upload: one file part named `file`. */
export function fileUpload(bytes: Uint8Array, filename = 'image.png', contentType = 'image/png'): MultipartBody {
  return multipartBody([{ name: 'file', filename, contentType, body: bytes }]);
}
