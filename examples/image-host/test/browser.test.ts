// The upload page in real Chromium (Debian's, driven by playwright-core; never a
// downloaded browser): files chosen, dropped anywhere or pasted are uploaded one after
// another, and every link it shows opens the stored image.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { launchChromium, watchProblems } from '../../../packages/test-kit/src/chromium.js';
import { start } from '../server.js';

const RESULTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'test-results');
export const SCREENSHOT = join(RESULTS, 'upload-page.png');

/** A file as the test hands it to the page: name, type and the real bytes. */
interface FileSpec {
  name: string;
  type: string;
  bytes: number[];
}

/** What one item of the page's upload list shows. */
interface Item {
  state: string | undefined;
  name: string;
  link: string;
  error: string;
}

let dataDir: string;
let fileDir: string;
let server: Server;
let url: string;
let browser: Browser;
let page: Page;
/** Uncaught errors and CSP violations in the page: every test ends with none. */
let problems: string[];
let files: Record<'jpeg' | 'png' | 'webp', { path: string; bytes: Buffer }>;

async function fixture(name: string, bytes: Buffer) {
  const path = join(fileDir, name);
  writeFileSync(path, bytes);
  return { path, bytes };
}

const spec = (name: string, type: string, bytes: Buffer): FileSpec => ({ name, type, bytes: [...bytes] });

/** Every item of the upload list, in the order the page shows them. */
function items(target: Page = page): Promise<Item[]> {
  return target.$$eval('#uploads > li', (lis) =>
    lis.map((li) => ({
      state: (li as HTMLElement).dataset.state,
      name: li.querySelector('[data-name]')?.textContent ?? '',
      link: (li.querySelector('[data-link]') as HTMLInputElement).value,
      error: li.querySelector('[data-error]')?.textContent ?? '',
    })),
  );
}

/** Waits until the list holds `count` items and every one of them has finished, then reads it. */
async function settled(count: number, target: Page = page): Promise<Item[]> {
  await target.waitForFunction((n) => {
    const lis = [...document.querySelectorAll<HTMLElement>('#uploads > li')];
    return lis.length === n && lis.every((li) => li.dataset.state === 'done' || li.dataset.state === 'error');
  }, count);
  return items(target);
}

/** Follows a link the page shows, as anyone it is shared with would: a redirect, then the bytes. */
async function open(link: string) {
  const redirect = await fetch(link, { redirect: 'manual' });
  expect(redirect.status).toBe(302);
  const location = redirect.headers.get('location');
  expect(location).toBeTruthy();
  const image = await fetch(new URL(location as string, link));
  expect(image.status).toBe(200);
  return { type: image.headers.get('content-type'), bytes: Buffer.from(await image.arrayBuffer()) };
}

/**
 * Dispatches dragenter, dragover and drop carrying `specs` on the element `selector` names,
 * with a DataTransfer built in the page from the bytes; resolves with whether the page
 * cancelled the drop (a drop it does not cancel is the browser's cue to open the file).
 */
function drop(specs: FileSpec[], selector: string): Promise<boolean> {
  return page.evaluate(
    ({ specs, selector }) => {
      const transfer = new DataTransfer();
      for (const f of specs) transfer.items.add(new File([new Uint8Array(f.bytes)], f.name, { type: f.type }));
      const target = document.querySelector(selector) as Element;
      if (target.closest('#drop')) throw new Error(`${selector} is inside the drop box`);
      const init = { dataTransfer: transfer, bubbles: true, cancelable: true };
      target.dispatchEvent(new DragEvent('dragenter', init));
      target.dispatchEvent(new DragEvent('dragover', init));
      return !target.dispatchEvent(new DragEvent('drop', init));
    },
    { specs, selector },
  );
}

/**
 * A trusted drag of files from the desktop, as the operating system delivers one, through the
 * DevTools protocol: each of `steps` at the viewport point `at`. Resolves once they are dispatched.
 */
async function desktopDrag(paths: string[], at: { x: number; y: number }, steps: DragStep[]): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  const data = { items: [], files: paths, dragOperationsMask: 1 };
  for (const type of steps) await cdp.send('Input.dispatchDragEvent', { type, ...at, data });
  await cdp.detach();
}
type DragStep = 'dragEnter' | 'dragOver' | 'drop';

/** Dispatches a paste of `specs` (files) and `text` on the document; resolves with whether the page cancelled it. */
function paste(specs: FileSpec[], text?: string): Promise<boolean> {
  return page.evaluate(
    ({ specs, text }) => {
      const data = new DataTransfer();
      for (const f of specs) data.items.add(new File([new Uint8Array(f.bytes)], f.name, { type: f.type }));
      if (text !== undefined) data.setData('text/plain', text);
      const event = new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true });
      return !(document.activeElement ?? document.body).dispatchEvent(event);
    },
    { specs, text },
  );
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'imgstash-browser-data-'));
  fileDir = mkdtempSync(join(tmpdir(), 'imgstash-browser-files-'));
  mkdirSync(RESULTS, { recursive: true });
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
  const jpeg = await sharp(raw, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 85 })
    .toBuffer();
  files = {
    jpeg: await fixture('sunset 🌅.jpg', jpeg),
    png: await fixture(
      'dropped.png',
      await sharp({ create: { width: 32, height: 24, channels: 3, background: '#36c' } })
        .png()
        .toBuffer(),
    ),
    webp: await fixture(
      'chart.webp',
      await sharp({ create: { width: 48, height: 36, channels: 3, background: '#e94' } })
        .webp()
        .toBuffer(),
    ),
  };
  writeFileSync(join(fileDir, 'notes.png'), 'this is text pretending to be a PNG\n');
  ({ server, url } = await start({ HOST: '127.0.0.1', PORT: '0', DATA_DIR: dataDir, IMGSTASH_SECRET: 'x'.repeat(40) }));
  browser = await launchChromium();
});

beforeEach(async () => {
  // A fresh context per test: its own clipboard permissions, no state left from the test before.
  page = await browser.newPage();
  problems = watchProblems(page);
  await page.goto(url);
});

afterEach(async () => {
  await page?.close();
  expect(problems).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(fileDir, { recursive: true, force: true });
});

describe('the upload page in Chromium', () => {
  it('uploads a real JPEG through the file input, shows the link and a rendered preview', async () => {
    expect(await page.title()).toBe('imgstash image host');
    await page.setInputFiles('#file', files.jpeg.path);
    const [item] = await settled(1);
    expect(item).toMatchObject({ state: 'done', name: 'sunset 🌅.jpg', error: '' });
    expect(item?.link).toMatch(new RegExp(`^${url}i/[A-Za-z0-9_-]{21}$`));
    // The preview is the host's thumb variant: the 640 × 400 photo fitted inside 320 × 320.
    await page.waitForFunction(() => document.querySelector<HTMLImageElement>('[data-preview]')?.naturalWidth === 320);
    expect(await page.$eval('[data-preview]', (img) => (img as HTMLImageElement).src)).toMatch(/\/thumb$/);
    expect(await page.isHidden('[data-error]')).toBe(true);

    // Open the link itself: the redirect lands on the signed file, which renders as an image.
    const viewer = await browser.newPage();
    const response = await viewer.goto(item?.link as string);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-type']).toBe('image/jpeg');
    const width = await viewer.evaluate(() => document.images[0]?.naturalWidth ?? 0);
    expect(width).toBe(640);
    await viewer.close();
  });

  it('uploads three chosen files one after another, in order: two links and one readable error', async () => {
    // Counts the uploads in flight in the page itself, where the XHRs start and end. The end is
    // heard on open(), before the page's own listeners, so that the count drops before the next starts.
    await page.evaluate(() => {
      const w = window as unknown as { inFlight: number; mostInFlight: number };
      w.inFlight = 0;
      w.mostInFlight = 0;
      const { open, send } = XMLHttpRequest.prototype;
      XMLHttpRequest.prototype.open = function (this: XMLHttpRequest, ...args: Parameters<typeof open>) {
        this.addEventListener('loadend', () => w.inFlight--);
        return open.apply(this, args);
      } as typeof open;
      XMLHttpRequest.prototype.send = function (this: XMLHttpRequest, body) {
        w.mostInFlight = Math.max(w.mostInFlight, ++w.inFlight);
        return send.call(this, body);
      };
    });
    const posted: string[] = [];
    page.on('request', (request) => {
      // One start per file: `POST /uploads` (direct, then its `complete`) or `POST /upload`.
      if (request.method() === 'POST' && !request.url().endsWith('/complete')) posted.push(request.url());
    });
    // Named without the emoji here: Debian's Chromium has no emoji font, and this run makes the screenshot.
    await page.setInputFiles('#file', [
      { name: 'sunset.jpg', mimeType: 'image/jpeg', buffer: files.jpeg.bytes },
      { name: 'notes.png', mimeType: 'image/png', buffer: readFileSync(join(fileDir, 'notes.png')) },
      { name: 'chart.webp', mimeType: 'image/webp', buffer: files.webp.bytes },
    ]);
    const list = await settled(3);
    expect(list.map(({ state, name }) => [state, name])).toEqual([
      ['done', 'sunset.jpg'],
      ['error', 'notes.png'],
      ['done', 'chart.webp'],
    ]);
    expect(list[1]?.error).toMatch(/^The file is not an accepted image/);
    expect(list[1]?.link).toBe('');
    expect(new Set([list[0]?.link, list[2]?.link]).size).toBe(2);
    expect(posted).toHaveLength(3);
    expect(await page.evaluate(() => (window as unknown as { mostInFlight: number }).mostInFlight)).toBe(1);
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll<HTMLImageElement>('[data-preview]')].filter((i) => i.naturalWidth).length === 2,
    );
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // Each link opens the very bytes that were chosen.
    expect(await open(list[0]?.link as string)).toEqual({ type: 'image/jpeg', bytes: files.jpeg.bytes });
    expect(await open(list[2]?.link as string)).toEqual({ type: 'image/webp', bytes: files.webp.bytes });
  });

  it('uploads a JPEG dropped beside the drop box, and the page does not navigate to the file', async () => {
    const cancelled = await drop([spec('beside the box.jpg', 'image/jpeg', files.jpeg.bytes)], 'h1');
    expect(cancelled).toBe(true);
    const [item] = await settled(1);
    expect(item).toMatchObject({ state: 'done', name: 'beside the box.jpg' });
    expect(page.url()).toBe(url);
    expect(await open(item?.link as string)).toEqual({ type: 'image/jpeg', bytes: files.jpeg.bytes });
  });

  it('uploads files dragged from the desktop and dropped at the page corner, one after another', async () => {
    const corner = { x: 8, y: 8 };
    expect(await page.evaluate(({ x, y }) => document.elementFromPoint(x, y)?.closest('#drop'), corner)).toBeNull();
    const paths = [files.png.path, files.jpeg.path];
    await desktopDrag(paths, corner, ['dragEnter', 'dragOver']);
    expect(await page.isVisible('#overlay')).toBe(true);
    await page.screenshot({ path: join(RESULTS, 'upload-page-dragging.png') });
    await desktopDrag(paths, corner, ['drop']);
    const list = await settled(2);
    expect(list.map(({ state, name }) => [state, name])).toEqual([
      ['done', 'dropped.png'],
      ['done', 'sunset 🌅.jpg'],
    ]);
    expect(await page.isVisible('#overlay')).toBe(false);
    expect(page.url()).toBe(url);
    expect(await open(list[0]?.link as string)).toEqual({ type: 'image/png', bytes: files.png.bytes });
    expect(await open(list[1]?.link as string)).toEqual({ type: 'image/jpeg', bytes: files.jpeg.bytes });
  });

  it('uploads a file dropped onto the file input itself once, not twice', async () => {
    const box = await page.locator('#file').boundingBox();
    const at = { x: Math.round((box?.x ?? 0) + 10), y: Math.round((box?.y ?? 0) + (box?.height ?? 0) / 2) };
    await desktopDrag([files.png.path], at, ['dragEnter', 'dragOver', 'drop']);
    expect(await settled(1)).toMatchObject([{ state: 'done', name: 'dropped.png' }]);
    expect(await page.$eval('#file', (input) => (input as HTMLInputElement).files?.length)).toBe(0);
  });

  it('uploads an image pasted from the clipboard as a file', async () => {
    const cancelled = await paste([spec('image.png', 'image/png', files.png.bytes)]);
    expect(cancelled).toBe(true);
    const [item] = await settled(1);
    expect(item).toMatchObject({ state: 'done', name: 'image.png' });
    expect(await open(item?.link as string)).toEqual({ type: 'image/png', bytes: files.png.bytes });
  });

  it('uploads a screenshot put on the clipboard and pasted with Ctrl+V', async () => {
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(url).origin });
    await page.evaluate(
      async (bytes) => {
        const blob = new Blob([new Uint8Array(bytes)], { type: 'image/png' });
        await navigator.clipboard.write([new ClipboardItem({ 'image/png': blob })]);
      },
      [...files.png.bytes],
    );
    await page.keyboard.press('Control+V');
    const [item] = await settled(1);
    expect(item?.state).toBe('done');
    // The clipboard re-encodes what it holds, as it does a screenshot: same picture, other bytes.
    const { type, bytes } = await open(item?.link as string);
    expect(type).toBe('image/png');
    expect(await sharp(bytes).metadata()).toMatchObject({ format: 'png', width: 32, height: 24 });
  });

  it('leaves a paste of plain text alone: nothing is uploaded', async () => {
    expect(await paste([], 'just some words')).toBe(false);
    expect(await items()).toEqual([]);
  });

  it('refuses an empty file and one over the limit in the page, and sends neither', async () => {
    const posted: string[] = [];
    page.on('request', (request) => {
      // One start per file: `POST /uploads` (direct, then its `complete`) or `POST /upload`.
      if (request.method() === 'POST' && !request.url().endsWith('/complete')) posted.push(request.url());
    });
    await page.evaluate(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([], 'empty.png', { type: 'image/png' }));
      transfer.items.add(new File([new Uint8Array(10 * 1024 * 1024 + 1)], 'huge.jpg', { type: 'image/jpeg' }));
      document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    });
    const list = await settled(2);
    expect(list).toEqual([
      { state: 'error', name: 'empty.png', link: '', error: 'That file is empty.' },
      { state: 'error', name: 'huge.jpg', link: '', error: 'That file is too large: the limit is 10 MiB.' },
    ]);
    expect(posted).toEqual([]);
  });

  it('copies the link with the copy button', async () => {
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(url).origin });
    await page.setInputFiles('#file', files.jpeg.path);
    const [item] = await settled(1);
    await page.click('[data-copy]');
    await page.waitForFunction(() => document.querySelector('[data-copy]')?.textContent === 'Copied!');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(item?.link);
  });
});
