// Direct uploads in real Chromium (Debian's, through playwright-core; never a downloaded
// browser): the upload page, and Uppy's own plugins from npm with exactly the glue printed in
// docs/uppy.md (its code blocks are bundled with esbuild as they stand), on the fs store (signed
// local PUTs) and on a real S3-protocol server (s3rver, with a bucket CORS rule) with presigned
// PUTs and POST policies.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { ImageHandlerOptions, ImageStore, UploadedImage } from '@imgstash/core';
import { imageRouter } from '@imgstash/express';
import { build } from 'esbuild';
import express from 'express';
import { type Browser, chromium, type Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestStore, sha256Hex, type TestStore } from './contract-kit.js';
import { CHROMIUM, CHROMIUM_ARGS, keysUnder, s3DirectStore } from './direct-kit.js';
import { BUCKET, startS3rver, type TestServer } from './s3rver.js';

const SECRET = 'uppy-direct-upload-secret-of-32-bytes-or-more';
const CORS = `<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PUT</AllowedMethod>
<AllowedMethod>POST</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader>
<MaxAgeSeconds>600</MaxAgeSeconds></CORSRule></CORSConfiguration>`;
const KIT = fileURLToPath(new URL('..', import.meta.url));
const DOC = readFileSync(fileURLToPath(new URL('../../../docs/uppy.md', import.meta.url)), 'utf8');

/** The code block of docs/uppy.md tagged `tag`, bundled for the browser as `window.Glue`. */
async function bundleDocBlock(tag: string): Promise<string> {
  const block = new RegExp(`\`\`\`js ${tag}\\n([\\s\\S]*?)\`\`\``).exec(DOC)?.[1];
  if (!block) throw new Error(`docs/uppy.md has no \`\`\`js ${tag} block`);
  const out = await build({
    stdin: { contents: block, resolveDir: KIT, loader: 'js' },
    bundle: true,
    write: false,
    format: 'iife',
    globalName: 'Glue',
    target: 'es2020',
    logLevel: 'silent',
  });
  return out.outputFiles[0]?.text ?? '';
}

interface Site {
  origin: string;
  server: Server;
  close(): Promise<void>;
}

/** imgstash's routes on Express 5, plus a test page at `/uppy` that loads `bundle`. */
async function startSite(options: ImageHandlerOptions, bundle: string): Promise<Site> {
  const app = express();
  app.get('/uppy', (_req, res) => {
    res.type('html').send('<!doctype html><title>uppy</title><script src="/uppy.js"></script>');
  });
  app.get('/uppy.js', (_req, res) => {
    res.type('text/javascript').send(bundle);
  });
  app.use(imageRouter(options));
  const server = createServer(app);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    server,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const STORES = ['fs', 's3-put', 's3-post'] as const;
type Kind = (typeof STORES)[number];

let browser: Browser;
let s3: TestServer;
let local: TestStore;
let jpeg: Buffer;
let glue: { direct: string; xhr: string };

beforeAll(async () => {
  s3 = await startS3rver({ cors: CORS });
  local = await createTestStore('fs');
  jpeg = await sharp({ create: { width: 64, height: 40, channels: 3, background: '#3a7' } })
    .jpeg()
    .toBuffer();
  glue = { direct: await bundleDocBlock('uppy-direct'), xhr: await bundleDocBlock('uppy-xhr') };
  browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS] });
});
afterAll(async () => {
  await browser?.close();
  await s3?.close();
  await local?.dispose();
});

function optionsFor(kind: Kind): { store: ImageStore } & ImageHandlerOptions {
  if (kind === 'fs') return { store: local.store };
  const store = s3DirectStore(s3, kind === 's3-put' ? 'put' : 'post');
  return { store, directUploads: { secret: SECRET, uploadOrigins: [s3.endpoint] } };
}

/** A page with the problems it reports (uncaught errors, CSP violations) and the requests it sends. */
async function openPage(url: string) {
  const page: Page = await browser.newPage();
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to connect/i.test(message.text())) problems.push(message.text());
  });
  page.on('request', (request) => requests.push(`${request.method()} ${request.url().split('?')[0]}`));
  await page.goto(url);
  return { page, problems, requests };
}

/** Adds files to the page's `window.Glue.uppy`, runs the upload, and reads what Uppy reports. */
function uppyUpload(page: Page, files: { name: string; type: string; bytes: number[] }[]) {
  return page.evaluate(async (list) => {
    // biome-ignore lint/suspicious/noExplicitAny: the page's bundle has no types here.
    const uppy = (window as any).Glue.uppy;
    for (const f of list)
      uppy.addFile({ name: f.name, type: f.type, data: new Blob([new Uint8Array(f.bytes)], { type: f.type }) });
    const result = await uppy.upload();
    return {
      // biome-ignore lint/suspicious/noExplicitAny: Uppy's file objects.
      successful: (result.successful ?? []).map((f: any) => f.response?.body),
      // biome-ignore lint/suspicious/noExplicitAny: Uppy's file objects.
      failed: (result.failed ?? []).map((f: any) => String(f.error)),
    };
  }, files);
}

for (const kind of STORES) {
  describe(`direct uploads in Chromium on ${kind}`, () => {
    it('the upload page sends the bytes straight to storage, and shows a link that serves them', async () => {
      const options = optionsFor(kind);
      const site = await startSite(options, '');
      const { page, problems, requests } = await openPage(`${site.origin}/`);
      try {
        await page.setInputFiles('#file', [{ name: 'green.jpg', mimeType: 'image/jpeg', buffer: jpeg }]);
        await page.waitForFunction(() => {
          const li = document.querySelector<HTMLElement>('#uploads > li');
          return li?.dataset.state === 'done' || li?.dataset.state === 'error';
        });
        const link = await page.$eval('[data-link]', (input) => (input as HTMLInputElement).value);
        const error = await page.$eval('[data-error]', (p) => p.textContent);
        expect(error).toBe('');
        expect(link).toMatch(new RegExp(`^${site.origin}/i/[A-Za-z0-9_-]{21}$`));
        const storage = kind === 'fs' ? `${site.origin}/files/` : `${s3.endpoint}/${BUCKET}`;
        const method = kind === 's3-post' ? 'POST' : 'PUT';
        expect(requests.filter((r) => r.startsWith(`${method} ${storage}`))).toHaveLength(1);
        expect(requests).toContain(`POST ${site.origin}/uploads`);
        expect(requests.some((r) => r.startsWith(`POST ${site.origin}/uploads/`) && r.endsWith('/complete'))).toBe(
          true,
        );
        expect(requests).not.toContain(`POST ${site.origin}/upload`);
        const served = await fetch(link);
        expect(sha256Hex(Buffer.from(await served.arrayBuffer()))).toBe(sha256Hex(jpeg));
        expect(await keysUnder(options.store, 'pending.')).toEqual([]);
        expect(problems).toEqual([]);
      } finally {
        await page.close();
        await site.close();
      }
    });

    it('Uppy with @uppy/aws-s3 and the glue of docs/uppy.md completes a direct upload, and reports a refusal', async () => {
      const options = optionsFor(kind);
      const site = await startSite(options, glue.direct);
      const { page, problems, requests } = await openPage(`${site.origin}/uppy`);
      try {
        const html = Buffer.from('<!doctype html><script>alert(1)</script>');
        const result = await uppyUpload(page, [
          { name: 'green.jpg', type: 'image/jpeg', bytes: [...jpeg] },
          { name: 'evil.png', type: 'image/png', bytes: [...html] },
        ]);
        expect(result.successful).toHaveLength(1);
        const image = result.successful[0] as UploadedImage;
        expect(image).toMatchObject({ contentType: 'image/jpeg', size: jpeg.length, sha256: sha256Hex(jpeg) });
        expect(image.filename).toBe('green.jpg');
        expect(result.failed).toEqual([expect.stringContaining('not an accepted image')]);
        expect(requests).not.toContain(`POST ${site.origin}/upload`);
        const served = await fetch(new URL(image.url, site.origin));
        expect(sha256Hex(Buffer.from(await served.arrayBuffer()))).toBe(sha256Hex(jpeg));
        expect(await keysUnder(options.store, 'pending.')).toEqual([]);
        expect(problems).toEqual([]);
      } finally {
        await page.close();
        await site.close();
      }
    });
  });
}

describe('Uppy with @uppy/xhr-upload in Chromium', () => {
  it('uploads through POST /upload as it is', async () => {
    const site = await startSite({ store: local.store }, glue.xhr);
    const { page, problems } = await openPage(`${site.origin}/uppy`);
    try {
      const result = await uppyUpload(page, [{ name: 'green.jpg', type: 'image/jpeg', bytes: [...jpeg] }]);
      expect(result.failed).toEqual([]);
      expect(result.successful[0]).toMatchObject({ contentType: 'image/jpeg', sha256: sha256Hex(jpeg) });
      expect(problems).toEqual([]);
    } finally {
      await page.close();
      await site.close();
    }
  });
});
