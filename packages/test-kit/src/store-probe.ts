// Wraps a store to see what the handlers do with it: which methods they call, and how each
// put settles. The wrapper is a Proxy, so a local store keeps its `localUrls` (and the
// handlers still serve its `/files/` links).
import type { ImageStore } from '@imgstash/core';

/** The store methods of the contract. */
export const STORE_METHODS = ['put', 'exists', 'signedUrl', 'stat', 'get', 'delete'] as const;
export type StoreMethod = (typeof STORE_METHODS)[number];

/** How one `put` ended. */
export interface PutRecord {
  key: string;
  state: 'pending' | 'fulfilled' | 'rejected';
  error?: unknown;
  /** The signal the handlers passed, if any. */
  signal?: AbortSignal;
}

/** A wrapped store and what it saw. */
export interface StoreProbe<S extends ImageStore> {
  /** The store to hand to the handlers. */
  store: S;
  /** Calls per method since the last {@link StoreProbe.reset}. */
  calls: Record<StoreMethod, number>;
  /** Every put since the last reset, in call order. */
  puts: PutRecord[];
  /** Total calls of every method. */
  total(): number;
  reset(): void;
  /** Makes a method fail: `fail('stat', () => new Error('boom'))`; `undefined` restores it. */
  fail(method: StoreMethod, error: (() => unknown) | undefined): void;
}

/**
 * Wraps `store`, counting calls and recording how every put settles.
 *
 * @example
 * ```ts
 * const probe = probeStore(createMemoryStore());
 * const app = await startApp('hono', { store: probe.store });
 * // ... GET /i/..%2F..
 * expect(probe.total()).toBe(0);
 * ```
 */
export function probeStore<S extends ImageStore>(store: S): StoreProbe<S> {
  const zero = () => Object.fromEntries(STORE_METHODS.map((m) => [m, 0])) as Record<StoreMethod, number>;
  const failures = new Map<StoreMethod, () => unknown>();
  const probe: StoreProbe<S> = {
    store: undefined as unknown as S,
    calls: zero(),
    puts: [],
    total: () => Object.values(probe.calls).reduce((a, b) => a + b, 0),
    reset() {
      probe.calls = zero();
      probe.puts = [];
    },
    fail(method, error) {
      if (error) failures.set(method, error);
      else failures.delete(method);
    },
  };
  probe.store = new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || !(STORE_METHODS as readonly (string | symbol)[]).includes(prop)) return value;
      const method = prop as StoreMethod;
      return (...args: unknown[]) => {
        probe.calls[method]++;
        const failure = failures.get(method);
        const result: Promise<unknown> = failure
          ? Promise.reject(failure())
          : (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        if (method === 'put') {
          const record: PutRecord = { key: String(args[0]), state: 'pending' };
          const signal = (args[2] as { signal?: AbortSignal } | undefined)?.signal;
          if (signal) record.signal = signal;
          probe.puts.push(record);
          result.then(
            () => {
              record.state = 'fulfilled';
            },
            (error: unknown) => {
              record.state = 'rejected';
              record.error = error;
            },
          );
        }
        return result;
      };
    },
  });
  return probe;
}

/**
 * Polls `condition` every 10 ms until it holds; throws (failing the test) after `timeoutMs`.
 * For outcomes that settle asynchronously, without asserting how long they take.
 */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
