// Run by runtimes.test.ts under Bun, Deno and workerd: imgstash's Hono routes with the
// memory store, through `app.request()` alone (no Node server). `probe()` resolves what it
// saw; run as a script (Bun, Deno), it prints that as one JSON line.
import { FIXTURES } from '@imgstash/core/testing';
import { imageRoutes } from '@imgstash/hono';
import { createMemoryStore } from '@imgstash/memory';
import { Hono } from 'hono';

const runtime =
  typeof Bun !== 'undefined'
    ? 'bun'
    : typeof Deno !== 'undefined'
      ? 'deno'
      : globalThis.navigator?.userAgent === 'Cloudflare-Workers'
        ? 'workerd'
        : 'node';
const origin = 'http://probe.invalid';

const form = (bytes, name) => {
  const body = new FormData();
  body.append('file', new Blob([bytes], { type: 'image/png' }), name);
  return { method: 'POST', body };
};

/** Uploads, follows the redirect, fetches the signed link, and sends HTML as a PNG. */
export async function probe() {
  const app = new Hono();
  app.route('/', imageRoutes({ store: createMemoryStore({ secret: 's'.repeat(32) }), publicBaseUrl: origin }));
  const upload = await app.request('/upload', form(FIXTURES.png.bytes, 'café 🌅.png'));
  const uploaded = await upload.json();
  const redirect = await app.request(`/i/${uploaded.id}`);
  const location = redirect.headers.get('location') ?? '';
  const file = await app.request(location.slice(origin.length));
  const bytes = new Uint8Array(await file.arrayBuffer());
  const expected = FIXTURES.png.bytes;
  const refused = await app.request(
    '/upload',
    form(new TextEncoder().encode('<html><script>alert(1)</script>'), 'x.png'),
  );

  return {
    runtime,
    upload: upload.status,
    sha256: uploaded.sha256,
    filename: uploaded.filename,
    redirect: redirect.status,
    location,
    file: file.status,
    contentType: file.headers.get('content-type'),
    disposition: file.headers.get('content-disposition'),
    identical: bytes.length === expected.length && bytes.every((b, i) => b === expected[i]),
    refused: refused.status,
    refusedCode: (await refused.json()).error.code,
  };
}

// Bun and Deno set import.meta.main for the script they were asked to run.
if (import.meta.main) console.log(JSON.stringify(await probe()));
