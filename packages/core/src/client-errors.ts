/** The socket a Node `http.Server` passes to `'clientError'` listeners (duck-typed: no Node import). */
export interface ClientErrorSocket {
  readonly writable: boolean;
  end(data: string): unknown;
  destroy(): unknown;
}

/** A Node `http.Server` (or any server with Node's `'clientError'` event). */
export interface ClientErrorSource {
  on(event: 'clientError', listener: (error: Error & { code?: string }, socket: ClientErrorSocket) => void): unknown;
}

function answer(status: number, reason: string, message: string, code = 'INVALID_INPUT'): string {
  const body = JSON.stringify({ error: { code, message } });
  return (
    `HTTP/1.1 ${status} ${reason}\r\n` +
    'Content-Type: application/json; charset=utf-8\r\n' +
    'X-Content-Type-Options: nosniff\r\n' +
    `Content-Length: ${body.length}\r\n` +
    'Connection: close\r\n\r\n' +
    body
  );
}

/**
 * Makes a Node HTTP server answer the requests its own parser refuses (a non-numeric or
 * conflicting `Content-Length`, a malformed request line or header, headers over the size
 * limit, a request that times out) with imgstash's JSON error, `{ "error": { "code",
 * "message" } }`, instead of Node's bare status line. Node's statuses are kept: 431 for
 * oversized headers, 413 (`PAYLOAD_TOO_LARGE`) for oversized chunk extensions, 408 for a
 * timeout, 400 otherwise (`INVALID_INPUT`). These requests never
 * reach a router, so only the server can do this. Returns the server.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { jsonClientErrors } from '@imgstash/core';
 *
 * const server = jsonClientErrors(createServer(app)).listen(3000);
 * ```
 */
export function jsonClientErrors<S extends ClientErrorSource>(server: S): S {
  server.on('clientError', (error, socket) => {
    // A reset peer, or a socket already carrying a response, gets nothing more.
    const busy = (socket as { _httpMessage?: { headersSent?: boolean } | null })._httpMessage?.headersSent === true;
    if (error.code === 'ECONNRESET' || !socket.writable || busy) {
      socket.destroy();
      return;
    }
    if (error.code === 'HPE_HEADER_OVERFLOW') {
      socket.end(answer(431, 'Request Header Fields Too Large', 'The request headers are too large.'));
    } else if (error.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') {
      socket.end(answer(413, 'Payload Too Large', 'The chunk extensions are too large.', 'PAYLOAD_TOO_LARGE'));
    } else if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      socket.end(answer(408, 'Request Timeout', 'The request took too long.'));
    } else {
      socket.end(answer(400, 'Bad Request', 'The request is malformed.'));
    }
  });
  return server;
}
