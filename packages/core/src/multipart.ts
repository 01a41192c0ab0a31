import * as Multipasta from 'multipasta';
import { iterateBody } from './body.js';
import { type PartDisposition, parsePartDisposition } from './disposition.js';
import { ImageStoreError } from './errors.js';
import type { ImageBody } from './types.js';

/** Limits on the multipart envelope around the file. */
export interface MultipartLimits {
  /** The form field that carries the file. Default `file`. */
  fieldName: string;
  /** Most parts (fields and the file) in one request. Default 16. */
  maxParts: number;
  /** Largest non-file field, in bytes. Default 16 KiB. */
  maxFieldSize: number;
  /** Largest total of all part bodies, in bytes. */
  maxTotalSize: number;
}

/** What else {@link openFilePart} may know about the request. */
export interface FilePartOptions {
  /** The request's Content-Length, if it has one: lets the file's length be predicted. */
  contentLength?: number;
}

/** The one file part of an upload, streamed. */
export interface FilePart {
  /** The filename the client sent, if any (untrusted; sanitize before use). */
  filename: string | undefined;
  /** The type the client claimed (untrusted; never used to decide anything). */
  claimedType: string;
  /**
   * The file's length, predicted from the request's Content-Length for a body that ends
   * right after the file (the closing boundary and a CRLF, as browsers, curl and fetch
   * send it). When it is set, `body` throws unless the file has exactly this length, so
   * it can be handed to a store as the put's `size`, and the file streamed through.
   */
  expectedSize: number | undefined;
  /**
   * The file's bytes. It ends only once the whole multipart body has been read and
   * found well-formed, so a truncated body or a second file part fails the file's own
   * stream, and a store consuming it aborts its put.
   */
  body: AsyncIterable<Uint8Array>;
}

type Event =
  | { type: 'file'; info: PartDisposition & { claimedType: string } }
  | { type: 'chunk'; chunk: Uint8Array }
  | { type: 'fileEnd' };

const bad = (message: string) =>
  new ImageStoreError('INVALID_INPUT', `[imgstash] ${message}`, { publicMessage: `Invalid upload: ${message}.` });

const notLast = () => bad('the file must be the last part of the form');

const ascii = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
const CRLF_CRLF = ascii('\r\n\r\n');
/** The file's header block must end within this many bytes of the body's start to predict its length. */
const MAX_PREDICTION_PREFIX = 1024 * 1024;

function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  const first = needle[0];
  for (let at = haystack.indexOf(first as number, from); at >= 0; at = haystack.indexOf(first as number, at + 1)) {
    if (at + needle.length > haystack.length) return -1;
    let j = 1;
    while (j < needle.length && haystack[at + j] === needle[j]) j++;
    if (j === needle.length) return at;
  }
  return -1;
}

/**
 * The length of the file whose part is the `partNumber`-th (1-based) of a body of
 * `contentLength` bytes beginning with `prefix`, if the body ends right after that
 * file with `CRLF--boundary--CRLF`. Locates the file's first byte the way multipasta
 * does: after the part's delimiter, at the end of its header block.
 */
function predictFileSize(
  prefix: Uint8Array[],
  boundary: string,
  partNumber: number,
  contentLength: number,
): number | undefined {
  // multipasta reads the body as if preceded by CRLF, so a delimiter is always CRLF--boundary.
  const delimiter = ascii(`\r\n--${boundary}`);
  const size = Math.min(MAX_PREDICTION_PREFIX, 2 + prefix.reduce((n, c) => n + c.length, 0));
  const bytes = new Uint8Array(size);
  bytes.set(ascii('\r\n'));
  let at = 2;
  for (const chunk of prefix) {
    if (at >= size) break;
    const n = Math.min(chunk.length, size - at);
    bytes.set(n === chunk.length ? chunk : chunk.subarray(0, n), at);
    at += n;
  }
  let partStart = -delimiter.length;
  for (let i = 0; i < partNumber; i++) {
    partStart = indexOf(bytes, delimiter, partStart + delimiter.length);
    if (partStart < 0) return undefined;
  }
  const headerEnd = indexOf(bytes, CRLF_CRLF, partStart + delimiter.length);
  if (headerEnd < 0) return undefined;
  const fileStart = headerEnd + CRLF_CRLF.length - 2; // in the body's own offsets
  const expected = contentLength - fileStart - (delimiter.length + 4); // CRLF--boundary--CRLF
  return expected >= 0 ? expected : undefined;
}

/** The last `keep` bytes of `a` followed by `b`. */
function concatTail(a: Uint8Array, b: Uint8Array, keep: number): Uint8Array {
  const out = new Uint8Array(Math.min(keep, a.length + b.length));
  const fromA = out.length - b.length;
  out.set(a.subarray(a.length - fromA), 0);
  out.set(b, fromA);
  return out;
}

function toError(error: Multipasta.MultipartError, limits: MultipartLimits): ImageStoreError {
  switch (error._tag) {
    case 'InvalidBoundary':
      return bad('the multipart boundary is missing or invalid');
    case 'BadHeaders':
      return bad('a part has malformed headers');
    case 'InvalidDisposition':
      return bad('a part has an invalid Content-Disposition');
    case 'EndNotReached':
      return bad('the multipart body is truncated');
    case 'ReachedLimit':
      if (error.limit === 'MaxParts') {
        return new ImageStoreError('PAYLOAD_TOO_LARGE', '[imgstash] too many multipart parts', {
          publicMessage: `Too many form parts (at most ${limits.maxParts}).`,
        });
      }
      return new ImageStoreError('PAYLOAD_TOO_LARGE', `[imgstash] multipart ${error.limit}`, {
        publicMessage: 'The request body is too large.',
      });
  }
}

/**
 * Parses a `multipart/form-data` body as a stream (multipasta, on Web APIs) and returns
 * its one file part named `limits.fieldName`. Reading is pull-driven: the request is read
 * only as fast as the file's consumer takes bytes, so memory stays at about one chunk.
 *
 * Throws `INVALID_INPUT` when there is no such file part, a file under another name, a
 * part without a form-data name, malformed headers, or a truncated body;
 * `PAYLOAD_TOO_LARGE` past the part-count or size limits.
 */
export async function openFilePart(
  body: ImageBody | null,
  contentType: string,
  limits: MultipartLimits,
  options: FilePartOptions = {},
): Promise<FilePart> {
  if (body === null) throw bad('the request has no body');
  // The boundary as the request declares it: for the split-dash guard and the size prediction
  // below (multipasta validates it and parses the body itself).
  const boundary = /;\s*boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  const source = iterateBody(body);
  const events: Event[] = [];
  let failure: ImageStoreError | undefined;
  let done = false;
  let sourceEnded = false;
  let files = 0;
  // The body's chunks up to the file part's headers, kept (not copied) to predict its length.
  const { contentLength } = options;
  let prefix: Uint8Array[] | undefined =
    contentLength !== undefined && Number.isSafeInteger(contentLength) && contentLength >= 0 ? [] : undefined;
  let parts = 0;
  let filePartNumber = 0;

  const fail = (error: ImageStoreError) => {
    failure ??= error;
  };
  // multipasta's own Content-Disposition parsing drops raw UTF-8 filenames (what browsers
  // send), so the disposition is read here, from the raw header, for every part.
  const dispositionOf = (info: Multipasta.PartInfo) => {
    const d = parsePartDisposition(info.headers['content-disposition']);
    return d?.type === 'form-data' && d.name ? d : undefined;
  };
  const parser = Multipasta.make({
    headers: { 'content-type': contentType },
    maxParts: limits.maxParts,
    maxFieldSize: limits.maxFieldSize,
    maxTotalSize: limits.maxTotalSize,
    isFile: (info) => {
      const d = parsePartDisposition(info.headers['content-disposition']);
      return d?.filename !== undefined || info.contentType === 'application/octet-stream';
    },
    onField(info) {
      parts++;
      if (!dispositionOf(info)) fail(bad('a part has no form-data name'));
      // As in S3's own browser uploads: the file ends the form, so its length can be
      // known from the Content-Length, and it can be streamed through.
      else if (files > 0) fail(notLast());
    },
    onFile(info) {
      parts++;
      const d = dispositionOf(info);
      if (!d) fail(bad('a part has no form-data name'));
      else if (d.name !== limits.fieldName) fail(bad(`a file was sent in field "${(d.name ?? '').slice(0, 64)}"`));
      else if (++files > 1) fail(bad('more than one file was sent'));
      else if (d.filename === '') fail(bad('the file part has an empty filename'));
      else {
        filePartNumber = parts;
        events.push({ type: 'file', info: { ...d, claimedType: info.contentType } });
      }
      return (chunk) => {
        if (failure || files > 1) return;
        events.push(chunk === null ? { type: 'fileEnd' } : { type: 'chunk', chunk });
      };
    },
    onError(error) {
      fail(toError(error, limits));
    },
    onDone() {
      done = true;
    },
  });

  // multipasta tells a closing delimiter (`--boundary--`) from the next part by the two
  // bytes after `--boundary`, looking only at the current write: a write that ends between
  // the two dashes makes it parse `-` as a header line, and refuse a valid body. A trailing
  // `-` right after the boundary is held back and sent with the next write.
  const closing = ascii(`--${boundary ?? ''}-`);
  let written: Uint8Array = new Uint8Array(0); // the last bytes written, for a mark split across writes
  let held: Uint8Array | undefined;
  const endsWithClosingDash = (data: Uint8Array) => {
    if (closing.length < 4 || data[data.length - 1] !== 0x2d) return false;
    for (let i = 1; i <= closing.length; i++) {
      const byte = i <= data.length ? data[data.length - i] : written[written.length - (i - data.length)];
      if (byte !== closing[closing.length - i]) return false;
    }
    return true;
  };
  const write = (chunk: Uint8Array) => {
    let data = chunk;
    if (held) {
      data = new Uint8Array(held.length + chunk.length);
      data.set(held);
      data.set(chunk, held.length);
      held = undefined;
    }
    if (endsWithClosingDash(data)) {
      held = data.subarray(data.length - 1);
      data = data.subarray(0, data.length - 1);
    }
    if (data.length === 0) return;
    parser.write(data);
    const keep = closing.length;
    written = data.length >= keep ? data.subarray(data.length - keep) : concatTail(written, data, keep);
  };

  // Feeds one more chunk of the request to the parser. Returns false once nothing is left.
  const pump = async (): Promise<boolean> => {
    if (failure) throw failure;
    if (done || sourceEnded) return false;
    const r = await source.next();
    try {
      if (r.done) {
        sourceEnded = true;
        if (held) parser.write(held);
        held = undefined;
        parser.end();
      } else {
        prefix?.push(r.value);
        write(r.value);
      }
    } catch {
      // The parser throws on some malformed input (e.g. a bad filename* escape).
      fail(bad('the multipart body is malformed'));
    }
    if (failure) throw failure;
    return true;
  };

  const release = async () => {
    await source.return?.().catch(() => {});
  };

  let info: (PartDisposition & { claimedType: string }) | undefined;
  try {
    while (!info) {
      const event = events.shift();
      if (event?.type === 'file') info = event.info;
      else if (!(await pump())) throw bad(`no file was sent in field "${limits.fieldName}"`);
    }
  } catch (error) {
    await release();
    throw error;
  }
  const expectedSize =
    prefix && boundary && contentLength !== undefined
      ? predictFileSize(prefix, boundary, filePartNumber, contentLength)
      : undefined;
  prefix = undefined;
  // A store may already be streaming `expectedSize` bytes: a body that turns out to carry
  // anything else after the file must fail before the file's last byte is handed over.

  async function* fileBody(): AsyncGenerator<Uint8Array> {
    let ended = false;
    let ok = false;
    let size = 0;
    try {
      for (;;) {
        const event = events.shift();
        if (event?.type === 'chunk') {
          if (event.chunk.length === 0) continue;
          size += event.chunk.length;
          if (expectedSize !== undefined && size > expectedSize) throw notLast();
          yield event.chunk;
          continue;
        }
        if (event?.type === 'fileEnd') ended = true;
        if (!(await pump())) break;
      }
      if (!ended || !done) throw bad('the multipart body is truncated');
      if (expectedSize !== undefined && size !== expectedSize) throw notLast();
      // Read the (normally empty) epilogue so the request completes and the connection
      // can be reused; a client that keeps sending after the closing boundary is cut off.
      let epilogue = 0;
      while (!sourceEnded && epilogue < 64 * 1024) {
        const r = await source.next();
        if (r.done) sourceEnded = true;
        else epilogue += r.value.length;
      }
      ok = true;
    } finally {
      if (!ok || !sourceEnded) await release();
    }
  }

  return {
    filename: info.filename,
    claimedType: info.claimedType,
    expectedSize,
    body: { [Symbol.asyncIterator]: fileBody },
  };
}
