import { throwIfAborted } from './body.js';
import { PENDING_PREFIX } from './direct-token.js';
import { ImageStoreError } from './errors.js';
import type { ImageStore } from './types.js';

/** Options for {@link sweepPending}. */
export interface SweepPendingOptions {
  /** Age in ms past which a pending upload is deleted, e.g. `24 * 3600_000`. */
  olderThan: number;
  /** The current time in ms since the epoch. Default `Date.now()`. */
  now?: number;
  /** Stops the sweep between objects. */
  signal?: AbortSignal;
}

/** What {@link sweepPending} did. */
export interface SweepPendingResult {
  /** Keys deleted. */
  deleted: string[];
  /** Pending uploads left because they are younger than `olderThan` (or of unknown age). */
  kept: number;
}

/**
 * Deletes the direct uploads that were started but never completed (`pending.*`) and are
 * older than `olderThan`, for stores without bucket lifecycle rules (fs, memory, servers
 * without lifecycle support). Needs the store's optional `list`. An object whose store does
 * not tell its age is kept. Run it from a timer or a cron job; it is safe to run anywhere
 * and as often as you like.
 *
 * @example
 * ```ts
 * const { deleted } = await sweepPending(store, { olderThan: 24 * 3600_000 });
 * ```
 */
export async function sweepPending(store: ImageStore, options: SweepPendingOptions): Promise<SweepPendingResult> {
  if (!store.list) {
    throw new ImageStoreError('INVALID_INPUT', '[imgstash] sweepPending needs a store with list()');
  }
  const { olderThan } = options;
  if (!Number.isFinite(olderThan) || olderThan < 0) {
    throw new ImageStoreError('INVALID_INPUT', '[imgstash] sweepPending: olderThan must be a number of ms ≥ 0');
  }
  const cutoff = (options.now ?? Date.now()) - olderThan;
  const call = options.signal ? { signal: options.signal } : {};
  const deleted: string[] = [];
  let kept = 0;
  for await (const entry of store.list(PENDING_PREFIX, call)) {
    throwIfAborted(options.signal);
    if (entry.lastModified === undefined || entry.lastModified.getTime() > cutoff) {
      kept++;
      continue;
    }
    await store.delete(entry.key, call);
    deleted.push(entry.key);
  }
  return { deleted, kept };
}
