// `redirect` and `redirectTarget` are one route in two shapes: a Web `Response`, and plain
// data for adapters that write to a Node response. They must answer alike in every case.
import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../../memory/src/index.js';
import type { ErrorBody } from '../http.js';
import { FIXTURES } from '../testing/fixtures.js';
import type { ImageStore } from '../types.js';
import { createImageHandlers, type HandlerRequest } from './handlers.js';

const get = (method = 'GET'): HandlerRequest => ({
  method,
  url: 'http://app.invalid/i/x',
  headers: new Headers(),
  body: null,
});

async function stored() {
  const store = createMemoryStore({ secret: 's'.repeat(32) });
  const handlers = createImageHandlers({ store, publicBaseUrl: 'https://img.example' });
  const id = 'V1StGXR8_Z5jdHi6B-myT';
  await store.put(id, FIXTURES.png.bytes, { contentType: 'image/png' });
  return { store, handlers, id };
}

describe('redirectTarget', () => {
  it('gives a hot id as plain 302 data with the same headers redirect() sends', async () => {
    const { handlers, id } = await stored();
    const target = await handlers.redirectTarget(get(), id);
    const response = await handlers.redirect(get(), id);
    expect(target).not.toBeInstanceOf(Response);
    if (target instanceof Response) return;
    expect(target.status).toBe(302);
    expect(response.status).toBe(302);
    expect(Object.keys(target.headers).sort()).toEqual([
      'cache-control',
      'location',
      'referrer-policy',
      'x-content-type-options',
    ]);
    for (const [name, value] of Object.entries(target.headers)) expect(response.headers.get(name)).toBe(value);
    expect(target.headers.location).toMatch(/^https:\/\/img\.example\/files\//);
    expect(target.headers['cache-control']).toMatch(/^private, max-age=\d+$/);
  });

  it('answers a missing id, a malformed id and a wrong method with the same error responses', async () => {
    const { handlers } = await stored();
    const cases: [HandlerRequest, string, number][] = [
      [get(), 'A'.repeat(21), 404],
      [get(), '..%2Fsecret', 404],
      [get('POST'), 'A'.repeat(21), 405],
    ];
    for (const [request, id, status] of cases) {
      const target = await handlers.redirectTarget(request, id);
      const response = await handlers.redirect(request, id);
      expect(target).toBeInstanceOf(Response);
      if (!(target instanceof Response)) return;
      expect(target.status).toBe(status);
      expect(response.status).toBe(status);
      expect(((await target.json()) as ErrorBody).error.code).toBe(((await response.json()) as ErrorBody).error.code);
    }
  });

  it('answers 502 and no redirect when the store fails with a raw error', async () => {
    const { store, id } = await stored();
    const failing: ImageStore = Object.assign(Object.create(store) as ImageStore, {
      stat: () => Promise.reject(new Error('connect ECONNREFUSED')),
    });
    const handlers = createImageHandlers({ store: failing });
    const target = await handlers.redirectTarget(get(), id);
    expect(target).toBeInstanceOf(Response);
    if (!(target instanceof Response)) return;
    expect(target.status).toBe(502);
    expect(((await target.json()) as ErrorBody).error.code).toBe('STORAGE_ERROR');
    expect(target.headers.get('location')).toBeNull();
  });
});
