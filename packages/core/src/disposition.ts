/** A parsed `Content-Disposition` of a multipart part. */
export interface PartDisposition {
  /** The disposition type, lower-cased (`form-data` for forms). */
  type: string;
  /** The field name. */
  name?: string;
  /** The filename: `filename*` (RFC 5987) when present and valid, else `filename`. */
  filename?: string;
}

const PARAM = /;\s*([!#$%&'*+.^\w`|~-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;"\s]*))\s*/y;
const TYPE = /^\s*([!#$%&'*+.^\w`|~-]+)\s*/y;

/**
 * Parses a part's `Content-Disposition` header. Unlike a strict RFC 7230 parser it keeps
 * raw UTF-8 in quoted values, which is what browsers send for non-ASCII filenames.
 * Returns `undefined` when the header is malformed or repeats a parameter (a smuggling
 * vector: two parsers may pick different `name`s).
 */
export function parsePartDisposition(header: string | string[] | undefined): PartDisposition | undefined {
  if (typeof header !== 'string') return undefined;
  TYPE.lastIndex = 0;
  const type = TYPE.exec(header);
  if (!type) return undefined;
  const params = new Map<string, string>();
  let at = TYPE.lastIndex;
  while (at < header.length) {
    PARAM.lastIndex = at;
    const m = PARAM.exec(header);
    if (!m) return undefined;
    const key = (m[1] as string).toLowerCase();
    if (params.has(key)) return undefined;
    params.set(key, m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] as string));
    at = PARAM.lastIndex;
  }
  const out: PartDisposition = { type: (type[1] as string).toLowerCase() };
  const name = params.get('name');
  if (name !== undefined) out.name = name;
  const extended = decodeExtended(params.get('filename*'));
  const filename = extended ?? params.get('filename');
  if (filename !== undefined) out.filename = filename;
  return out;
}

function decodeExtended(value: string | undefined): string | undefined {
  const m = value?.match(/^utf-8'[^']*'(.*)$/i);
  if (!m) return undefined;
  try {
    return decodeURIComponent(m[1] as string);
  } catch {
    return undefined;
  }
}
