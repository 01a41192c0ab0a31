// ThumbHash placeholders at upload (issue 11), through a real listener of every framework:
// computed from a copy of the bytes as they stream to the store, left out (never failing the
// upload) when they cannot be made, and never holding an upload back.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImageHandlerOptions, ImageTransformer, UploadedImage } from '@imgstash/core';
import { createFsStore } from '@imgstash/fs';
import { createSharpTransformer } from '@imgstash/sharp';
import { thumbHashToAverageRGBA } from 'thumbhash';
import { afterEach, describe, expect, it } from 'vitest';
import { expectJsonError, readReply, SECRET, uploadFile } from './contract-kit.js';
import { gradientImage, noiseImage, undecodableJpeg } from './images.js';
import { FRAMEWORKS, type Framework, type RunningApp, startApp } from './servers.js';

const MiB = 1024 * 1024;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function start(framework: Framework, options: Partial<ImageHandlerOptions>): Promise<RunningApp> {
  const root = await mkdtemp(join(tmpdir(), 'imgstash-placeholders-'));
  const app = await startApp(framework, {
    store: createFsStore({ root, secret: SECRET }),
    transformer: createSharpTransformer(),
    placeholder: 'thumbhash',
    ...options,
  });
  cleanups.push(async () => {
    await app.close();
    await rm(root, { recursive: true, force: true });
  });
  return app;
}

/** sharp's transform, with a placeholder that never reads its input nor settles. */
const stalledPlaceholder: ImageTransformer = {
  transform: (input, options) => createSharpTransformer().transform(input, options),
  placeholder: () => new Promise<never>(() => {}),
};

describe.each(FRAMEWORKS)('%s', (framework) => {
  it('carries a ThumbHash of the upload in the response and in onUploaded', async () => {
    const announced: UploadedImage[] = [];
    const app = await start(framework, { onUploaded: (image) => void announced.push(image) });
    const reply = await readReply(await uploadFile(app.baseUrl, await gradientImage('png', 640, 480)));
    expect(reply.status, reply.text()).toBe(201);
    const image = reply.json<UploadedImage>();
    // onUploaded gets the same facts, without the delete token (hooks must not be able to log it).
    const { deleteToken: _token, deleteUrl: _url, ...facts } = image;
    expect(announced).toEqual([facts]);
    const hash = Uint8Array.from(atob(image.placeholder as string), (c) => c.charCodeAt(0));
    const { r, g, b } = thumbHashToAverageRGBA(hash);
    expect([r * 255, g * 255, b * 255].map((v) => Math.round(v / 16))).toEqual([8, 8, 6]);
  });

  it('stores an upload whose pixels do not decode without a placeholder, and its variants answer 422', async () => {
    const app = await start(framework, { variants: { thumb: { width: 64, format: 'webp' } } });
    const reply = await readReply(await uploadFile(app.baseUrl, await undecodableJpeg()));
    expect(reply.status, reply.text()).toBe(201);
    const image = reply.json<UploadedImage>();
    expect(image).not.toHaveProperty('placeholder');
    const variant = await readReply(await fetch(`${app.origin}${image.variants?.thumb}`, { redirect: 'manual' }));
    expectJsonError(variant, 422, 'UNPROCESSABLE_IMAGE');
  });

  it('is left out when the transformer stalls, and the upload still answers once the transform deadline passes', async () => {
    const app = await start(framework, { transformer: stalledPlaceholder, deadlines: { transform: 300 } });
    const reply = await readReply(await uploadFile(app.baseUrl, await gradientImage('jpeg', 320, 240)));
    expect(reply.status, reply.text()).toBe(201);
    expect(reply.json<UploadedImage>()).not.toHaveProperty('placeholder');
  });

  it('is given up, not buffered, when its copy falls more than 4 MiB behind a large upload', async () => {
    const app = await start(framework, { transformer: stalledPlaceholder, maxBytes: 16 * MiB });
    const big = await noiseImage('png', 1700, 1800, 5);
    expect(big.length).toBeGreaterThan(4 * MiB);
    const reply = await readReply(await uploadFile(app.baseUrl, big));
    expect(reply.status, reply.text()).toBe(201);
    expect(reply.json<UploadedImage>()).toMatchObject({ size: big.length });
    expect(reply.json<UploadedImage>()).not.toHaveProperty('placeholder');
  });

  it('leaves nothing behind and nothing unhandled when the upload itself is refused', async () => {
    const app = await start(framework, { maxBytes: 64 * 1024 });
    const reply = await readReply(await uploadFile(app.baseUrl, await noiseImage('png', 400, 400, 2)));
    expectJsonError(reply, 413, 'PAYLOAD_TOO_LARGE');
  });
});
