// The image host as a platform runs it: bundled by `pnpm bundle:image-host` (the Dockerfile's
// pnpm deploy step), moved to a temp directory outside the repository, and started with
// `node server.js` and nothing but PORT and the storage variables in its environment.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { cpSync, mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { networkInterfaces, tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { FIXTURES } from '@imgstash/core/testing';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BUCKET, CREDENTIALS, startS3rver, type TestServer } from '../../../packages/s3/src/testing/s3rver-fixture.js';
import { logLines, type RunningExample, runExample, uploadAndFollow, waitForLine } from './run-example.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

let work: string;
let app: string;
const running: RunningExample[] = [];

/** Starts the bundle with only PATH and `env` (PORT defaults to 0); stopped after each test. */
async function startBundle(env: Record<string, string>): Promise<RunningExample> {
  const started = await runExample(app, { LOG_LEVEL: 'info', ...env });
  running.push(started);
  return started;
}

/** Where to reach a started bundle from this machine (its logged URL may be a public one). */
async function originOf(host: RunningExample): Promise<string> {
  const { port } = (await waitForLine(host, (line) => line.port !== undefined)) as { port: number };
  return `http://127.0.0.1:${port}/`;
}

/** Uploads `bytes` and answers the 201's JSON. */
async function postImage(origin: string, bytes: Uint8Array, headers: Record<string, string> = {}) {
  const form = new FormData();
  form.append('file', new Blob([bytes as Uint8Array<ArrayBuffer>]), 'image');
  const res = await fetch(new URL('upload', origin), { method: 'POST', body: form, headers });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; url: string };
}

/** Runs the bundle until it exits; for environments it must refuse. */
function refusal(env: Record<string, string>) {
  const result = spawnSync(process.execPath, ['server.js'], {
    cwd: app,
    env: { PATH: process.env.PATH ?? '', PORT: '0', ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: result.status, stderr: result.stderr, output: result.stdout + result.stderr };
}

/** A non-loopback IPv4 address of this machine, if it has one. */
function lanAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
}

function symlinksLeaving(root: string, folder = root): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isSymbolicLink()) {
      const link = readlinkSync(path);
      const inside = relative(root, isAbsolute(link) ? link : resolve(dirname(path), link));
      if (inside.startsWith('..') || isAbsolute(inside)) out.push(`${path} -> ${link}`);
    } else if (entry.isDirectory()) out.push(...symlinksLeaving(root, path));
  }
  return out;
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'imgstash-deploy-'));
  const built = join(work, 'built');
  const bundled = spawnSync(process.execPath, ['scripts/bundle-image-host.mjs', built], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  expect(bundled.status, bundled.stderr).toBe(0);
  // Moved, as a Docker COPY does: whatever named the first place breaks now.
  app = join(work, 'app');
  cpSync(built, app, { recursive: true, verbatimSymlinks: true });
  rmSync(built, { recursive: true, force: true });
}, 120_000);

afterEach(async () => {
  for (const { child } of running.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  }
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the bundle (pnpm bundle:image-host)', () => {
  it('is standalone: its links stay inside it, and it resolves every package from itself', () => {
    expect(readdirSync(app).sort()).toEqual(['README.md', 'node_modules', 'package.json', 'server.js']);
    expect(symlinksLeaving(app)).toEqual([]);
    const resolved = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "for (const p of ['@imgstash/core', '@imgstash/express', '@imgstash/fs', '@imgstash/s3', 'express', 'pino']) console.log(import.meta.resolve(p))",
      ],
      { cwd: app, env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8' },
    );
    expect(resolved.status, resolved.stderr).toBe(0);
    const urls = resolved.stdout.trim().split('\n');
    expect(urls).toHaveLength(6);
    for (const url of urls) expect(fileURLToPath(url).startsWith(app)).toBe(true);
  });
});

describe('the bundle on local disk, with only PORT set (as a platform starts it)', () => {
  it('listens on every interface, serves the page, takes an upload and redirects to the image', async () => {
    const dataDir = join(work, 'data-fs');
    const host = await startBundle({ DATA_DIR: dataDir });
    const listening = await waitForLine(host, (line) => line.port !== undefined);
    const { port } = listening as { port: number };
    expect(['::', '0.0.0.0']).toContain(listening.address);

    const origins = [`http://127.0.0.1:${port}/`];
    const lan = lanAddress();
    if (lan) origins.push(`http://${lan}:${port}/`);
    for (const origin of origins) {
      const page = await fetch(origin);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('type="file"');
      const unknown = await fetch(new URL('no/such/route?x=1', origin));
      expect([unknown.status, await unknown.json()]).toEqual([
        404,
        { error: { code: 'NOT_FOUND', message: 'Not found.' } },
      ]);
      const health = await fetch(new URL('healthz', origin));
      expect([health.status, await health.json()]).toEqual([200, { ok: true }]);
    }

    // From the last origin: a remote client when the machine has a LAN address.
    const origin = origins.at(-1) as string;
    const { upload, body, followed, bytes } = await uploadAndFollow(origin, FIXTURES.jpeg.bytes, 'photo.jpg');
    expect(upload.status).toBe(201);
    // No PUBLIC_BASE_URL: root-relative links, never a localhost one.
    expect(body.url).toBe(`/i/${body.id}`);
    expect(upload.headers.get('location')).toBe(`/i/${body.id}`);
    expect(followed.status).toBe(200);
    expect(followed.headers.get('content-type')).toBe('image/jpeg');
    expect(bytes).toEqual(FIXTURES.jpeg.bytes);
    expect(readdirSync(dataDir)).toContain(body.id);

    const lines = logLines(host);
    expect(lines.filter((line) => String(line.msg).includes('PUBLIC_BASE_URL'))).toHaveLength(1);
    const uploaded = lines.find((line) => line.msg === 'request' && line.method === 'POST');
    expect(uploaded).toMatchObject({ path: '/upload', status: 201, uploadId: body.id });
    expect(uploaded?.bytesIn).toBeGreaterThan(FIXTURES.jpeg.bytes.length);
    expect(uploaded?.durationMs).toEqual(expect.any(Number));
  });

  it('builds links from PUBLIC_BASE_URL, or from forwarded headers with TRUST_PROXY, and then warns of nothing', async () => {
    const pinned = await startBundle({
      DATA_DIR: join(work, 'data-links'),
      PUBLIC_BASE_URL: 'https://img.example.com/',
    });
    const a = await postImage(await originOf(pinned), FIXTURES.png.bytes);
    expect(a.url).toBe(`https://img.example.com/i/${a.id}`);

    const proxied = await startBundle({ DATA_DIR: join(work, 'data-links'), TRUST_PROXY: 'true' });
    const b = await postImage(await originOf(proxied), FIXTURES.png.bytes, {
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'images.example.org',
    });
    expect(b.url).toBe(`https://images.example.org/i/${b.id}`);
    for (const host of [pinned, proxied]) expect(logLines(host).filter((line) => line.level === 40)).toEqual([]);
  });
});

describe('the bundle on S3 (s3rver), with the seed’s variable names', () => {
  let s3: TestServer;
  beforeAll(async () => {
    s3 = await startS3rver();
  });
  afterAll(async () => {
    await s3?.close();
  });

  it('stores in the bucket and redirects there, logs a failing store call with its cause, and logs no secret', async () => {
    const host = await startBundle({
      S3_BUCKET_NAME: BUCKET,
      ENDPOINT: s3.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      S3_FORCE_PATH_STYLE: 'true',
    });
    const { upload, body, followed, bytes } = await uploadAndFollow(host.url, FIXTURES.jpeg.bytes, 'фото.jpg');
    expect(upload.status).toBe(201);
    expect(followed.url.startsWith(`${s3.endpoint}/`)).toBe(true);
    expect(new URL(followed.url).searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(bytes).toEqual(FIXTURES.jpeg.bytes);
    expect(await s3.objectKeys()).toContain(body.id);

    // Every attempt of the put fails: the client gets a JSON 502, the log gets the cause.
    s3.inject({ method: 'PUT', status: 500, code: 'InternalError', times: 10 });
    const failed = await uploadAndFollow(host.url, FIXTURES.png.bytes, 'b.png').catch(() => undefined);
    s3.clearFaults();
    expect(failed?.upload.status ?? 502).toBe(502);
    const storeFailure = await waitForLine(host, (line) => line.msg === 'store call failed');
    expect(storeFailure).toMatchObject({ call: 'put', err: { code: 'STORAGE_ERROR', cause: expect.any(Object) } });
    await waitForLine(host, (line) => line.msg === 'request' && line.status === 502);

    const log = host.log.join('');
    expect(log).toContain(`"path":"/i/${body.id}"`);
    for (const secret of [
      CREDENTIALS.accessKeyId,
      CREDENTIALS.secretAccessKey,
      'X-Amz-Signature',
      'X-Amz-Credential',
    ]) {
      expect(log).not.toContain(secret);
    }
    expect(log).not.toMatch(/"path":"[^"]*\?/);
  });
});

describe('graceful shutdown', () => {
  it('on SIGTERM during a 9 MiB upload: health turns 503, the upload gets its 201 and is stored whole, then exit 0', async () => {
    // A real 9 MiB PNG: noise, stored uncompressed.
    const width = 1774;
    const png = await sharp(randomBytes(width * width * 3), { raw: { width, height: width, channels: 3 } })
      .png({ compressionLevel: 0 })
      .toBuffer();
    expect(png.length).toBeGreaterThan(9 * 1024 * 1024);
    const env = { DATA_DIR: join(work, 'data-drain'), IMGSTASH_SECRET: 'd'.repeat(43) };
    const host = await startBundle(env);
    const { port } = new URL(host.url);

    const boundary = 'imgstash-drain-test';
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.png"\r\nContent-Type: image/png\r\n\r\n`,
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const req = request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/upload',
      headers: {
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': head.length + png.length + tail.length,
      },
    });
    const answered = once(req, 'response');
    req.write(head);
    const chunk = 256 * 1024;
    let sent = 0;
    const send = async (until: number) => {
      for (; sent < until; sent += chunk) {
        if (!req.write(png.subarray(sent, Math.min(sent + chunk, until)))) await once(req, 'drain');
        await sleep(10);
      }
      sent = until;
    };
    await send(1024 * 1024);

    host.child.kill('SIGTERM');
    const draining = await waitForLine(host, (line) => line.msg === 'draining');
    expect(draining.inFlight).toBe(1);
    const probe = await fetch(new URL('healthz', host.url)).then(
      (res) => res.status,
      (error: TypeError) => (error.cause as NodeJS.ErrnoException | undefined)?.code,
    );
    expect([503, 'ECONNREFUSED']).toContain(probe);

    await send(png.length);
    req.end(tail);
    const [res] = (await answered) as [import('node:http').IncomingMessage];
    const text = (await res.toArray()).join('');
    expect(res.statusCode).toBe(201);
    const body = JSON.parse(text) as { id: string; sha256: string; size: number };
    expect(body).toMatchObject({ size: png.length, sha256: sha256(png) });
    const [code] = await once(host.child, 'exit');
    expect(code).toBe(0);

    // Started again on the same disk: the image comes back whole.
    const again = await startBundle(env);
    const followed = await fetch(new URL(`i/${body.id}`, again.url));
    expect(followed.status).toBe(200);
    expect(sha256(new Uint8Array(await followed.arrayBuffer()))).toBe(sha256(png));
  });
});

describe('start-up refusals', () => {
  it('refuses a half-set storage environment, naming the missing variables and echoing no value', () => {
    const secret = 'wJalrXUtnFEMI-half-set-secret';
    const cases: [Record<string, string>, string[]][] = [
      [
        { AWS_ACCESS_KEY_ID: 'AKIDHALFSET', AWS_SECRET_ACCESS_KEY: secret, ENDPOINT: 'https://s3.sevalla.storage' },
        ['S3_BUCKET (or S3_BUCKET_NAME)'],
      ],
      [
        { S3_BUCKET_NAME: 'images', ENDPOINT: 'https://s3.sevalla.storage' },
        ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'],
      ],
      [{ ENDPOINT: 'https://s3.sevalla.storage', AWS_SECRET_ACCESS_KEY: secret }, ['S3_BUCKET', 'AWS_ACCESS_KEY_ID']],
    ];
    for (const [env, names] of cases) {
      const { status, stderr, output } = refusal(env);
      expect(status).toBe(1);
      expect(stderr).toMatch(
        /^imgstash image host failed to start: S3 storage is half configured: missing environment variables: /,
      );
      for (const name of names) expect(stderr).toContain(name);
      expect(output).not.toContain(secret);
      expect(output).not.toContain('AKIDHALFSET');
      expect(output).not.toContain('listening');
    }
  });

  it('refuses a malformed PORT, PUBLIC_BASE_URL or TRUST_PROXY by name', () => {
    expect(refusal({ PORT: 'eighty' }).stderr).toContain('PORT must be an integer from 0 to 65535');
    expect(refusal({ PUBLIC_BASE_URL: 'img.example.com' }).stderr).toContain(
      'PUBLIC_BASE_URL must be an absolute http(s) URL',
    );
    expect(refusal({ TRUST_PROXY: 'yes' }).stderr).toContain('TRUST_PROXY must be true, 1, false or 0');
  });
});

describe('the root start script (what a Nixpacks-style builder runs as `pnpm start`)', () => {
  it('serves the image host from the repository root with only PORT set', async () => {
    const host = await runExample(
      ROOT,
      { DATA_DIR: join(work, 'data-root'), LOG_LEVEL: 'info' },
      {
        script: 'scripts/start-image-host.mjs',
      },
    );
    running.push(host);
    const { upload, followed } = await uploadAndFollow(host.url, FIXTURES.webp.bytes, 'w.webp');
    expect(upload.status).toBe(201);
    expect(followed.headers.get('content-type')).toBe('image/webp');
  });
});
