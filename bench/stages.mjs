// `pnpm bench:stages`: the CPU cost of each stage of imgstash's upload path, in isolation, in
// one process, on the bench's 9 MiB PNG cut into 64 KiB chunks (as a socket delivers them),
// and the strip + dimension stage next to the hash on a 9 MiB JPEG with phone metadata.
// No I/O: the figures are what docs/performance.md compares with the server's CPU per MiB.
import { createHash } from 'node:crypto';
import { createImageRewriter, MarkupScanner, openFilePart, prepareImage, resolvePolicy } from '@imgstash/core';
import { noiseJpeg, noisePng, readImage } from './lib/images.mjs';
import { multipartBody } from './lib/upload-client.mjs';

const ROUNDS = Number(process.env.BENCH_STAGE_ROUNDS ?? 20);
const image = await readImage(await noisePng(9));
const form = multipartBody(image);
const chunksOf = (bytes) => {
  const out = [];
  for (let at = 0; at < bytes.length; at += 64 * 1024) out.push(Buffer.from(bytes.subarray(at, at + 64 * 1024)));
  return out;
};
const bodyChunks = chunksOf(form.body);
const imageChunks = chunksOf(image);
const jpeg = await readImage(await noiseJpeg(9));
const jpegChunks = chunksOf(jpeg);
const jpegMib = jpeg.length / (1024 * 1024);
const mib = image.length / (1024 * 1024);
const limits = { fieldName: 'file', maxParts: 16, maxFieldSize: 16 * 1024, maxTotalSize: 64 * 1024 * 1024 };
const policy = resolvePolicy({ maxBytes: 64 * 1024 * 1024 });

async function* source() {
  yield* bodyChunks;
}

const JPEG_STAGES = {
  'SHA-256 (node:crypto)': () => {
    const hash = createHash('sha256');
    for (const chunk of jpegChunks) hash.update(chunk);
    hash.digest();
  },
  'strip + dimensions (createImageRewriter)': () => {
    const rewriter = createImageRewriter('image/jpeg', policy);
    const out = [];
    for (const chunk of jpegChunks) {
      out.length = 0;
      rewriter.push(chunk, out);
    }
    rewriter.finish(out);
    if (rewriter.facts?.orientation !== 6) throw new Error('the bench JPEG lost its orientation');
  },
  'strip off: dimensions only': () => {
    const rewriter = createImageRewriter('image/jpeg', { ...policy, stripMetadata: false });
    const out = [];
    for (const chunk of jpegChunks) {
      out.length = 0;
      rewriter.push(chunk, out);
    }
    rewriter.finish(out);
  },
};

const STAGES = {
  'SHA-256 (node:crypto)': () => {
    const hash = createHash('sha256');
    for (const chunk of imageChunks) hash.update(chunk);
    hash.digest();
  },
  'markup scan': () => {
    const scanner = new MarkupScanner();
    for (const chunk of imageChunks) if (scanner.push(chunk)) throw new Error('markup found in the test image');
  },
  'multipart parse (openFilePart)': async () => {
    const part = await openFilePart(source(), form.contentType, limits, { contentLength: form.body.length });
    for await (const _ of part.body);
  },
  'parse + prepareImage (sniff, structure, markup, SHA-256)': async () => {
    const part = await openFilePart(source(), form.contentType, limits, { contentLength: form.body.length });
    const prepared = await prepareImage(part.body, policy);
    for await (const _ of prepared.body);
    prepared.digest();
  },
};

async function measure(stages, size) {
  for (const [name, stage] of Object.entries(stages)) {
    for (let i = 0; i < 3; i++) await stage();
    const before = process.cpuUsage();
    for (let i = 0; i < ROUNDS; i++) await stage();
    const used = process.cpuUsage(before);
    console.log(`| ${name} | ${((used.user + used.system) / 1000 / (ROUNDS * size)).toFixed(3)} |`);
  }
}

console.log(
  `Upload stages: a ${mib.toFixed(1)} MiB PNG in 64 KiB chunks, ${ROUNDS} rounds each, node ${process.version}\n`,
);
console.log('| stage | CPU ms/MiB |');
console.log('| --- | ---: |');
await measure(STAGES, mib);
console.log(`\nThe image stage: a ${jpegMib.toFixed(1)} MiB JPEG (EXIF with GPS, orientation 6) in 64 KiB chunks\n`);
console.log('| stage | CPU ms/MiB |');
console.log('| --- | ---: |');
await measure(JPEG_STAGES, jpegMib);
