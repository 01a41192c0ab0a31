import { describeImageStore, serveSignedUrl } from '@imgstash/core/testing';
import { describe, expect, it } from 'vitest';
import { createMemoryStore } from './memory-store.js';

describeImageStore('memory', {
  describe,
  it,
  create: () => createMemoryStore(),
  fetchSignedUrl: (url, store) => serveSignedUrl(store, new Request(new URL(url, 'http://localhost'))),
});

describe('createMemoryStore', () => {
  it('counts and clears its objects', async () => {
    const store = createMemoryStore();
    await store.put('a', new Uint8Array([1, 2, 3]), { contentType: 'image/png' });
    expect(store.size).toBe(1);
    store.clear();
    expect(store.size).toBe(0);
    expect(await store.exists('a')).toBe(false);
  });

  it('keeps its bytes when a caller mutates the buffer it put or the chunks it read', async () => {
    const store = createMemoryStore();
    const bytes = new Uint8Array([1, 2, 3]);
    await store.put('a', bytes, { contentType: 'image/png' });
    bytes[0] = 9;
    const first = await store.get('a');
    const chunk = (await first?.body.getReader().read())?.value as Uint8Array;
    chunk[1] = 9;
    const again = await store.get('a');
    expect(new Uint8Array(await new Response(again?.body).arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('signs links under a configured base URL and path', async () => {
    const store = createMemoryStore({ baseUrl: 'https://img.example.com/', basePath: '/f/' });
    const url = await store.signedUrl('abc');
    expect(url).toMatch(/^https:\/\/img\.example\.com\/f\/abc\?expires=\d+&sig=[\w-]{43}$/);
  });
});
