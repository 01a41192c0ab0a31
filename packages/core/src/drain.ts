import { iterateBody } from './body.js';
import type { ImageBody } from './types.js';

/**
 * How much of a refused request's body the server still reads, so that clients which only
 * look at the answer once they have sent everything (`fetch` with a `FormData` body, most
 * HTTP libraries) can read it: in the spirit of nginx's lingering close.
 */
export interface DrainBounds {
  /** Bytes read and discarded at most. Default 64 MiB. */
  maxBytes: number;
  /** Milliseconds spent reading at most. Default 10000. */
  timeout: number;
}

/** The default {@link DrainBounds}. */
export const DEFAULT_DRAIN: Readonly<DrainBounds> = Object.freeze({ maxBytes: 64 * 1024 * 1024, timeout: 10_000 });

/** A request body that a consumer reads, and that can be drained once the consumer stops. */
export interface DrainableBody {
  /**
   * The consumer's view. Ending it early (`return()`) detaches the consumer but keeps the
   * source open, so that {@link DrainableBody.drain} can read the rest.
   */
  readonly body: AsyncIterable<Uint8Array>;
  /** True once the source has been read to its end. */
  readonly ended: boolean;
  /**
   * Reads and discards the rest of the source within `bounds`. Resolves `true` when the
   * source ended within them; `false` when it was cut off (the source is then released,
   * and the connection should be closed).
   */
  drain(bounds: DrainBounds, signal?: AbortSignal): Promise<boolean>;
  /** Releases the source without reading it further. */
  release(): Promise<void>;
}

/**
 * Wraps a request body so that a refusal can still drain it: the upload route reads the body
 * through `body`, and on a refusal calls `drain` before it answers.
 *
 * @example
 * ```ts
 * const source = drainableBody(request.body);
 * try { await consume(source.body); } catch (error) {
 *   const closed = !(await source.drain(DEFAULT_DRAIN));
 * }
 * ```
 */
export function drainableBody(source: ImageBody): DrainableBody {
  const it = iterateBody(source);
  let ended = false;
  let released = false;
  // The last read, settled or not: a drain never races the consumer's last read.
  let pending: Promise<unknown> | undefined;

  const read = (): Promise<IteratorResult<Uint8Array>> => {
    const next = it.next();
    pending = next;
    return next.then((r) => {
      if (r.done) ended = true;
      return r;
    });
  };

  const release = async () => {
    if (released || ended) return;
    released = true;
    await it.return?.()?.catch(() => {});
  };

  return {
    body: {
      [Symbol.asyncIterator]() {
        let detached = false;
        return {
          next: () => (detached || released ? Promise.resolve({ done: true, value: undefined }) : read()),
          async return() {
            detached = true;
            return { done: true, value: undefined };
          },
        };
      },
    },
    get ended() {
      return ended;
    },
    async drain(bounds, signal) {
      if (ended) return true;
      if (released) return false;
      await pending?.then(
        () => {},
        () => {},
      );
      let total = 0;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), bounds.timeout);
      });
      try {
        while (!ended) {
          if (signal?.aborted) break;
          const r = await Promise.race([read(), timedOut]);
          if (r === 'timeout') break;
          if (r.done) return true;
          total += r.value.length;
          if (total > bounds.maxBytes) break;
        }
        return ended;
      } catch {
        // The client went away or sent a malformed body: nothing more to read.
        return false;
      } finally {
        clearTimeout(timer);
        if (!ended) {
          released = true;
          // Not awaited: a read still pending at the timeout would hold the answer back.
          void Promise.resolve(it.return?.()).catch(() => {});
        }
      }
    },
    release,
  };
}
