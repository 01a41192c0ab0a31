// Child process: the reference ceiling for uploads. It holds the image's bytes and
// PutObjects them straight to the S3 server with the AWS SDK, at the same concurrency
// as the HTTP sides: no HTTP hop, no parsing, no checks.
//
// IPC: sends { type: 'ready' }; answers { type: 'run', concurrency, rounds } with
// { type: 'result', latencies, wallMs, failures, baseline, peak, growth }.
import { readFile } from 'node:fs/promises';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { closedLoop } from './closed-loop.mjs';
import { BUCKET, CREDENTIALS, RAW_CLIENT_SETTINGS, REGION } from './config.mjs';
import { createRssMonitor } from './rss-monitor.mjs';

const monitor = createRssMonitor();
const bytes = await readFile(process.env.IMAGE);
// The client settings imgstash's S3 store uses (no CRC32 checksums, which strict
// S3-compatible servers reject), so that only the work around the PutObject differs.
const client = new S3Client({
  region: REGION,
  endpoint: process.env.S3_ENDPOINT,
  credentials: CREDENTIALS,
  ...RAW_CLIENT_SETTINGS,
});
let next = 0;
const put = (body) =>
  client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `raw-${next++}`, Body: body, ContentType: 'image/png' }));

// Warm up: connections, credentials, signing code.
await put(bytes.subarray(0, 64 * 1024));

async function run({ concurrency, rounds }) {
  monitor.mark();
  const load = await closedLoop({ concurrency, rounds }, async () => {
    try {
      await put(bytes);
      return { ok: true };
    } catch (error) {
      return { status: error?.$metadata?.httpStatusCode, json: { error: String(error) } };
    }
  });
  return { ...load, ...monitor.measure() };
}

process.on('message', (message) => {
  if (message?.type === 'run') void run(message).then((result) => process.send({ type: 'result', ...result }));
});
process.on('disconnect', () => process.exit(0));
process.send({ type: 'ready' });
