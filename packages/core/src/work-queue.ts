import { ImageStoreError } from './errors.js';

/** Options for {@link createWorkQueue}. */
export interface WorkQueueOptions {
  /** Tasks running at once. */
  concurrency: number;
  /** Tasks waiting for a slot; one more is refused with `OVERLOADED` (503). */
  maxQueued: number;
}

/** A bounded queue of keyed, single-flight tasks: see {@link createWorkQueue}. */
export interface WorkQueue {
  /**
   * Runs `task` for `key`, or joins the run already in flight for `key`. Rejects with an
   * `OVERLOADED` error, without running anything, when every slot is busy and the queue
   * is full.
   */
  run<T>(key: string, task: () => Promise<T>): Promise<T>;
  /** Tasks running now. */
  readonly running: number;
  /** Tasks waiting now. */
  readonly queued: number;
}

/**
 * A queue for expensive work (variant transforms): at most `concurrency` tasks run, at
 * most `maxQueued` wait, and simultaneous calls for one key share one run. A full queue
 * refuses at once, so load sheds instead of piling up.
 *
 * @example
 * ```ts
 * const queue = createWorkQueue({ concurrency: 2, maxQueued: 16 });
 * const bytes = await queue.run('abc.thumb.webp', () => makeThumb());
 * ```
 */
export function createWorkQueue(options: WorkQueueOptions): WorkQueue {
  const { concurrency, maxQueued } = options;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new TypeError('[imgstash] concurrency must be ≥ 1');
  if (!Number.isInteger(maxQueued) || maxQueued < 0) throw new TypeError('[imgstash] maxQueued must be ≥ 0');
  const inFlight = new Map<string, Promise<unknown>>();
  const waiting: (() => void)[] = [];
  let running = 0;

  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else running--;
  };

  return {
    run<T>(key: string, task: () => Promise<T>): Promise<T> {
      const joined = inFlight.get(key);
      if (joined) return joined as Promise<T>;
      let slot: Promise<void>;
      if (running < concurrency) {
        running++;
        slot = Promise.resolve();
      } else if (waiting.length < maxQueued) {
        // The slot passes straight from the task that ends to this one: `running` stays.
        slot = new Promise<void>((resolve) => waiting.push(resolve));
      } else {
        return Promise.reject(
          new ImageStoreError('OVERLOADED', '[imgstash] the transform queue is full', {
            publicMessage: 'Too many images are being processed. Try again later.',
          }),
        );
      }
      const done = slot.then(task).finally(() => {
        inFlight.delete(key);
        release();
      });
      inFlight.set(key, done);
      return done;
    },
    get running() {
      return running;
    },
    get queued() {
      return waiting.length;
    },
  };
}
