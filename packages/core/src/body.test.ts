import { describe, expect, it } from 'vitest';
import { concatBytes, randomSplits, trackedIterable, trackedStream } from '../test-helpers/images.js';
import { abortableChunks, bodyChunks, iterateBody, readAll, readAtMost, throwIfAborted } from './body.js';
import { FIXTURES } from './testing/fixtures.js';

const png = FIXTURES.png.bytes;

async function* generate(chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

/** A stream whose first read never settles, and which records its cancellation. */
function stalledStream() {
  const state = { cancelled: false, reason: undefined as unknown };
  const stream = new ReadableStream<Uint8Array>({
    pull: () => new Promise<void>(() => {}),
    cancel(reason) {
      state.cancelled = true;
      state.reason = reason;
    },
  });
  return { stream, state };
}

describe('iterateBody', () => {
  it('yields a Uint8Array as one chunk, then ends', async () => {
    const it = iterateBody(png);
    expect(await it.next()).toEqual({ done: false, value: png });
    expect((await it.next()).done).toBe(true);
    expect((await it.next()).done).toBe(true);
  });

  it('yields the chunks of a ReadableStream in order', async () => {
    const chunks = randomSplits(png, 3);
    const source = trackedStream(chunks);
    expect(await readAll(source.stream)).toEqual(png);
    expect(source.pulled).toBe(png.length);
  });

  it('yields the chunks of an AsyncIterable in order', async () => {
    expect(await readAll(generate(randomSplits(png, 4)))).toEqual(png);
  });

  it('cancels a ReadableStream when the consumer returns early', async () => {
    const source = trackedStream(randomSplits(png, 5));
    const it = iterateBody(source.stream);
    await it.next();
    await it.return?.();
    expect(source.released).toBe(true);
  });

  it('releases an AsyncIterable when the consumer stops in a for-await', async () => {
    const source = trackedIterable(randomSplits(png, 6));
    for await (const _chunk of bodyChunks(source)) break;
    expect(source.released).toBe(true);
  });
});

describe('readAll', () => {
  it('returns the bytes of every kind of body', async () => {
    expect(await readAll(png)).toBe(png);
    expect(await readAll(generate([png.subarray(0, 10), png.subarray(10)]))).toEqual(png);
    expect(await readAll(new Blob([png as Uint8Array<ArrayBuffer>]).stream())).toEqual(png);
    expect(await readAll(generate([]))).toEqual(new Uint8Array(0));
  });
});

describe('throwIfAborted', () => {
  it('does nothing without a signal or before abort, and throws the reason after', () => {
    const controller = new AbortController();
    expect(() => throwIfAborted(undefined)).not.toThrow();
    expect(() => throwIfAborted(controller.signal)).not.toThrow();
    const reason = new Error('client went away');
    controller.abort(reason);
    expect(() => throwIfAborted(controller.signal)).toThrow(reason);
  });
});

describe('abortableChunks', () => {
  it('passes every chunk through when the signal never aborts', async () => {
    const chunks = randomSplits(png, 8);
    const out: Uint8Array[] = [];
    for await (const chunk of abortableChunks(generate(chunks), new AbortController().signal)) out.push(chunk);
    expect(concatBytes(...out)).toEqual(png);
  });

  it('is the plain body iterator without a signal', async () => {
    expect(await readAll(abortableChunks(png, undefined) as AsyncIterable<Uint8Array>)).toEqual(png);
  });

  it('rejects a pending read as soon as the signal aborts, while the stream is stalled, and cancels the stream', async () => {
    const { stream, state } = stalledStream();
    const controller = new AbortController();
    const it = abortableChunks(stream, controller.signal)[Symbol.asyncIterator]();
    const pending = it.next();
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await expect.poll(() => state.cancelled).toBe(true);
  });

  it('rejects with the signal’s own reason', async () => {
    const { stream } = stalledStream();
    const controller = new AbortController();
    const reason = new Error('upload timed out');
    const pending = abortableChunks(stream, controller.signal)[Symbol.asyncIterator]().next();
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });

  it('rejects a stalled async iterable too, even though a generator cannot be interrupted', async () => {
    const controller = new AbortController();
    const stalled: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => ({ next: () => new Promise<IteratorResult<Uint8Array>>(() => {}) }),
    };
    const pending = abortableChunks(stalled, controller.signal)[Symbol.asyncIterator]().next();
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('rejects at once when the signal is already aborted, and releases the source', async () => {
    const source = trackedStream(randomSplits(png, 9));
    const controller = new AbortController();
    controller.abort();
    const it = abortableChunks(source.stream, controller.signal)[Symbol.asyncIterator]();
    await expect(it.next()).rejects.toMatchObject({ name: 'AbortError' });
    await expect.poll(() => source.released).toBe(true);
    expect(source.pulled).toBe(0);
  });

  it('releases the source when the signal aborts between two reads', async () => {
    const source = trackedStream(randomSplits(png, 10));
    const controller = new AbortController();
    const it = abortableChunks(source.stream, controller.signal)[Symbol.asyncIterator]();
    expect((await it.next()).done).toBe(false);
    controller.abort();
    await expect(it.next()).rejects.toMatchObject({ name: 'AbortError' });
    await expect.poll(() => source.released).toBe(true);
  });

  it('swallows a failure of the source to release itself, rather than leaving an unhandled rejection', async () => {
    const controller = new AbortController();
    let released = 0;
    const stubborn: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => ({
        next: () => new Promise<IteratorResult<Uint8Array>>(() => {}),
        return: () => {
          released++;
          return Promise.reject(new Error('cannot release'));
        },
      }),
    };
    const it = abortableChunks(stubborn, controller.signal)[Symbol.asyncIterator]();
    const pending = it.next();
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await expect(it.next()).rejects.toMatchObject({ name: 'AbortError' });
    expect(released).toBe(2);
  });

  it('passes a source error through unchanged', async () => {
    const failure = new Error('socket hang up');
    let pulls = 0;
    const failing = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          if (pulls++ === 0) controller.enqueue(png.subarray(0, 10));
          else controller.error(failure);
        },
      },
      { highWaterMark: 0 },
    );
    const it = abortableChunks(failing, new AbortController().signal)[Symbol.asyncIterator]();
    await expect(it.next()).resolves.toMatchObject({ done: false });
    await expect(it.next()).rejects.toBe(failure);
  });

  it('holds one abort listener for the whole body and removes it at the end, so long bodies do not pile up listeners', async () => {
    const controller = new AbortController();
    let added = 0;
    let removed = 0;
    const signal = controller.signal;
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = ((...args: Parameters<typeof add>) => {
      added++;
      add(...args);
    }) as typeof signal.addEventListener;
    signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
      removed++;
      remove(...args);
    }) as typeof signal.removeEventListener;
    const chunks = randomSplits(png, 11, 64);
    await readAll(abortableChunks(generate(chunks), signal) as AsyncIterable<Uint8Array>);
    expect(chunks.length).toBeGreaterThan(10);
    expect(added).toBe(1);
    expect(removed).toBe(1);
  });
});

describe('readAtMost', () => {
  it('collects a body within its bound', async () => {
    expect(
      await readAtMost(generate([png.subarray(0, 10), png.subarray(10, 30)]), 30, () => new Error('too large')),
    ).toEqual(png.subarray(0, 30));
  });

  it('throws the bound error as soon as the body passes it, without reading on', async () => {
    let reads = 0;
    async function* endless(): AsyncGenerator<Uint8Array> {
      for (;;) {
        reads++;
        yield new Uint8Array(100);
      }
    }
    const tooLarge = new Error('too large');
    await expect(readAtMost(endless(), 250, () => tooLarge)).rejects.toBe(tooLarge);
    expect(reads).toBe(3);
  });
});
