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

/** The one file part of an upload, streamed. */
export interface FilePart {
  /** The filename the client sent, if any (untrusted; sanitize before use). */
  filename: string | undefined;
  /** The type the client claimed (untrusted; never used to decide anything). */
  claimedType: string;
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
): Promise<FilePart> {
  if (body === null) throw bad('the request has no body');
  const source = iterateBody(body);
  const events: Event[] = [];
  let failure: ImageStoreError | undefined;
  let done = false;
  let sourceEnded = false;
  let files = 0;

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
      if (!dispositionOf(info)) fail(bad('a part has no form-data name'));
    },
    onFile(info) {
      const d = dispositionOf(info);
      if (!d) fail(bad('a part has no form-data name'));
      else if (d.name !== limits.fieldName) fail(bad(`a file was sent in field "${(d.name ?? '').slice(0, 64)}"`));
      else if (++files > 1) fail(bad('more than one file was sent'));
      else if (d.filename === '') fail(bad('the file part has an empty filename'));
      else events.push({ type: 'file', info: { ...d, claimedType: info.contentType } });
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

  // Feeds one more chunk of the request to the parser. Returns false once nothing is left.
  const pump = async (): Promise<boolean> => {
    if (failure) throw failure;
    if (done || sourceEnded) return false;
    const r = await source.next();
    try {
      if (r.done) {
        sourceEnded = true;
        parser.end();
      } else {
        parser.write(r.value);
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

  async function* fileBody(): AsyncGenerator<Uint8Array> {
    let ended = false;
    let ok = false;
    try {
      for (;;) {
        const event = events.shift();
        if (event?.type === 'chunk') {
          if (event.chunk.length > 0) yield event.chunk;
          continue;
        }
        if (event?.type === 'fileEnd') ended = true;
        if (!(await pump())) break;
      }
      if (!ended || !done) throw bad('the multipart body is truncated');
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
    body: { [Symbol.asyncIterator]: fileBody },
  };
}
