// Load with integrity: hundreds of real images, 1 KB to 9 MiB, uploaded 32 at a time through
// express5 and hono into the S3 store on s3rver, each fetched back through /i/<id>. Every
// upload must succeed with a distinct id and come back byte-identical, and the process's
// peak RSS must stay far below what buffering the uploads would take. The figures are
// printed; how fast it ran is for `pnpm bench`, not for an assertion.
import { createHash } from 'node:crypto';
import type { UploadedImage } from '@imgstash/core';
import { createS3Store } from '@imgstash/s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NoiseFormat, noiseImage } from './images.js';
import { fileUpload, type MultipartBody } from './multipart-body.js';
import { chunked, type RawResponse, rawRequest, requestHead } from './raw-http.js';
import { startS3rver, type TestServer } from './s3rver.js';
import { type Framework, type RunningApp, startApp } from './servers.js';

const MiB = 1024 * 1024;
const UPLOADS_PER_FRAMEWORK = 300;
const CONCURRENCY = 32;
// The S3 store holds about one 64 KiB chunk per upload sent with a Content-Length (one
// streamed PutObject), and at most (queueSize + 1) × partSize = 15 MiB per chunked upload
// (multipart). A quarter of these uploads are chunked and a sixth are 9 MiB, so 32 at once
// hold well under 100 MiB; 256 MiB leaves room for V8's own growth and s3rver, which runs
// in this process too. Buffering instead would take 32 × 9 MiB plus copies: over 300 MiB
// for the largest files alone.
const PEAK_RSS_GROWTH_BOUND = 256 * MiB;

interface Sample {
  name: string;
  bytes: Uint8Array;
  type: string;
  sha256: string;
  /** The multipart body, built once: with Content-Length framing, and chunked. */
  form: MultipartBody;
  chunkedForm: Buffer;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

let s3: TestServer;
let samples: Sample[];
/** RSS before the first upload of the suite: each run's peak is measured against it, so a
 * later run cannot hide behind memory an earlier one left mapped. */
let baseline: number;

beforeAll(async () => {
  s3 = await startS3rver();
  // Distinct real images from 1 KB to 9 MiB, cycled through.
  const specs: [NoiseFormat, number, number, string][] = [
    ['jpeg', 20, 20, 'image/jpeg'],
    ['gif', 120, 100, 'image/gif'],
    ['webp', 320, 240, 'image/webp'],
    ['jpeg', 640, 480, 'image/jpeg'],
    ['png', 800, 800, 'image/png'],
    ['png', 1400, 1200, 'image/png'],
    ['png', 1720, 1720, 'image/png'],
  ];
  samples = await Promise.all(
    specs.map(async ([format, width, height, type], i) => {
      const bytes = await noiseImage(format, width, height, 100 + i);
      const name = `${width}x${height}.${format}`;
      const form = fileUpload(bytes, name, type);
      return { name, bytes, type, sha256: sha256(bytes), form, chunkedForm: chunked(form.body) };
    }),
  );
  const sizes = samples.map((s) => s.bytes.length);
  expect(Math.min(...sizes)).toBeLessThan(2 * 1024);
  expect(Math.max(...sizes)).toBeGreaterThan(8.5 * MiB);
  expect(Math.max(...sizes)).toBeLessThanOrEqual(9 * MiB);
  baseline = process.memoryUsage().rss;
}, 60_000);
afterAll(() => s3?.close());

/** Streams a response body through SHA-256 without holding it. */
async function hashOf(response: Response): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  for (let step = await reader.read(); !step.done; step = await reader.read()) {
    hash.update(step.value);
    size += step.value.length;
  }
  return { sha256: hash.digest('hex'), size };
}

/**
 * Sends `sample` with a Content-Length, or chunked, from bytes built once. A raw socket and
 * not fetch: undici copies a FormData body into memory per request (about 1 GiB for 96
 * concurrent 9 MiB uploads in this process), which would drown the server's own figure.
 */
function uploadRequest(app: RunningApp, sample: Sample, isChunked: boolean): Promise<RawResponse> {
  const framing = isChunked ? { 'Transfer-Encoding': 'chunked' } : { 'Content-Length': sample.form.body.length };
  const head = requestHead('POST', '/upload', { 'Content-Type': sample.form.contentType, ...framing });
  return rawRequest(app.port, [head, isChunked ? sample.chunkedForm : sample.form.body], { timeoutMs: 60_000 });
}

describe('load with integrity (S3 store on s3rver)', () => {
  it.each([
    'express5',
    'hono',
  ] as Framework[])(`uploads ${UPLOADS_PER_FRAMEWORK} mixed images through %s, ${CONCURRENCY} at a time, and gets each back byte-identical`, async (framework) => {
    const store = createS3Store({ ...s3.connection(), bucket: s3.bucket, prefix: `${framework}/` });
    const app = await startApp(framework, { store });
    try {
      const ids = new Set<string>();
      const failures: string[] = [];
      let bytes = 0;
      let next = 0;
      let peak = process.memoryUsage().rss;
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 10);
      const started = performance.now();

      const worker = async () => {
        for (let n = next++; n < UPLOADS_PER_FRAMEWORK; n = next++) {
          const sample = samples[n % samples.length] as Sample;
          const res = await uploadRequest(app, sample, n % 4 === 3);
          if (res.status !== 201) {
            failures.push(`#${n} ${sample.name}: ${res.status} ${res.text()}`);
            continue;
          }
          const uploaded = res.json<UploadedImage>();
          ids.add(uploaded.id);
          bytes += uploaded.size;
          if (uploaded.sha256 !== sample.sha256 || uploaded.size !== sample.bytes.length) {
            failures.push(`#${n} ${sample.name}: the server hashed ${uploaded.sha256} (${uploaded.size} B)`);
          }
          // Follows the 302 to s3rver, as a browser does.
          const view = await fetch(`${app.baseUrl}/i/${uploaded.id}`);
          const back = await hashOf(view);
          if (view.status !== 200 || back.sha256 !== sample.sha256 || back.size !== sample.bytes.length) {
            failures.push(`#${n} ${sample.name}: came back ${view.status}, ${back.size} B, ${back.sha256}`);
          }
          if (view.headers.get('content-type') !== sample.type) {
            failures.push(`#${n} ${sample.name}: served as ${view.headers.get('content-type')}`);
          }
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      clearInterval(sampler);
      peak = Math.max(peak, process.memoryUsage().rss);
      const seconds = (performance.now() - started) / 1000;
      const growth = peak - baseline;

      console.log(
        `[load] ${framework}: ${UPLOADS_PER_FRAMEWORK} uploads (${ids.size} distinct ids), ` +
          `${(bytes / MiB).toFixed(1)} MiB up and back, concurrency ${CONCURRENCY}, ` +
          `peak RSS ${(growth / MiB).toFixed(1)} MiB over the suite's baseline of ${(baseline / MiB).toFixed(0)} MiB, ` +
          `${seconds.toFixed(1)} s`,
      );
      expect(failures).toEqual([]);
      expect(ids.size).toBe(UPLOADS_PER_FRAMEWORK);
      expect(await s3.pendingUploads()).toBe(0);
      expect((await s3.objectKeys()).filter((key) => key.startsWith(`${framework}/`))).toHaveLength(
        UPLOADS_PER_FRAMEWORK,
      );
      expect(growth).toBeLessThan(PEAK_RSS_GROWTH_BOUND);
    } finally {
      await app.close();
    }
  }, 120_000);
});
