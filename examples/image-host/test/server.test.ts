// The example as a newcomer runs it: `node server.js` in its own process, driven over HTTP
// the way the README's curl lines do. It imports the built packages, as an app would.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FIXTURES } from '@imgstash/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const EXAMPLE = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Starts `node server.js` and resolves with its URL from the one line it logs. */
export async function runExample(
  env: Record<string, string>,
): Promise<{ child: ChildProcess; url: string; log: string[] }> {
  const child = spawn(process.execPath, ['server.js'], {
    cwd: EXAMPLE,
    env: { PATH: process.env.PATH ?? '', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the example did not start:\n${log.join('')}`)), 20_000);
    const onData = (data: Buffer) => {
      log.push(data.toString());
      const match = /listening on (http:\/\/\S+)/.exec(log.join(''));
      if (match) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (d: Buffer) => log.push(d.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the example exited with ${code}:\n${log.join('')}`));
    });
  });
  return { child, url, log };
}

/** What `curl -F file=@photo.jpg $url/upload` then `curl -L $link` do. */
export async function uploadAndFollow(url: string, bytes: Uint8Array, filename: string) {
  const form = new FormData();
  form.append('file', new Blob([bytes as Uint8Array<ArrayBuffer>]), filename);
  const upload = await fetch(new URL('upload', url), { method: 'POST', body: form });
  const body = (await upload.json()) as { id: string; url: string; sha256: string; size: number };
  const followed = await fetch(body.url);
  return { upload, body, followed, bytes: new Uint8Array(await followed.arrayBuffer()) };
}

describe('examples/image-host on local disk', () => {
  let dataDir: string;
  let running: Awaited<ReturnType<typeof runExample>>;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'imgstash-example-'));
    running = await runExample({ DATA_DIR: dataDir });
  });

  afterAll(() => {
    running?.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('logs one line with its URL and serves the upload page', async () => {
    expect(running.log.join('').trim().split('\n')).toHaveLength(1);
    const page = await fetch(running.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toContain('type="file"');
  });

  it('stores an uploaded JPEG on disk and returns identical bytes through /i/<id>', async () => {
    const { upload, body, followed, bytes } = await uploadAndFollow(running.url, FIXTURES.jpeg.bytes, 'photo.jpg');
    expect(upload.status).toBe(201);
    expect(upload.headers.get('location')).toBe(body.url);
    expect(body.url).toBe(`${running.url}i/${body.id}`);
    expect(body.sha256).toBe(createHash('sha256').update(FIXTURES.jpeg.bytes).digest('hex'));
    expect(followed.status).toBe(200);
    expect(followed.headers.get('content-type')).toBe('image/jpeg');
    expect(bytes).toEqual(FIXTURES.jpeg.bytes);
    expect(readdirSync(dataDir)).toContain(body.id);
  });

  it('keeps its links valid across a restart, with the secret it kept in the data directory', async () => {
    const { body } = await uploadAndFollow(running.url, FIXTURES.png.bytes, 'a.png');
    const redirect = await fetch(body.url, { redirect: 'manual' });
    const signed = new URL(redirect.headers.get('location') as string, running.url).href;
    running.child.kill('SIGTERM');
    const [code] = await once(running.child, 'exit');
    expect(code).toBe(0);
    running = await runExample({ DATA_DIR: dataDir });
    const again = await fetch(signed.replace(/^http:\/\/[^/]+/, running.url.replace(/\/$/, '')));
    expect(again.status).toBe(200);
    expect(new Uint8Array(await again.arrayBuffer())).toEqual(FIXTURES.png.bytes);
  });

  it('shuts down gracefully on SIGTERM', async () => {
    running.child.kill('SIGTERM');
    const [code] = await once(running.child, 'exit');
    expect(code).toBe(0);
    expect(running.log.join('')).toContain('SIGTERM received');
  });
});
