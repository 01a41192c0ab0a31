// Helpers of the direct-upload suites (direct-upload.test.ts, uppy.test.ts): an S3 store on
// s3rver that presigns PUTs or POST policies, the keys a store holds, and Chromium's settings.
import type { ImageStore } from '@imgstash/core';
import { createS3Store, type S3StoreConnectionOptions } from '@imgstash/s3';
import { BUCKET, type TestServer } from './s3rver.js';

// Debian's Chromium (never a downloaded one), and the flags every browser test runs it with.
export { CHROMIUM, CHROMIUM_ARGS } from './chromium.js';

let prefixes = 0;

/** An S3 store on `server` under a fresh prefix, presigning direct uploads as `method`. */
export function s3DirectStore(server: TestServer, method: 'put' | 'post'): ImageStore {
  const connection: Omit<S3StoreConnectionOptions, 'bucket'> = server.connection();
  return createS3Store({ bucket: BUCKET, prefix: `direct${++prefixes}/`, directUpload: method, ...connection });
}

/** The keys `store` lists under `prefix`, sorted. */
export async function keysUnder(store: ImageStore, prefix = ''): Promise<string[]> {
  const keys: string[] = [];
  for await (const entry of store.list?.(prefix) ?? []) keys.push(entry.key);
  return keys.sort();
}
