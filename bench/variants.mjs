// `pnpm bench:variants` (and the second half of `pnpm bench`): what variants cost, against
// one local S3 server, with every imgstash server in its own process (its RSS is its own).
//
//   1. First-request latency: GET /i/:id/thumb of a fresh 12 MP JPEG (get the original,
//      transform to a 320 px WebP, put the variant, 302), against plain sharp doing the same
//      resize on the same bytes in this process, and against the store I/O a first request
//      cannot avoid (HeadObject of the variant, a miss; GetObject of the original; PutObject
//      of the variant; raw SDK, same server).
//   2. Hot redirects: GET /i/:id/thumb once made, against GET /i/:id, on Express and Hono.
//   3. Peak RSS of the server while 32 different variants (16 images × thumb and large) are
//      requested at once.
// Prints the tables, then PASS/FAIL per target; exits 1 when a target fails.
//
// Settings (environment):
//   BENCH_ONLY=latency,hot,rss   sections to run (default: all)
//   BENCH_VARIANT_ROUNDS=12      first requests measured (after one warm-up)
//   BENCH_DURATION=10            seconds per hot-redirect run (after BENCH_WARMUP=2)
//   BENCH_CONNECTIONS=50         autocannon connections
//   BENCH_REPEAT=3               hot-redirect runs per URL, interleaved; a row shows the fastest
//   STORE=s3                     imgstash's store: s3 (default), fs or memory

import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import autocannon from 'autocannon';
import sharp from 'sharp';
import { startChild } from './lib/child.mjs';
import { BUCKET, CREDENTIALS, MiB, RAW_CLIENT_SETTINGS, REGION } from './lib/config.mjs';
import { IMAGE_DIR } from './lib/images.mjs';
import { createTargets, table } from './lib/report.mjs';
import { BENCH_PRESETS } from './lib/sides.mjs';
import { multipartBody, post } from './lib/upload-client.mjs';

const env = process.env;
const sections = new Set((env.BENCH_ONLY ?? 'latency,hot,rss').split(','));
const ROUNDS = Number(env.BENCH_VARIANT_ROUNDS ?? 12);
const DURATION = Number(env.BENCH_DURATION ?? 10);
const WARMUP = Number(env.BENCH_WARMUP ?? 2);
const CONNECTIONS = Number(env.BENCH_CONNECTIONS ?? 50);
const REPEAT = Number(env.BENCH_REPEAT ?? 3);
const STORE = env.STORE ?? 's3';
const RSS_IMAGES = 16;
const { target, print: printTargets } = createTargets();

const log = (message) => process.stderr.write(`[bench:variants] ${message}\n`);
const ms = (x) => x.toFixed(0);
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** A GET without following redirects: resolves { status, ms }. */
function get(url, headers = {}) {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - started }));
    })
      .on('error', reject)
      .end();
  });
}

/**
 * A 12 MP (4000 × 3000) JPEG that compresses like a photo: smooth gradients plus grain,
 * quality 85. Made once and kept with the other bench images.
 */
async function photo12mp() {
  const path = join(IMAGE_DIR, 'photo-12mp.jpg');
  if (existsSync(path)) return readFile(path);
  await mkdir(IMAGE_DIR, { recursive: true });
  const width = 4000;
  const height = 3000;
  const pixels = Buffer.alloc(width * height * 3);
  let seed = 7;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const grain = (seed >>> 24) % 24;
      const i = (y * width + x) * 3;
      pixels[i] = ((x * 255) / width + grain) & 255;
      pixels[i + 1] = ((y * 255) / height + grain) & 255;
      pixels[i + 2] = (96 + Math.round(64 * Math.sin((x + y) / 300)) + grain) & 255;
    }
  }
  const jpeg = await sharp(pixels, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 85 })
    .toBuffer();
  const partial = `${path}.${process.pid}.tmp`;
  await writeFile(partial, jpeg);
  await rename(partial, path);
  return jpeg;
}

async function startServer(side, s3) {
  const child = await startChild('server-process.mjs', [side], {
    S3_ENDPOINT: s3.ready.endpoint,
    MAX_BYTES: String(16 * MiB),
    STORE,
  });
  return Object.assign(child, { origin: `http://127.0.0.1:${child.ready.port}` });
}

async function upload(server, form) {
  const r = await post(`${server.origin}/upload`, form);
  if (r.status !== 201) throw new Error(`upload failed: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
}

/** What plain sharp does for the thumb preset, on the same bytes. */
function plainSharp(bytes) {
  const { width, height, fit } = BENCH_PRESETS.thumb;
  return sharp(bytes)
    .resize({ width, height, fit, withoutEnlargement: true })
    .webp({ quality: 80, effort: 4 })
    .toBuffer();
}

// ---------------------------------------------------------------------------- sections

async function latency(s3, photo, form) {
  log(`latency: ${ROUNDS} first requests of a 12 MP JPEG's thumb (320 px WebP), store ${STORE}`);
  const server = await startServer('variants-express', s3);
  const client = new S3Client({
    region: REGION,
    endpoint: s3.ready.endpoint,
    credentials: CREDENTIALS,
    ...RAW_CLIENT_SETTINGS,
  });
  const rows = { first: [], sharp: [], io: [] };
  try {
    // Warm-up: code loaded, libvips initialised, connections open.
    const warm = await upload(server, form);
    await get(`${server.origin}${warm.variants.thumb}`);
    await plainSharp(photo);
    const variantBytes = await plainSharp(photo);
    for (let round = 0; round < ROUNDS; round++) {
      globalThis.gc?.();
      let t = performance.now();
      await plainSharp(photo);
      rows.sharp.push(performance.now() - t);

      const image = await upload(server, form);
      // Not the upload's aftermath: the server collects its garbage (the 3.3 MiB it just
      // received) before the measured request, as the runner does before plain sharp's turn.
      await server.request({ type: 'mark' }, 'marked');
      const first = await get(`${server.origin}${image.variants.thumb}`);
      if (first.status !== 302) throw new Error(`first request answered ${first.status}`);
      rows.first.push(first.ms);

      if (STORE === 's3') {
        t = performance.now();
        // The variant's lookup: a miss.
        await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `${image.id}.thumb.webp` })).catch(() => {});
        const object = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: image.id }));
        await object.Body.transformToByteArray();
        await client.send(
          new PutObjectCommand({
            Bucket: BUCKET,
            Key: `scratch-${round}`,
            Body: variantBytes,
            ContentType: 'image/webp',
          }),
        );
        rows.io.push(performance.now() - t);
      } else rows.io.push(0);
    }
  } finally {
    client.destroy();
    await server.stop();
    await s3.request({ type: 'wipe' }, 'wiped');
  }
  const first = median(rows.first);
  const plain = median(rows.sharp);
  const io = median(rows.io);
  console.log(
    `\nFirst-request variant latency: 12 MP JPEG (${(photo.length / MiB).toFixed(1)} MiB) → 320 px WebP, median of ${ROUNDS}\n`,
  );
  console.log(
    table(
      ['what', 'median ms', 'min ms', 'max ms'],
      [
        [
          'GET /i/:id/thumb, first request (imgstash-express)',
          ms(first),
          ms(Math.min(...rows.first)),
          ms(Math.max(...rows.first)),
        ],
        ['plain sharp, same resize, same bytes', ms(plain), ms(Math.min(...rows.sharp)), ms(Math.max(...rows.sharp))],
        [
          'store I/O: HeadObject variant (a miss) + GetObject original + PutObject variant (raw SDK)',
          ms(io),
          ms(Math.min(...rows.io)),
          ms(Math.max(...rows.io)),
        ],
      ],
    ),
  );
  const bound = 1.3 * plain + io;
  target(
    'first variant request ≤ 1.3 × plain sharp + the store I/O',
    first <= bound,
    `${ms(first)} ms vs 1.3 × ${ms(plain)} + ${ms(io)} = ${ms(bound)} ms (${(first / plain).toFixed(2)}× plain sharp)`,
  );
}

async function hot(s3, form) {
  log(`hot: ${CONNECTIONS} connections, ${WARMUP} s warm-up + ${DURATION} s per run, ${REPEAT} runs per URL`);
  const rows = [];
  for (const side of ['variants-express', 'variants-hono']) {
    const server = await startServer(side, s3);
    try {
      const image = await upload(server, form);
      const urls = { '/i/:id': server.origin + image.url, '/i/:id/thumb': server.origin + image.variants.thumb };
      const best = {};
      for (const [name, url] of Object.entries(urls)) {
        const r = await get(url);
        if (r.status !== 302) throw new Error(`${side}: ${name} answered ${r.status}`);
        await autocannon({ url, connections: CONNECTIONS, duration: WARMUP });
      }
      for (let repeat = 1; repeat <= REPEAT; repeat++) {
        for (const [name, url] of Object.entries(urls)) {
          log(`  ${side} ${name} (run ${repeat}/${REPEAT})`);
          const result = await autocannon({ url, connections: CONNECTIONS, duration: DURATION });
          const redirects = result.statusCodeStats['302']?.count ?? 0;
          const answered = Object.values(result.statusCodeStats).reduce((sum, s) => sum + s.count, 0);
          const run = { perSecond: redirects / DURATION, p99: result.latency.p99, other: answered - redirects };
          if (!best[name] || run.perSecond > best[name].perSecond) best[name] = run;
        }
      }
      const ratio = best['/i/:id/thumb'].perSecond / best['/i/:id'].perSecond;
      rows.push([side, best['/i/:id'], best['/i/:id/thumb'], ratio]);
      target(
        `${side}: hot variant redirects ≥ 90% of hot /i/:id`,
        ratio >= 0.9 && best['/i/:id/thumb'].other === 0,
        `${best['/i/:id/thumb'].perSecond.toFixed(0)} vs ${best['/i/:id'].perSecond.toFixed(0)}/s = ${(ratio * 100).toFixed(0)}%`,
      );
    } finally {
      await server.stop();
      await s3.request({ type: 'wipe' }, 'wiped');
    }
  }
  console.log(`\nHot redirects: ${CONNECTIONS} connections, ${DURATION} s, best of ${REPEAT} (store: ${STORE})\n`);
  console.log(
    table(
      ['side', '/i/:id per s', '/i/:id/thumb per s', 'ratio', 'p99 ms (id / thumb)', 'not 302'],
      rows.map(([side, id, thumb, ratio]) => [
        side,
        id.perSecond.toFixed(0),
        thumb.perSecond.toFixed(0),
        `${(ratio * 100).toFixed(0)}%`,
        `${id.p99} / ${thumb.p99}`,
        id.other + thumb.other,
      ]),
    ),
  );
}

async function rss(s3, form) {
  log(`rss: ${RSS_IMAGES} images × (thumb, large) = ${RSS_IMAGES * 2} variants requested at once`);
  const server = await startServer('variants-express', s3);
  try {
    const images = [];
    for (let i = 0; i < RSS_IMAGES; i++) images.push(await upload(server, form));
    const { baseline } = await server.request({ type: 'mark' }, 'marked');
    const started = performance.now();
    // Accept: WebP, so `large` (format auto) is a 1600 px WebP.
    const results = await Promise.all(
      images.flatMap((image) =>
        Object.values(image.variants).map((link) => get(`${server.origin}${link}`, { accept: 'image/webp,*/*' })),
      ),
    );
    const wallMs = performance.now() - started;
    const memory = await server.request({ type: 'measure' }, 'measured');
    const failed = results.filter((r) => r.status !== 302).length;
    console.log(
      `\nPeak RSS: ${results.length} different variants of 12 MP JPEGs requested at once (store: ${STORE})\n`,
    );
    console.log(
      table(
        ['what', 'value'],
        [
          ['server RSS before, MiB', (baseline / MiB).toFixed(0)],
          ['server peak RSS, MiB', (memory.peak / MiB).toFixed(0)],
          ['peak growth, MiB', (memory.growth / MiB).toFixed(0)],
          ['all made in, s', (wallMs / 1000).toFixed(1)],
          ['not 302', failed],
        ],
      ),
    );
    target(
      `peak RSS < 400 MB while ${results.length} variants are made at once`,
      failed === 0 && memory.peak < 400 * 1e6,
      `${(memory.peak / 1e6).toFixed(0)} MB peak (${(memory.growth / MiB).toFixed(0)} MiB growth), ${failed} not 302`,
    );
  } finally {
    await server.stop();
    await s3.request({ type: 'wipe' }, 'wiped');
  }
}

// ---------------------------------------------------------------------------- main

const started = performance.now();
const photo = await photo12mp();
const form = multipartBody(photo, 'photo.jpg', 'image/jpeg');
const s3 = await startChild('s3rver-process.mjs');
log(`s3rver at ${s3.ready.endpoint}; node ${process.version}; sharp ${sharp.versions.sharp}; store ${STORE}`);
try {
  if (sections.has('latency')) await latency(s3, photo, form);
  if (sections.has('hot')) await hot(s3, form);
  if (sections.has('rss')) await rss(s3, form);
} finally {
  await s3.stop();
}

printTargets('Targets (variants)');
console.log(`\n${((performance.now() - started) / 1000).toFixed(0)} s in all`);
