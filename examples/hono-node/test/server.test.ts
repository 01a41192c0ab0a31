// examples/hono-node as a newcomer runs it: its own process, over HTTP.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FIXTURES } from '@imgstash/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningExample, runExample, uploadAndFollow } from '../../image-host/test/run-example.js';

const EXAMPLE = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('examples/hono-node on local disk', () => {
  let dataDir: string;
  let running: RunningExample;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'imgstash-hono-example-'));
    running = await runExample(EXAMPLE, { DATA_DIR: dataDir });
  });

  afterAll(() => {
    running?.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the upload page and returns identical bytes through /i/<id>', async () => {
    const page = await fetch(running.url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('imgstash on Hono');
    const { upload, body, followed, bytes } = await uploadAndFollow(running.url, FIXTURES.webp.bytes, 'x.webp');
    expect(upload.status).toBe(201);
    expect(body.url).toBe(`${running.url}i/${body.id}`);
    expect(followed.headers.get('content-type')).toBe('image/webp');
    expect(bytes).toEqual(FIXTURES.webp.bytes);
  });

  it('shuts down gracefully on SIGTERM', async () => {
    running.child.kill('SIGTERM');
    const code = await new Promise((resolve) => running.child.once('exit', resolve));
    expect(code).toBe(0);
  });
});
