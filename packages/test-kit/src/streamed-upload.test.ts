// Uploads that carry a Content-Length are streamed straight through to S3: core predicts
// the file's length from the request's (the file is the last part of the form), the S3
// store sends one PutObject of that length as the bytes arrive, and whatever fails before
// the last byte leaves nothing stored. Through a real listener of every framework, on a
// real S3-protocol server (s3rver).
import { createHash } from 'node:crypto';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { ErrorBody, UploadedImage } from '@imgstash/core';
import { createS3Store } from '@imgstash/s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noiseImage } from './images.js';
import { fileUpload, type MultipartBody, multipartBody } from './multipart-body.js';
import { chunked, openRawConnection, type RawResponse, rawRequest, requestHead } from './raw-http.js';
import { type RecordedRequest, recordRequests, startS3rver, type TestServer } from './s3rver.js';
import { FRAMEWORKS, type RunningApp, startApp } from './servers.js';
import { probeStore, type StoreProbe, waitFor } from './store-probe.js';

let s3: TestServer;
let png: Uint8Array;
let apps = 0;

beforeAll(async () => {
  s3 = await startS3rver();
  // About 1.5 MiB: above the S3 store's 1 MiB streaming threshold.
  png = await noiseImage('png', 720, 720, 3);
});
afterAll(async () => {
  await s3?.close();
});

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function post(app: RunningApp, form: MultipartBody): Promise<RawResponse> {
  const head = requestHead('POST', '/upload', { 'Content-Type': form.contentType, 'Content-Length': form.body.length });
  return rawRequest(app.port, [head, form.body]);
}

function postChunked(app: RunningApp, form: MultipartBody): Promise<RawResponse> {
  const head = requestHead('POST', '/upload', { 'Content-Type': form.contentType, 'Transfer-Encoding': 'chunked' });
  return rawRequest(app.port, [head, chunked(form.body)]);
}

describe.each(FRAMEWORKS)('streamed uploads to S3 on %s', (framework) => {
  let app: RunningApp;
  let client: S3Client;
  let requests: RecordedRequest[];
  let probe: StoreProbe<ReturnType<typeof createS3Store>>;
  let prefix: string;
  const sent = (command: string) => requests.filter((r) => r.command === command);
  const stored = async () => (await s3.objectKeys()).filter((key) => key.startsWith(prefix));

  beforeAll(async () => {
    prefix = `app${++apps}/`;
    client = new S3Client(
      s3.connection({ requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }),
    );
    requests = recordRequests(client);
    probe = probeStore(createS3Store({ bucket: s3.bucket, prefix, client }));
    app = await startApp(framework, { store: probe.store });
  });
  afterAll(async () => {
    await app?.close();
    client?.destroy();
  });

  /** Every put settled, and the bucket holds nothing under this app's prefix. */
  async function expectNothingStored() {
    await waitFor(() => probe.puts.every((p) => p.state !== 'pending'), 'every put to settle');
    // s3rver keeps a cancelled body as the object, and may write it after the put has
    // settled; the store deletes it then. Nothing may remain once that is done.
    await expect.poll(stored, { timeout: 3000, interval: 50 }).toEqual([]);
    expect(await s3.pendingUploads()).toBe(0);
  }

  function expectJsonError(res: RawResponse, status: number, code: string) {
    expect(res.status, res.text()).toBe(status);
    expect(res.json<ErrorBody>().error.code).toBe(code);
  }

  it('sends the file in one PutObject of its exact length, with no multipart upload, byte-identical', async () => {
    requests.length = 0;
    const res = await post(app, fileUpload(png));
    expect(res.status, res.text()).toBe(201);
    const uploaded = res.json<UploadedImage>();
    expect(uploaded.size).toBe(png.length);
    expect(uploaded.sha256).toBe(sha256(png));
    const puts = sent('PutObjectCommand');
    expect(puts).toHaveLength(1);
    expect(puts[0]?.headers['content-length']).toBe(String(png.length));
    expect(sent('CreateMultipartUploadCommand')).toHaveLength(0);
    const object = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: prefix + uploaded.id }));
    expect(sha256(await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray())).toBe(
      sha256(png),
    );
    await probe.store.delete(uploaded.id);
  });

  it('accepts fields before the file', async () => {
    const form = multipartBody([
      { name: 'title', body: 'a title' },
      { name: 'file', filename: 'noise.png', contentType: 'image/png', body: png },
    ]);
    const res = await post(app, form);
    expect(res.status, res.text()).toBe(201);
    await probe.store.delete(res.json<UploadedImage>().id);
  });

  it('answers 400 when a field follows the file, with or without a Content-Length, and stores nothing', async () => {
    const form = multipartBody([
      { name: 'file', filename: 'noise.png', contentType: 'image/png', body: png },
      { name: 'submit', body: 'Upload' },
    ]);
    for (const send of [post, postChunked]) {
      const res = await send(app, form);
      expectJsonError(res, 400, 'INVALID_INPUT');
      expect(res.json<ErrorBody>().error.message).toContain('last part');
    }
    await expectNothingStored();
  });

  it('answers 400 when bytes follow the closing boundary of a body with a Content-Length, and stores nothing', async () => {
    const form = fileUpload(png);
    const res = await post(app, { ...form, body: Buffer.concat([form.body, Buffer.from('an epilogue\r\n')]) });
    expectJsonError(res, 400, 'INVALID_INPUT');
    await expectNothingStored();
  });

  it('answers 415 to a PNG found truncated only after its last byte was read, and stores nothing', async () => {
    const res = await post(app, fileUpload(png.subarray(0, png.length - 40)));
    expectJsonError(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
    await expectNothingStored();
  });

  it('stores nothing when the client goes away halfway through', async () => {
    const form = fileUpload(png);
    const connection = await openRawConnection(app.port);
    await connection.write(
      requestHead('POST', '/upload', { 'Content-Type': form.contentType, 'Content-Length': form.body.length }),
    );
    await connection.write(form.body.subarray(0, form.body.length >> 1));
    await waitFor(() => probe.puts.length > 0, 'the put to start');
    connection.destroy();
    await expectNothingStored();
    probe.reset();
  });

  it('still takes an upload without a Content-Length (chunked), buffered up to a part', async () => {
    const res = await postChunked(app, fileUpload(png));
    expect(res.status, res.text()).toBe(201);
    const { id } = res.json<UploadedImage>();
    // One PutObject with Content-MD5 (the SDK may retry a buffered body, never a streamed one).
    const puts = sent('PutObjectCommand').filter((r) => r.path.endsWith(`/${prefix}${id}`));
    expect(puts.length).toBeGreaterThan(0);
    for (const put of puts) expect(put.headers['content-md5']).toEqual(expect.any(String));
    await probe.store.delete(id);
  });
});
