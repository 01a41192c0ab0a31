// The lifecycle's pages in real Chromium (Debian's, driven by playwright-core; never a
// downloaded browser), under their CSP: the delete confirmation page (opening deleteUrl
// deletes nothing, the token moves from the fragment into the form and out of the address
// bar, the button deletes), and the upload page of a host with API keys (it asks for the key
// and sends it; without it, the server's 401 message is what the person reads).
import type { UploadedImage } from '@imgstash/core';
import { FIXTURES } from '@imgstash/core/testing';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { launchChromium, watchProblems } from './chromium.js';
import { createTestStore, readReply, type TestStore, uploadFile } from './contract-kit.js';
import { type Framework, type RunningApp, startApp } from './servers.js';

const KEY = 'page-test-key-0123456789abcdef';

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(() => browser?.close());

describe.each(['express5', 'hono'] satisfies Framework[])('%s, on the fs store', (framework) => {
  let local: TestStore;
  let app: RunningApp;
  /** A second host, with apiKeys. */
  const keyed = {} as { local: TestStore; app: RunningApp };
  let page: Page;
  /** Uncaught errors and CSP violations in the page: every test ends with none. */
  let problems: string[];

  beforeAll(async () => {
    [local, keyed.local] = await Promise.all([createTestStore('fs'), createTestStore('fs')]);
    app = await startApp(framework, { store: local.store });
    keyed.app = await startApp(framework, { store: keyed.local.store, apiKeys: [KEY] });
  });
  afterAll(async () => {
    await Promise.all([app?.close(), keyed.app?.close()]);
    await Promise.all([local?.dispose(), keyed.local?.dispose()]);
  });
  beforeEach(async () => {
    page = await browser.newPage();
    problems = watchProblems(page);
  });
  afterEach(async () => {
    await page?.close();
    expect(problems).toEqual([]);
  });

  async function upload(): Promise<UploadedImage> {
    const reply = await readReply(await uploadFile(app.baseUrl, FIXTURES.png.bytes, { filename: 'a.png' }));
    expect(reply.status, reply.text()).toBe(201);
    return reply.json<UploadedImage>();
  }

  it('opens deleteUrl without deleting, hides the token, and deletes on the button', async () => {
    const image = await upload();
    const requests: string[] = [];
    page.on('request', (request) => requests.push(`${request.method()} ${request.url()}`));
    await page.goto(new URL(image.deleteUrl as string, app.baseUrl).href);
    expect(await page.textContent('h1')).toBe('Delete this image?');
    expect(await page.isVisible('#token')).toBe(false);
    // The token left the address bar, and no request carried it.
    expect(page.url()).toBe(`${app.baseUrl}/d/${image.id}`);
    expect(await local.store.exists(image.id)).toBe(true);

    await page.click('#confirm');
    await page.waitForFunction(() => document.body.dataset.state === 'deleted');
    expect(await page.textContent('#status')).toBe('Deleted.');
    expect(await local.store.exists(image.id)).toBe(false);
    expect(await local.contents()).toEqual([]);
    expect(requests.join('\n')).not.toContain(image.deleteToken);
    expect(requests).toContain(`POST ${app.baseUrl}/d/${image.id}`);
  });

  it('asks for the token when the fragment is none, or mangled, and never fails its script', async () => {
    const image = await upload();
    for (const fragment of ['', '#%E0%A4%A']) {
      await page.goto(`${app.baseUrl}/d/${image.id}${fragment}`);
      expect(await page.isVisible('#token')).toBe(true);
      expect(await page.inputValue('#token')).toBe('');
    }
    expect(await local.store.exists(image.id)).toBe(true);
  });

  it('shows the server’s message for a wrong token, keeps the image, and lets the person paste the right one', async () => {
    const image = await upload();
    await page.goto(`${app.baseUrl}/d/${image.id}#not-the-token`);
    await page.click('#confirm');
    await page.waitForFunction(() => document.body.dataset.state === 'error');
    expect(await page.textContent('#status')).toBe('The delete token is missing or wrong.');
    expect(await local.store.exists(image.id)).toBe(true);

    await page.fill('#token', image.deleteToken as string);
    await page.click('#confirm');
    await page.waitForFunction(() => document.body.dataset.state === 'deleted');
    expect(await local.store.exists(image.id)).toBe(false);
  });

  const choose = (name: string) =>
    page.setInputFiles('#file', { name, mimeType: 'image/png', buffer: Buffer.from(FIXTURES.png.bytes) });
  const finished = () =>
    page.waitForFunction(() => {
      const li = document.querySelector<HTMLElement>('#uploads > li');
      return li?.dataset.state === 'done' || li?.dataset.state === 'error';
    });

  it('asks for the API key when keys are on, and uploads with the key typed in', async () => {
    await page.goto(`${keyed.app.baseUrl}/`);
    await page.fill('#key', KEY);
    await choose('keyed.png');
    await finished();
    expect(await page.getAttribute('#uploads > li', 'data-state')).toBe('done');
    expect(await page.inputValue('#uploads > li [data-link]')).toMatch(/\/i\/[A-Za-z0-9_-]{21}$/);
  });

  it('shows the 401 message when no key is given, and stores nothing', async () => {
    await page.goto(`${keyed.app.baseUrl}/`);
    const before = await keyed.local.contents();
    await choose('keyless.png');
    await finished();
    expect(await page.textContent('#uploads > li [data-error]')).toBe(
      'An API key is required: send Authorization: Bearer <key>.',
    );
    expect(await keyed.local.contents()).toEqual(before);
  });
});
