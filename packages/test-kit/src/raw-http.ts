// A raw HTTP/1.1 client on node:net, for what fetch refuses to send: malformed requests,
// lying or garbage Content-Length, hand-written chunked bodies, a client that vanishes
// halfway. It sends exact bytes and reads the one response that comes back.
import { connect, type Socket } from 'node:net';

/** One HTTP response, as it arrived on the wire. */
export interface RawResponse {
  /** The status code, e.g. 400. */
  status: number;
  /** The whole status line, e.g. `HTTP/1.1 400 Bad Request`. */
  statusLine: string;
  /** The header block exactly as received (latin1), without the status line and final CRLF CRLF. */
  rawHeaders: string;
  /** Header fields in order, names lower-cased, values as received (latin1). */
  headerList: [name: string, value: string][];
  /** The first value of a header, or `undefined`. */
  header(name: string): string | undefined;
  /** The body, de-chunked when `Transfer-Encoding: chunked`. */
  body: Buffer;
  /** The body as text (UTF-8). */
  text(): string;
  /** The body parsed as JSON; throws when it is not JSON. */
  json<T = unknown>(): T;
  /** True when the whole body (per Content-Length or chunked framing) arrived. */
  complete: boolean;
  /** True when the server closed (or reset) the connection. */
  closedByServer: boolean;
}

/** Options for {@link rawRequest} and {@link openRawConnection}. */
export interface RawOptions {
  /** Fail when no complete response has arrived within this many ms. Default 10000. */
  timeoutMs?: number;
}

const HEAD_END = Buffer.from('\r\n\r\n');

/** Parses what arrived so far; `undefined` while the header block is incomplete. */
function parse(data: Buffer, closed: boolean, isHead = false): RawResponse | undefined {
  const headEnd = data.indexOf(HEAD_END);
  if (headEnd < 0) return undefined;
  const head = data.subarray(0, headEnd).toString('latin1');
  const lineEnd = head.indexOf('\r\n');
  const statusLine = lineEnd < 0 ? head : head.slice(0, lineEnd);
  const rawHeaders = lineEnd < 0 ? '' : head.slice(lineEnd + 2);
  const match = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(statusLine);
  if (!match) throw new Error(`not an HTTP response: ${JSON.stringify(statusLine.slice(0, 80))}`);
  const status = Number(match[1]);
  if (status >= 100 && status < 200) {
    // An interim response (100 Continue): the real one follows it.
    return parse(data.subarray(headEnd + 4), closed, isHead);
  }
  const headerList: [string, string][] = [];
  for (const line of rawHeaders.split('\r\n')) {
    if (!line) continue;
    const colon = line.indexOf(':');
    headerList.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
  }
  const header = (name: string) => headerList.find(([n]) => n === name.toLowerCase())?.[1];
  const rest = data.subarray(headEnd + 4);
  let body: Buffer;
  let complete: boolean;
  if (isHead) {
    // A response to HEAD has no body, whatever its Content-Length says.
    body = Buffer.alloc(0);
    complete = true;
  } else if (/\bchunked\b/i.test(header('transfer-encoding') ?? '')) {
    ({ body, complete } = dechunk(rest));
  } else if (header('content-length') !== undefined) {
    const length = Number(header('content-length'));
    body = rest.subarray(0, length);
    complete = rest.length >= length;
  } else {
    body = rest;
    complete = closed || status === 204 || status === 304;
  }
  return {
    status,
    statusLine,
    rawHeaders,
    headerList,
    header,
    body,
    text: () => body.toString('utf8'),
    json: <T>() => JSON.parse(body.toString('utf8')) as T,
    complete,
    closedByServer: closed,
  };
}

function dechunk(data: Buffer): { body: Buffer; complete: boolean } {
  const chunks: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) return { body: Buffer.concat(chunks), complete: false };
    const size = Number.parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size)) return { body: Buffer.concat(chunks), complete: false };
    if (size === 0) return { body: Buffer.concat(chunks), complete: true };
    const start = lineEnd + 2;
    if (data.length < start + size + 2) {
      chunks.push(data.subarray(start, Math.min(data.length, start + size)));
      return { body: Buffer.concat(chunks), complete: false };
    }
    chunks.push(data.subarray(start, start + size));
    at = start + size + 2;
  }
}

/** A raw connection: write bytes at will, then await the response or cut the connection. */
export interface RawConnection {
  readonly socket: Socket;
  /** Writes bytes, resolving once they are flushed to the kernel (or the socket is gone). */
  write(bytes: string | Uint8Array): Promise<void>;
  /** Resolves with the first complete response (or what arrived before the server closed). */
  response(): Promise<RawResponse>;
  /** Cuts the connection at once, as a client that goes away. */
  destroy(): void;
}

/**
 * Opens a TCP connection to `127.0.0.1:port`. The response promise rejects when nothing
 * complete arrives within `timeoutMs`, so a server that hangs fails the test instead of
 * hanging it.
 */
export async function openRawConnection(port: number, options: RawOptions = {}): Promise<RawConnection> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const socket = connect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const received: Buffer[] = [];
  let closed = false;
  let isHead: boolean | undefined;
  let settle: (() => void) | undefined;
  const check = () => settle?.();
  socket.on('data', (chunk: Buffer) => {
    received.push(chunk);
    check();
  });
  // A server may answer and close (or reset) before the client has sent everything:
  // a legitimate outcome, so errors only mark the connection closed.
  socket.on('error', () => {});
  socket.on('close', () => {
    closed = true;
    check();
  });

  let pending: Promise<RawResponse> | undefined;
  return {
    socket,
    write(bytes) {
      isHead ??= Buffer.from(bytes.slice(0, 5)).toString('latin1') === 'HEAD ';
      return new Promise<void>((resolve) => {
        if (socket.destroyed || !socket.writable) return resolve();
        socket.write(bytes, () => resolve());
      });
    },
    response() {
      pending ??= new Promise<RawResponse>((resolve, reject) => {
        const timer = setTimeout(() => {
          settle = undefined;
          socket.destroy();
          const got = Buffer.concat(received).subarray(0, 300).toString('latin1');
          reject(new Error(`no complete HTTP response within ${timeoutMs} ms; received: ${JSON.stringify(got)}`));
        }, timeoutMs);
        settle = () => {
          let parsed: RawResponse | undefined;
          try {
            parsed = parse(Buffer.concat(received), closed, isHead);
          } catch (error) {
            clearTimeout(timer);
            settle = undefined;
            reject(error);
            return;
          }
          if (parsed?.complete || (closed && parsed)) {
            clearTimeout(timer);
            settle = undefined;
            resolve(parsed);
          } else if (closed) {
            clearTimeout(timer);
            settle = undefined;
            reject(new Error('the server closed the connection without a response'));
          }
        };
        check();
      });
      return pending;
    },
    destroy() {
      socket.destroy();
    },
  };
}

/**
 * Sends `parts` (written in order, exactly as given) on a new connection and resolves with
 * the response. The connection is closed afterwards.
 *
 * @example
 * ```ts
 * const res = await rawRequest(app.port, ['POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n']);
 * expect(res.status).toBe(400);
 * ```
 */
export async function rawRequest(
  port: number,
  parts: string | Uint8Array | readonly (string | Uint8Array)[],
  options: RawOptions = {},
): Promise<RawResponse> {
  const connection = await openRawConnection(port, options);
  const response = connection.response();
  try {
    for (const part of typeof parts === 'string' || parts instanceof Uint8Array ? [parts] : parts) {
      await connection.write(part);
    }
    return await response;
  } finally {
    connection.destroy();
  }
}

/**
 * Builds a request head: request line, `Host` (default `127.0.0.1`; pass `Host` to change
 * it), the given headers, and the blank line.
 */
export function requestHead(method: string, target: string, headers: Record<string, string | number> = {}): string {
  const lines = [`${method} ${target} HTTP/1.1`];
  if (!Object.keys(headers).some((name) => name.toLowerCase() === 'host')) lines.push('Host: 127.0.0.1');
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** Frames `bytes` as HTTP/1.1 chunks of at most `size` bytes, with the final zero chunk. */
export function chunked(bytes: Uint8Array, size = 64 * 1024): Buffer {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) {
    const slice = bytes.subarray(at, Math.min(bytes.length, at + size));
    out.push(Buffer.from(`${slice.length.toString(16)}\r\n`), Buffer.from(slice), Buffer.from('\r\n'));
  }
  out.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(out);
}
