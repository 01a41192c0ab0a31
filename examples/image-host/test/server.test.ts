// examples/image-host as a newcomer runs it (see run-example.ts).
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FIXTURES } from '@imgstash/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUCKET, CREDENTIALS, startS3rver, type TestServer } from '../../../packages/s3/src/testing/s3rver-fixture.js';
import { rawRequest } from '../../../packages/test-kit/src/raw-http.js';
import { logLines, runExample, uploadAndFollow } from './run-example.js';

const EXAMPLE = join(dirname(fileURLToPath(import.meta.url)), '..');
// As on a laptop: loopback only (a platform sets PORT alone: see deploy.test.ts).
const local = (env: Record<string, string>) => ({ HOST: '127.0.0.1', ...env });

describe('examples/image-host on local disk', () => {
  let dataDir: string;
  let running: Awaited<ReturnType<typeof runExample>>;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'imgstash-example-'));
    running = await runExample(EXAMPLE, local({ DATA_DIR: dataDir }));
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

  it("answers a request Node's parser refuses (a non-numeric Content-Length) with JSON, and keeps serving", async () => {
    const { port } = new URL(running.url);
    const res = await rawRequest(
      Number(port),
      'POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Type: image/png\r\nContent-Length: 12ab\r\n\r\nxx',
    );
    expect(res.status).toBe(400);
    expect(res.header('content-type')).toMatch(/^application\/json/);
    expect(res.json<{ error: { code: string } }>().error.code).toBe('INVALID_INPUT');
    expect((await fetch(running.url)).status).toBe(200);
  });

  it('keeps its links valid across a restart, with the secret it kept in the data directory', async () => {
    const { body } = await uploadAndFollow(running.url, FIXTURES.png.bytes, 'a.png');
    const redirect = await fetch(body.url, { redirect: 'manual' });
    const signed = new URL(redirect.headers.get('location') as string, running.url).href;
    running.child.kill('SIGTERM');
    const [code] = await once(running.child, 'exit');
    expect(code).toBe(0);
    running = await runExample(EXAMPLE, local({ DATA_DIR: dataDir }));
    const again = await fetch(signed.replace(/^http:\/\/[^/]+/, running.url.replace(/\/$/, '')));
    expect(again.status).toBe(200);
    expect(new Uint8Array(await again.arrayBuffer())).toEqual(FIXTURES.png.bytes);
  });

  it('shuts down gracefully on SIGTERM', async () => {
    running.child.kill('SIGTERM');
    const [code] = await once(running.child, 'exit');
    expect(code).toBe(0);
    expect(logLines(running).some((line) => line.msg === 'draining' && line.signal === 'SIGTERM')).toBe(true);
  });
});

describe('examples/image-host on S3, when the S3 variables are set', () => {
  let s3: TestServer;
  let running: Awaited<ReturnType<typeof runExample>>;

  beforeAll(async () => {
    s3 = await startS3rver();
    running = await runExample(
      EXAMPLE,
      local({
        S3_BUCKET: BUCKET,
        S3_ENDPOINT: s3.endpoint,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
        S3_FORCE_PATH_STYLE: 'true',
      }),
    );
  });

  afterAll(async () => {
    running?.child.kill('SIGKILL');
    await s3?.close();
  });

  it('says it stores in the bucket, and returns identical bytes through /i/<id> from the S3 server', async () => {
    expect(running.log.join('')).toContain(`s3 bucket ${BUCKET}`);
    const { upload, body, followed, bytes } = await uploadAndFollow(running.url, FIXTURES.jpeg.bytes, 'фото.jpg');
    expect(upload.status).toBe(201);
    expect(followed.status).toBe(200);
    expect(followed.url.startsWith(s3.endpoint)).toBe(true);
    expect(followed.headers.get('content-type')).toBe('image/jpeg');
    expect(bytes).toEqual(FIXTURES.jpeg.bytes);
    expect(body.size).toBe(FIXTURES.jpeg.bytes.length);
  });
});
