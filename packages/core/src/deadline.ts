import { ImageStoreError } from './errors.js';

/** A countdown that aborts its signal when it runs out; see {@link startDeadline}. */
export interface Deadline {
  /** Aborts when the deadline passes (reason: a `TimeoutError`) or the parent signal aborts. */
  readonly signal: AbortSignal;
  /** True once the deadline itself (not the parent) has fired. */
  readonly expired: boolean;
  /** Restarts the countdown from now: for deadlines counted from the last progress. */
  touch(): void;
  /** Stops the countdown until the next {@link Deadline.touch}: while waiting on someone else. */
  pause(): void;
  /** Stops the countdown and detaches from the parent. */
  dispose(): void;
}

/**
 * Starts a deadline of `ms` milliseconds, tied to an optional parent signal (the client's).
 *
 * @example
 * ```ts
 * const deadline = startDeadline(10_000, request.signal);
 * try { await store.stat(key, { signal: deadline.signal }); } finally { deadline.dispose(); }
 * ```
 */
export function startDeadline(ms: number, parent?: AbortSignal): Deadline {
  const controller = new AbortController();
  let expired = false;
  // One timer, pushed back lazily: `touch` and `pause` only move `due`, and the timer, when it
  // fires early, sleeps again for what is left. Re-arming a timer per chunk of an upload would
  // cost more than the chunk's own trip through the pipeline.
  let due = Number.POSITIVE_INFINITY;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const check = () => {
    timer = undefined;
    if (controller.signal.aborted || due === Number.POSITIVE_INFINITY) return;
    const left = due - performance.now();
    if (left > 0) {
      timer = setTimeout(check, left);
      return;
    }
    expired = true;
    controller.abort(new DOMException(`[imgstash] deadline of ${ms} ms passed`, 'TimeoutError'));
  };
  let disposed = false;
  const touch = () => {
    // A store still reading after the call settled must not start the clock again.
    if (disposed) return;
    due = performance.now() + ms;
    if (timer === undefined && !controller.signal.aborted) timer = setTimeout(check, ms);
  };
  const onParentAbort = () => controller.abort(parent?.reason);
  if (parent?.aborted) controller.abort(parent.reason);
  else parent?.addEventListener('abort', onParentAbort, { once: true });
  touch();
  return {
    signal: controller.signal,
    get expired() {
      return expired;
    },
    touch,
    pause() {
      // The timer may still fire; it then finds nothing due and stops until the next touch.
      due = Number.POSITIVE_INFINITY;
    },
    dispose() {
      disposed = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      due = Number.POSITIVE_INFINITY;
      parent?.removeEventListener('abort', onParentAbort);
    },
  };
}

/** The error a handler answers with when a store call outlives its deadline: 503 `STORAGE_UNAVAILABLE`. */
export function deadlineError(ms: number, cause?: unknown): ImageStoreError {
  return new ImageStoreError('STORAGE_UNAVAILABLE', `[imgstash] the store did not answer within ${ms} ms`, {
    cause,
    publicMessage: 'The storage backend did not answer in time. Try again later.',
  });
}

/**
 * Settles like `promise`, or rejects with the signal's reason as soon as it aborts, so a
 * call that ignores its signal still cannot hold the caller past the deadline.
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * Runs `call` under a deadline of `ms`: it gets an `AbortSignal` that fires when the
 * deadline passes or `parent` aborts. A passed deadline rejects with {@link deadlineError}
 * at once, whether or not the call honours its signal.
 *
 * @example
 * ```ts
 * const info = await withDeadline(10_000, request.signal, (signal) => store.stat(id, { signal }));
 * ```
 */
export async function withDeadline<T>(
  ms: number,
  parent: AbortSignal | undefined,
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const deadline = startDeadline(ms, parent);
  try {
    // An async wrapper, so a call that throws synchronously rejects like one that fails later.
    const running = (async () => call(deadline.signal))();
    return await untilAborted(running, deadline.signal);
  } catch (error) {
    if (deadline.expired) throw deadlineError(ms, error);
    throw error;
  } finally {
    deadline.dispose();
  }
}
