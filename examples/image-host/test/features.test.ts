// The image host's wave-2 features as an outside user meets them over HTTP: metadata stripped
// from a phone photo, health, the share page, delete tokens, API keys and the ShareX config.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runExample } from './run-example.js';

const EXAMPLE = join(dirname(fileURLToPath(import.meta.url)), '..');
const KEY = 'k3y-for-the-image-host-tests-0123456789';

/** A phone-style JPEG: GPS position, camera make and model, turned a quarter. */
function phonePhoto(): Promise<Buffer> {
  return sharp({ create: { width: 80, height: 60, channels: 3, background: '#3a7bd5' } })
    .withExif({
      IFD0: { Make: 'PhoneMaker', Model: 'Pocket-12' },
      IFD3: {
        GPSLatitudeRef: 'N',
        GPSLatitude: '48/1 51/1 2952/100',
        GPSLongitudeRef: 'E',
        GPSLongitude: '2/1 17/1 4020/100',
      },
    })
    .withMetadata({ orientation: 6 })
    .jpeg()
    .toBuffer();
}

describe('examples/image-host with IMGSTASH_API_KEYS', () => {
  let dataDir: string;
  let running: Awaited<ReturnType<typeof runExample>>;
  const auth = { authorization: `Bearer ${KEY}` };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'imgstash-features-'));
    running = await runExample(EXAMPLE, { HOST: '127.0.0.1', DATA_DIR: dataDir, IMGSTASH_API_KEYS: KEY });
  });
  afterAll(() => {
    running?.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  const upload = async (bytes: Uint8Array, headers: Record<string, string> = auth) => {
    const form = new FormData();
    form.append('file', new Blob([bytes as Uint8Array<ArrayBuffer>]), 'IMG_0001.jpg');
    return fetch(new URL('upload', running.url), { method: 'POST', body: form, headers });
  };

  it('answers /healthz 200 from a store probe', async () => {
    const res = await fetch(new URL('healthz', running.url));
    expect([res.status, await res.json()]).toEqual([200, { ok: true }]);
  });

  it('refuses an upload without a key with 401, and a wrong key with 403', async () => {
    const photo = await phonePhoto();
    const without = await upload(photo, {});
    expect(without.status).toBe(401);
    expect(without.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await upload(photo, { authorization: 'Bearer wrong-key-0123456789abcdef' })).status).toBe(403);
  });

  it('publishes a phone photo without its GPS position, make or model, upright, with a share page and a delete token', async () => {
    const res = await upload(await phonePhoto());
    expect(res.status).toBe(201);
    const body = (await res.json()) as {
      id: string;
      url: string;
      pageUrl: string;
      width: number;
      height: number;
      deleteToken: string;
      deleteUrl: string;
    };
    expect([body.width, body.height]).toEqual([60, 80]);
    const served = Buffer.from(await (await fetch(body.url)).arrayBuffer());
    for (const text of ['PhoneMaker', 'Pocket-12']) expect(served.includes(text, 0, 'latin1')).toBe(false);
    const meta = await sharp(served).metadata();
    expect(meta.orientation).toBe(6);
    expect(meta.exif === undefined || !meta.exif.includes('GPS')).toBe(true);

    const page = await fetch(body.pageUrl);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(`<meta property="og:image" content="${body.url}">`);
    expect(html).toContain('<meta property="og:image:width" content="60">');
    expect(html).not.toMatch(/sig=|X-Amz-Signature/);

    // A link preview opens the delete link: nothing is deleted.
    expect((await fetch(body.deleteUrl)).status).toBe(200);
    expect((await fetch(body.url, { redirect: 'manual' })).status).toBe(302);
    const del = await fetch(body.url, { method: 'DELETE', headers: { authorization: `Bearer ${body.deleteToken}` } });
    expect(del.status).toBe(204);
    expect((await fetch(body.url, { redirect: 'manual' })).status).toBe(404);
  });

  it('serves /sharex.sxcu only to a request with a valid key, embedding that key', async () => {
    expect((await fetch(new URL('sharex.sxcu', running.url))).status).toBe(401);
    const res = await fetch(new URL('sharex.sxcu', running.url), { headers: auth });
    expect(res.status).toBe(200);
    const config = (await res.json()) as Record<string, unknown>;
    expect(config).toMatchObject({
      DestinationType: 'ImageUploader',
      RequestMethod: 'POST',
      RequestURL: new URL('upload', running.url).href,
      Body: 'MultipartFormData',
      FileFormName: 'file',
      URL: '{json:url}',
      DeletionURL: '{json:deleteUrl}',
      ErrorMessage: '{json:error.message}',
      Headers: { Authorization: `Bearer ${KEY}` },
    });
  });
});
