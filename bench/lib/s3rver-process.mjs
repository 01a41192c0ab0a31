// Child process: a local S3-protocol server (@20minutes/s3rver) on 127.0.0.1, path-style,
// with the bench bucket configured directly (its CreateBucket rejects current SDK
// signatures). Every side of the bench talks to this one server.
//
// IPC: sends { type: 'ready', endpoint }; answers { type: 'wipe' } with { type: 'wiped' }
// after deleting every stored object, so that the disk does not fill up between sides, and
// { type: 'cpu' } with { type: 'cpu', cpuMs }: the CPU time it used since the last 'cpu'.
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from '@20minutes/s3rver';
import { BUCKET } from './config.mjs';

const directory = await mkdtemp(join(tmpdir(), 'imgstash-bench-s3rver-'));
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory,
  configureBuckets: [{ name: BUCKET }],
});
const { port } = await server.run();

let cpuAtMark = process.cpuUsage();

/** The CPU time (ms) this server used since the previous call: its share of a side's load. */
function cpuSinceMark() {
  const used = process.cpuUsage(cpuAtMark);
  cpuAtMark = process.cpuUsage();
  return (used.user + used.system) / 1000;
}

async function wipe() {
  // s3rver reads its state from disk on every request: removing the files removes the objects.
  const bucketDir = join(directory, BUCKET);
  for (const entry of await readdir(bucketDir)) await rm(join(bucketDir, entry), { recursive: true, force: true });
  await mkdir(bucketDir, { recursive: true });
}

async function shutdown() {
  await server.close().catch(() => {});
  await rm(directory, { recursive: true, force: true });
  process.exit(0);
}

process.on('message', (message) => {
  if (message?.type === 'wipe') void wipe().then(() => process.send({ type: 'wiped' }));
  if (message?.type === 'cpu') process.send({ type: 'cpu', cpuMs: cpuSinceMark() });
  if (message?.type === 'stop') void shutdown();
});
process.on('disconnect', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
process.send({ type: 'ready', endpoint: `http://127.0.0.1:${port}` });
