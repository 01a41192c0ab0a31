import { describe, expect, it } from 'vitest';
import { drainableBody } from './drain.js';

async function* chunks(count: number, size: number, onRead?: () => void): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < count; i++) {
    onRead?.();
    yield new Uint8Array(size);
  }
}

describe('drainableBody', () => {
  it('lets a consumer stop early and then drains the rest to its end', async () => {
    let reads = 0;
    const source = drainableBody(chunks(10, 100, () => reads++));
    for await (const _ of source.body) break;
    expect(source.ended).toBe(false);
    await expect(source.drain({ maxBytes: 10_000, timeout: 1000 })).resolves.toBe(true);
    expect(source.ended).toBe(true);
    expect(reads).toBe(10);
  });

  it('stops reading past maxBytes and reports the cut, releasing the source', async () => {
    let reads = 0;
    let released = false;
    async function* endless(): AsyncGenerator<Uint8Array> {
      try {
        for (;;) {
          reads++;
          yield new Uint8Array(1000);
        }
      } finally {
        released = true;
      }
    }
    const source = drainableBody(endless());
    await expect(source.drain({ maxBytes: 5000, timeout: 1000 })).resolves.toBe(false);
    expect(reads).toBe(6);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(released).toBe(true);
  });

  it('stops waiting on a source that stalls, once the timeout passes', async () => {
    const stalled: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => ({ next: () => new Promise<IteratorResult<Uint8Array>>(() => {}) }),
    };
    await expect(drainableBody(stalled).drain({ maxBytes: 1e9, timeout: 30 })).resolves.toBe(false);
  });

  it('reports a source that fails while draining as cut', async () => {
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(10);
      throw new Error('connection reset');
    }
    await expect(drainableBody(failing()).drain({ maxBytes: 1e9, timeout: 1000 })).resolves.toBe(false);
  });

  it('answers true at once for a body the consumer read to its end', async () => {
    const source = drainableBody(chunks(3, 10));
    for await (const _ of source.body) {
      // reading it all
    }
    expect(source.ended).toBe(true);
    await expect(source.drain({ maxBytes: 0, timeout: 0 })).resolves.toBe(true);
  });
});
