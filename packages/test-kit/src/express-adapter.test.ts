// What only the Express adapter does: it writes Web responses to Node's with one writeHead,
// and hot redirects without a Web Response. Headers the app's own middleware set before the
// router (CORS, security headers, Express's X-Powered-By) must survive on every answer.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { UploadedImage } from '@imgstash/core';
import { FIXTURES } from '@imgstash/core/testing';
import { imageRouter } from '@imgstash/express';
import { createMemoryStore } from '@imgstash/memory';
import express5 from 'express';
import express4 from 'express4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const versions = { express5, express4: express4 as unknown as typeof express5 };

describe.each(Object.keys(versions) as (keyof typeof versions)[])('%s', (version) => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    const app = versions[version]();
    app.use((_req, res, next) => {
      res.setHeader('access-control-allow-origin', 'https://app.example');
      res.setHeader('x-frame-options', 'DENY');
      next();
    });
    app.use(imageRouter({ store: createMemoryStore({ secret: 's'.repeat(32) }) }));
    server = createServer(app).listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const expectAppHeaders = (response: Response) => {
    expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
  };

  it('keeps the headers set by earlier middleware on an upload, a redirect, a 404 and the page', async () => {
    const form = new FormData();
    form.append('file', new Blob([FIXTURES.png.bytes as Uint8Array<ArrayBuffer>], { type: 'image/png' }), 'p.png');
    const upload = await fetch(`${base}/upload`, { method: 'POST', body: form });
    expect(upload.status).toBe(201);
    expectAppHeaders(upload);
    const { id } = (await upload.json()) as UploadedImage;

    const redirect = await fetch(`${base}/i/${id}`, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expectAppHeaders(redirect);
    expect(redirect.headers.get('location')).toMatch(/^\/files\//);
    expect(redirect.headers.get('cache-control')).toMatch(/^private, max-age=\d+$/);
    expect(redirect.headers.get('x-content-type-options')).toBe('nosniff');
    expect(redirect.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await redirect.text()).toBe('');

    const missing = await fetch(`${base}/i/${'A'.repeat(21)}`, { redirect: 'manual' });
    expect(missing.status).toBe(404);
    expectAppHeaders(missing);
    expect(missing.headers.get('content-type')).toMatch(/^application\/json/);

    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expectAppHeaders(page);
  });

  it('answers HEAD on a redirect with the 302 headers and no body', async () => {
    const form = new FormData();
    form.append('file', new Blob([FIXTURES.gif.bytes as Uint8Array<ArrayBuffer>], { type: 'image/gif' }), 'g.gif');
    const { id } = (await (await fetch(`${base}/upload`, { method: 'POST', body: form })).json()) as UploadedImage;
    const head = await fetch(`${base}/i/${id}`, { method: 'HEAD', redirect: 'manual' });
    expect(head.status).toBe(302);
    expect(head.headers.get('location')).toMatch(/^\/files\//);
    expect(await head.text()).toBe('');
  });
});
