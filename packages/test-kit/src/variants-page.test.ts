// The upload page with variants, in real Chromium (Debian's, driven by playwright-core;
// never a downloaded browser): the preview shows the `thumb` variant, the link stays the
// original's stable link.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFsStore } from '@imgstash/fs';
import { createSharpTransformer } from '@imgstash/sharp';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './chromium.js';
import { SECRET } from './contract-kit.js';
import { gradientImage, undecodableJpeg } from './images.js';
import { type RunningApp, startApp } from './servers.js';

let dir: string;
let app: RunningApp;
let browser: Browser;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imgstash-variants-page-'));
  app = await startApp('express5', {
    store: createFsStore({ root: join(dir, 'data'), secret: SECRET }),
    transformer: createSharpTransformer(),
    variants: { thumb: { width: 320, height: 320, fit: 'inside', format: 'webp' } },
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the upload page with a thumb preset, in Chromium', () => {
  it('previews the upload through its thumb variant and links the original', async () => {
    const file = join(dir, 'photo.jpg');
    await writeFile(file, await gradientImage('jpeg', 1280, 960));
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) problems.push(message.text());
    });
    // Every image the page loads is found (the browser's own favicon request aside).
    page.on('response', (response) => {
      if (response.status() >= 400 && !response.url().endsWith('/favicon.ico')) problems.push(response.url());
    });
    await page.goto(`${app.baseUrl}/`);
    await page.setInputFiles('#file', file);
    await page.waitForFunction(() => document.querySelector<HTMLImageElement>('[data-preview]')?.naturalWidth === 320);
    const preview = await page.$eval('[data-preview]', (img) => ({
      src: (img as HTMLImageElement).src,
      height: (img as HTMLImageElement).naturalHeight,
    }));
    const link = await page.$eval('[data-link]', (input) => (input as HTMLInputElement).value);
    expect(link).toMatch(new RegExp(`^${app.baseUrl}/i/[A-Za-z0-9_-]{21}$`));
    expect(preview).toEqual({ src: `${link}/thumb`, height: 240 });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('falls back to the original when the thumb cannot be made', async () => {
    const file = join(dir, 'damaged.jpg');
    await writeFile(file, await undecodableJpeg());
    const page = await browser.newPage();
    await page.goto(`${app.baseUrl}/`);
    await page.setInputFiles('#file', file);
    await page.waitForFunction(() => document.querySelector<HTMLImageElement>('[data-preview]')?.naturalWidth === 800);
    const link = await page.$eval('[data-link]', (input) => (input as HTMLInputElement).value);
    expect(await page.$eval('[data-preview]', (img) => (img as HTMLImageElement).src)).toBe(link);
    await page.close();
  });
});
