// Direct uploads of the S3 store against a real S3-protocol server (s3rver). s3rver checks
// the signature of a presigned PUT, signed headers included, so a PUT's size and type binding
// is proven here by the server refusing other bodies. It ignores POST policies: for POST this
// file checks what the policy says, and that a form upload lands; the refusal of a body that
// does not match is core's `complete`, tested in packages/test-kit/src/direct-upload.test.ts.
import { S3Client } from '@aws-sdk/client-s3';
import { FIXTURES, sendPresignedUpload } from '@imgstash/core/testing';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { S3ConnectionOptions } from './s3-client.js';
import { defaultDirectUpload } from './s3-presign-upload.js';
import { createS3Store } from './s3-store.js';
import { BUCKET, CREDENTIALS, startS3rver, type TestServer } from './testing/s3rver-fixture.js';

let server: TestServer;
let tests = 0;
beforeAll(async () => {
  server = await startS3rver();
});
afterAll(async () => {
  await server?.close();
});

const png = FIXTURES.png.bytes;
const connection = (): S3ConnectionOptions => server.connection();
const store = (directUpload: 'post' | 'put') =>
  createS3Store({ bucket: BUCKET, prefix: `p${++tests}/`, directUpload, ...connection() });

describe('presignUpload on S3 with a presigned PUT', () => {
  it('signs Content-Length and Content-Type, and the server stores the exact body', async () => {
    const s = store('put');
    const upload = await s.presignUpload?.('pending.put', { size: png.length, contentType: 'image/png' });
    expect(upload?.method).toBe('PUT');
    const url = new URL(upload?.url ?? '');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;content-type;host');
    expect([...url.searchParams.keys()].filter((k) => /checksum/i.test(k))).toEqual([]);
    expect(upload?.headers).toEqual({ 'content-type': 'image/png' });
    const sent = await sendPresignedUpload(upload as never, png, { contentType: 'image/png' });
    expect(sent.status).toBe(200);
    expect((await s.stat('pending.put'))?.size).toBe(png.length);
  });

  it('is refused by the server for a longer body or another type, and stores nothing', async () => {
    const s = store('put');
    const upload = await s.presignUpload?.('pending.refused', { size: png.length, contentType: 'image/png' });
    const longer = new Uint8Array(png.length + 100);
    longer.set(png);
    const tooLong = await sendPresignedUpload(upload as never, longer, { contentType: 'image/png' });
    expect(tooLong.status).toBe(403);
    const otherType = await sendPresignedUpload(upload as never, png, { contentType: 'text/html' });
    expect(otherType.status).toBe(403);
    expect(await s.exists('pending.refused')).toBe(false);
  });

  it('signs no empty-body checksum even on a client left at the SDK default checksum settings', async () => {
    const { endpoint, credentials } = server.connection();
    const client = new S3Client({ endpoint, region: 'us-east-1', credentials, forcePathStyle: true });
    const s = createS3Store({ bucket: BUCKET, prefix: `p${++tests}/`, client, directUpload: 'put' });
    const upload = await s.presignUpload?.('pending.defaults', { size: png.length, contentType: 'image/png' });
    expect(upload?.url).not.toMatch(/checksum/i);
    const sent = await sendPresignedUpload(upload as never, png, { contentType: 'image/png' });
    expect(sent.status).toBe(200);
    client.destroy();
  });
});

describe('presignUpload on S3 with a POST policy', () => {
  it('binds the exact key, the type and a content-length-range of exactly the size', async () => {
    const s = store('post');
    const upload = await s.presignUpload?.('pending.post', {
      size: png.length,
      contentType: 'image/png',
      expiresIn: 600,
    });
    expect(upload?.method).toBe('POST');
    expect(upload?.url).toBe(`${server.endpoint}/${BUCKET}`);
    const fields = upload?.fields ?? {};
    expect(fields.key).toBe(`p${tests}/pending.post`);
    expect(fields['Content-Type']).toBe('image/png');
    expect(fields['x-amz-signature']).toMatch(/^[0-9a-f]{64}$/);
    const policy = JSON.parse(Buffer.from(fields.policy ?? '', 'base64').toString('utf8'));
    expect(policy.conditions).toEqual(
      expect.arrayContaining([
        { bucket: BUCKET },
        ['eq', '$key', fields.key],
        ['eq', '$Content-Type', 'image/png'],
        ['content-length-range', png.length, png.length],
        { 'x-amz-algorithm': 'AWS4-HMAC-SHA256' },
        { 'x-amz-credential': fields['x-amz-credential'] },
        { 'x-amz-date': fields['x-amz-date'] },
      ]),
    );
    const life = Date.parse(policy.expiration) - Date.now();
    expect(life).toBeGreaterThan(590_000);
    expect(life).toBeLessThanOrEqual(600_000);
  });

  // s3rver accepts any POST policy, so the SigV4 signature is checked against the AWS SDK's own
  // signer (the one every presigned request of the SDK goes through) instead.
  it('signs the policy with SigV4 exactly as the AWS SDK signs a string', async () => {
    const s = store('post');
    const upload = await s.presignUpload?.('pending.sig', { size: png.length, contentType: 'image/png' });
    const fields = upload?.fields ?? {};
    const date = fields['x-amz-date'] ?? '';
    expect(date).toMatch(/^\d{8}T\d{6}Z$/);
    expect(fields['x-amz-credential']).toBe(`${CREDENTIALS.accessKeyId}/${date.slice(0, 8)}/us-east-1/s3/aws4_request`);
    const signingDate = new Date(
      `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`,
    );
    const sdk = new SignatureV4({
      credentials: CREDENTIALS,
      region: 'us-east-1',
      service: 's3',
      sha256: Hash.bind(null, 'sha256'),
    });
    expect(fields['x-amz-signature']).toBe(await sdk.sign(fields.policy ?? '', { signingDate }));
  });

  it('lands a browser-style form upload in the bucket', async () => {
    const s = store('post');
    const upload = await s.presignUpload?.('pending.form', { size: png.length, contentType: 'image/png' });
    const sent = await sendPresignedUpload(upload as never, png, { contentType: 'image/png' });
    expect(sent.status).toBeLessThan(300);
    const info = await s.stat('pending.form');
    expect(info?.size).toBe(png.length);
    expect(info?.contentType).toBe('image/png');
  });
});

describe('the default direct-upload method per provider', () => {
  it('is PUT for R2 (and Sevalla on R2) and B2, which have no POST uploads, and POST elsewhere', () => {
    expect(defaultDirectUpload('acc.r2.cloudflarestorage.com')).toBe('put');
    expect(defaultDirectUpload('imgstash.acc.r2.cloudflarestorage.com')).toBe('put');
    expect(defaultDirectUpload('s3.us-west-004.backblazeb2.com')).toBe('put');
    expect(defaultDirectUpload('imgstash.s3.eu-west-1.amazonaws.com')).toBe('post');
    expect(defaultDirectUpload('minio.internal')).toBe('post');
    expect(defaultDirectUpload('fra1.digitaloceanspaces.com')).toBe('post');
  });

  it('refuses a directUpload option that is neither post nor put', () => {
    expect(() => createS3Store({ bucket: BUCKET, ...connection(), directUpload: 'patch' as never })).toThrow(
      /directUpload/,
    );
  });
});
