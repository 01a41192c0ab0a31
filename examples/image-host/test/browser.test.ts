// The upload page in real Chromium (Debian's, driven by playwright-core; never a
// downloaded browser): pick a real JPEG, read the link, open it, see the image render.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start } from '../server.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
export const SCREENSHOT = join(dirname(fileURLToPath(import.meta.url)), '..', 'test-results', 'upload-page.png');

let dataDir: string;
let fileDir: string;
let server: Server;
let url: string;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'imgstash-browser-data-'));
  fileDir = mkdtempSync(join(tmpdir(), 'imgstash-browser-files-'));
  // A real photo-like JPEG: a gradient with noise, 640×400.
  const width = 640;
  const height = 400;
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      raw[i] = (x * 255) / width;
      raw[i + 1] = (y * 255) / height;
      raw[i + 2] = ((x + y) * 7) & 0xff;
    }
  }
  writeFileSync(
    join(fileDir, 'sunset 🌅.jpg'),
    await sharp(raw, { raw: { width, height, channels: 3 } })
      .jpeg({ quality: 85 })
      .toBuffer(),
  );
  writeFileSync(join(fileDir, 'notes.png'), 'this is text pretending to be a PNG\n');
  ({ server, url } = await start({ HOST: '127.0.0.1', PORT: '0', DATA_DIR: dataDir, IMGSTASH_SECRET: 'x'.repeat(40) }));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  page = await browser.newPage();
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(fileDir, { recursive: true, force: true });
});

describe('the upload page in Chromium', () => {
  it('uploads a real JPEG through the file input, shows the link and a rendered preview', async () => {
    await page.goto(url);
    expect(await page.title()).toBe('imgstash image host');
    await page.setInputFiles('#file', join(fileDir, 'sunset 🌅.jpg'));
    await page.waitForSelector('#result:not([hidden])');
    const link = await page.inputValue('#link');
    expect(link).toMatch(new RegExp(`^${url}i/[A-Za-z0-9_-]{21}$`));
    await page.waitForFunction(() => (document.getElementById('preview') as HTMLImageElement).naturalWidth > 0);
    expect(await page.$eval('#preview', (img) => (img as HTMLImageElement).naturalWidth)).toBe(640);
    expect(await page.isHidden('#error')).toBe(true);
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // Open the link itself: the redirect lands on the signed file, which renders as an image.
    const viewer = await browser.newPage();
    const response = await viewer.goto(link);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-type']).toBe('image/jpeg');
    const width = await viewer.evaluate(() => document.images[0]?.naturalWidth ?? 0);
    expect(width).toBe(640);
    await viewer.close();
  });

  it('shows a readable error for a file that is not an image, whatever its name claims', async () => {
    await page.goto(url);
    await page.setInputFiles('#file', join(fileDir, 'notes.png'));
    await page.waitForSelector('#error:not([hidden])');
    expect(await page.textContent('#error')).toMatch(/not an accepted image/);
    expect(await page.isHidden('#result')).toBe(true);
  });

  it('drops a file onto the drop zone and uploads it', async () => {
    await page.goto(url);
    const bytes = [
      ...(await sharp({ create: { width: 32, height: 24, channels: 3, background: '#36c' } })
        .png()
        .toBuffer()),
    ];
    await page.evaluate((data) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(data)], 'dropped.png', { type: 'image/png' }));
      document.getElementById('drop')?.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true }));
    }, bytes);
    await page.waitForSelector('#result:not([hidden])');
    await page.waitForFunction(() => (document.getElementById('preview') as HTMLImageElement).naturalWidth === 32);
  });

  it('copies the link with the copy button', async () => {
    await page.goto(url);
    await page.setInputFiles('#file', join(fileDir, 'sunset 🌅.jpg'));
    await page.waitForSelector('#result:not([hidden])');
    await page.click('#copy');
    await page.waitForFunction(() => document.getElementById('copy')?.textContent === 'Copied!');
  });
});
