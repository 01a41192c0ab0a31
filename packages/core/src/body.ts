import { concatChunks } from './pipeline/bytes.js';
import type { ImageBody } from './types.js';

/** Reads any {@link ImageBody} as an async iterator of chunks, without buffering. */
export function iterateBody(body: ImageBody): AsyncIterator<Uint8Array> {
  if (body instanceof Uint8Array) {
    let done = false;
    return {
      async next() {
        if (done) return { done: true, value: undefined };
        done = true;
        return { done: false, value: body };
      },
    };
  }
  if (typeof (body as ReadableStream<Uint8Array>).getReader === 'function') {
    const reader = (body as ReadableStream<Uint8Array>).getReader();
    return {
      async next() {
        const r = await reader.read();
        return r.done ? { done: true, value: undefined } : { done: false, value: r.value };
      },
      async return() {
        await reader.cancel().catch(() => {});
        return { done: true, value: undefined };
      },
      async throw(error?: unknown) {
        await reader.cancel(error).catch(() => {});
        return { done: true, value: undefined };
      },
    };
  }
  return (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
}

/** {@link iterateBody} as an async iterable, for `for await`. */
export function bodyChunks(body: ImageBody): AsyncIterable<Uint8Array> {
  return { [Symbol.asyncIterator]: () => iterateBody(body) };
}

/** Collects a body into one Uint8Array. For tests and small bodies only. */
export function readAll(body: ImageBody): Promise<Uint8Array> {
  return readAtMost(body, Number.POSITIVE_INFINITY, () => new RangeError('unreachable'));
}

/**
 * Collects a small body (a JSON or form request) into one Uint8Array, throwing `tooLarge()`
 * as soon as it passes `maxBytes`: what is read past the bound is never held.
 */
export async function readAtMost(body: ImageBody, maxBytes: number, tooLarge: () => Error): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of bodyChunks(body)) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge();
    chunks.push(chunk);
  }
  return concatChunks(chunks);
}

/** Throws the signal's reason when it is aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw signal.reason ?? new DOMException('The operation was aborted.', 'AbortError');
  }
}

/**
 * Wraps an iterator so that each step also rejects as soon as `signal` aborts,
 * and the source is released on abort.
 */
export function abortableChunks(body: ImageBody, signal: AbortSignal | undefined): AsyncIterable<Uint8Array> {
  if (!signal) return bodyChunks(body);
  return {
    [Symbol.asyncIterator]() {
      const it = iterateBody(body);
      const aborted = () => signal.reason ?? new DOMException('The operation was aborted.', 'AbortError');
      // A source that fails to release itself must not leave an unhandled rejection.
      const release = () => {
        try {
          void it.return?.()?.catch(() => {});
        } catch {
          // Nothing more can be done to release it.
        }
      };
      // One listener for the whole body, not one per chunk: adding and removing an abort
      // listener costs more than a chunk's trip through the pipeline.
      let rejectPending: ((error: unknown) => void) | undefined;
      const onAbort = () => {
        release();
        rejectPending?.(aborted());
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const detach = () => signal.removeEventListener('abort', onAbort);
      return {
        next() {
          if (signal.aborted) {
            detach();
            release();
            return Promise.reject(aborted());
          }
          return new Promise<IteratorResult<Uint8Array>>((resolve, reject) => {
            rejectPending = reject;
            it.next().then(
              (r) => {
                rejectPending = undefined;
                if (r.done) detach();
                resolve(r);
              },
              (e: unknown) => {
                rejectPending = undefined;
                detach();
                reject(e);
              },
            );
          });
        },
        async return() {
          detach();
          await it.return?.();
          return { done: true, value: undefined };
        },
      };
    },
  };
}
