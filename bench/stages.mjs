// `pnpm bench:stages`: the CPU cost of each stage of imgstash's upload path, in isolation, in
// one process, on the bench's 9 MiB PNG cut into 64 KiB chunks (as a socket delivers them).
// No I/O: the figures are what docs/performance.md compares with the server's CPU per MiB.
import { createHash } from 'node:crypto';
import { MarkupScanner, openFilePart, prepareImage, resolvePolicy } from '@imgstash/core';
import { noisePng, readImage } from './lib/images.mjs';
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
const mib = image.length / (1024 * 1024);
const limits = { fieldName: 'file', maxParts: 16, maxFieldSize: 16 * 1024, maxTotalSize: 64 * 1024 * 1024 };
const policy = resolvePolicy({ maxBytes: 64 * 1024 * 1024 });

async function* source() {
  yield* bodyChunks;
}

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

console.log(
  `Upload stages: a ${mib.toFixed(1)} MiB PNG in 64 KiB chunks, ${ROUNDS} rounds each, node ${process.version}\n`,
);
console.log('| stage | CPU ms/MiB |');
console.log('| --- | ---: |');
for (const [name, stage] of Object.entries(STAGES)) {
  for (let i = 0; i < 3; i++) await stage();
  const before = process.cpuUsage();
  for (let i = 0; i < ROUNDS; i++) await stage();
  const used = process.cpuUsage(before);
  console.log(`| ${name} | ${((used.user + used.system) / 1000 / (ROUNDS * mib)).toFixed(3)} |`);
}
