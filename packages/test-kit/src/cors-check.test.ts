// checkUploadCors against a real S3-protocol server (s3rver), which answers CORS preflights from
// the bucket's CORS configuration as S3 does: with a rule that fits, one that lacks the method
// or the origin, and none at all.
import { checkUploadCors } from '@imgstash/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestStore } from './contract-kit.js';
import { s3DirectStore } from './direct-kit.js';
import { startS3rver, type TestServer } from './s3rver.js';

const APP = 'https://app.example.com';
const PUT_ONLY = `<CORSConfiguration><CORSRule><AllowedOrigin>${APP}</AllowedOrigin><AllowedMethod>PUT</AllowedMethod>
<AllowedHeader>Content-Type</AllowedHeader></CORSRule></CORSConfiguration>`;

let withCors: TestServer;
let without: TestServer;
beforeAll(async () => {
  [withCors, without] = await Promise.all([startS3rver({ cors: PUT_ONLY }), startS3rver()]);
});
afterAll(async () => {
  await Promise.all([withCors?.close(), without?.close()]);
});

describe('checkUploadCors', () => {
  it('passes a bucket whose rule allows the origin, the method and Content-Type', async () => {
    const result = await checkUploadCors(s3DirectStore(withCors, 'put'), { origin: APP });
    expect(result).toMatchObject({ ok: true, method: 'PUT', status: 200, missing: [] });
    expect(result.url).not.toContain('X-Amz-Signature');
  });

  it('names the missing method when the rule allows PUT but uploads are POST', async () => {
    const result = await checkUploadCors(s3DirectStore(withCors, 'post'), { origin: APP });
    expect(result.ok).toBe(false);
    expect(result.missing).toEqual([expect.stringContaining('AllowedMethod POST')]);
  });

  it('names the missing origin for another page, and a bucket with no CORS at all', async () => {
    const other = await checkUploadCors(s3DirectStore(withCors, 'put'), { origin: 'https://other.example.com' });
    expect(other.missing).toEqual([expect.stringContaining('AllowedOrigin https://other.example.com')]);
    const none = await checkUploadCors(s3DirectStore(without, 'put'), { origin: APP });
    expect(none).toMatchObject({ ok: false, status: 403 });
    expect(none.missing).toEqual([expect.stringContaining(`AllowedOrigin ${APP} and AllowedMethod PUT`)]);
  });

  it('needs no CORS for a local store, whose uploads go to the app itself', async () => {
    const local = await createTestStore('fs');
    try {
      expect(await checkUploadCors(local.store, { origin: APP })).toMatchObject({ ok: true, method: 'PUT', status: 0 });
    } finally {
      await local.dispose();
    }
  });
});
