import { createHmac } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { NormalizedPresignUpload, PresignedUpload } from '@imgstash/core';

/**
 * How browsers send direct uploads to the bucket: `post`, an HTML form upload under a POST
 * policy (AWS S3, MinIO, Ceph RGW, Garage, DigitalOcean Spaces), or `put`, a presigned PUT
 * (Cloudflare R2 and Backblaze B2, which have no POST uploads, and Sevalla, built on R2).
 */
export type DirectUploadMethod = 'post' | 'put';

/** The method a provider supports, from its endpoint's host: `put` for R2 and B2, else `post`. */
export function defaultDirectUpload(host: string): DirectUploadMethod {
  return /(^|\.)r2\.cloudflarestorage\.com$|(^|\.)backblazeb2\.com$/i.test(host) ? 'put' : 'post';
}

/** What a presign needs to know about the store. */
export interface PresignTarget {
  client: S3Client;
  bucket: string;
  /** The object key, store prefix included. */
  objectKey: string;
}

const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/**
 * A presigned PUT of exactly `size` bytes of `contentType`: both headers are signed
 * (`X-Amz-SignedHeaders=content-length;content-type;host`), so the storage refuses any other
 * body. Checksum headers are left out whatever the client's settings: the SDK (≥ 3.729) would
 * otherwise sign a CRC32 of the empty body, which every real upload then fails.
 */
export async function presignPut(target: PresignTarget, upload: NormalizedPresignUpload): Promise<PresignedUpload> {
  const command = new PutObjectCommand({
    Bucket: target.bucket,
    Key: target.objectKey,
    ContentType: upload.contentType,
    ContentLength: upload.size,
  });
  command.middlewareStack.add(
    (next) => (args) => {
      const request = args.request as { headers?: Record<string, string>; query?: Record<string, unknown> };
      for (const bag of [request.headers, request.query]) {
        for (const name of Object.keys(bag ?? {})) {
          if (/^x-amz-(checksum-|sdk-checksum-)/i.test(name)) delete (bag as Record<string, unknown>)[name];
        }
      }
      return next(args);
    },
    { step: 'build', priority: 'low', name: 'imgstashNoUploadChecksum' },
  );
  const signed = new Set(['content-type', 'content-length']);
  const url = await getSignedUrl(target.client, command, {
    expiresIn: upload.expiresIn,
    signableHeaders: signed,
    unhoistableHeaders: signed,
  });
  return { method: 'PUT', url, headers: { 'content-type': upload.contentType } };
}

/** `20260101T120000Z`, the SigV4 date format. */
const amzDate = (date: Date) =>
  date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

/**
 * An S3 POST policy upload (the browser form upload, SigV4): the policy allows exactly the
 * key, `Content-Type` equal to the declared type and a `content-length-range` of exactly
 * `size`. The bucket's URL is read off a presigned URL of the key, so the client's own
 * endpoint resolution (path-style, virtual-hosted, custom endpoints) decides it.
 */
export async function presignPost(
  target: PresignTarget,
  upload: NormalizedPresignUpload,
  probeUrl: URL,
): Promise<PresignedUpload> {
  const { client, bucket, objectKey } = target;
  const credentials = await client.config.credentials();
  const region = await client.config.region();
  const now = new Date();
  const date = amzDate(now);
  const day = date.slice(0, 8);
  const fields: Record<string, string> = {
    key: objectKey,
    'Content-Type': upload.contentType,
    'x-amz-algorithm': 'AWS4-HMAC-SHA256',
    'x-amz-credential': `${credentials.accessKeyId}/${day}/${region}/s3/aws4_request`,
    'x-amz-date': date,
  };
  if (credentials.sessionToken) fields['x-amz-security-token'] = credentials.sessionToken;
  const policy = {
    expiration: new Date(now.getTime() + upload.expiresIn * 1000).toISOString(),
    conditions: [
      { bucket },
      ['eq', '$key', objectKey],
      ['eq', '$Content-Type', upload.contentType],
      ['content-length-range', upload.size, upload.size],
      ...Object.entries(fields)
        .filter(([name]) => name.startsWith('x-amz-'))
        .map(([name, value]) => ({ [name]: value })),
    ],
  };
  const encoded = Buffer.from(JSON.stringify(policy), 'utf8').toString('base64');
  const signingKey = ['s3', 'aws4_request'].reduce(
    (key, part) => hmac(key, part),
    hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), region),
  );
  fields.policy = encoded;
  fields['x-amz-signature'] = createHmac('sha256', signingKey).update(encoded, 'utf8').digest('hex');
  // The presigned URL names the object: `<bucket URL>/<objectKey>`. What precedes it is the bucket's.
  const suffix = `/${objectKey}`;
  const path = probeUrl.pathname.endsWith(suffix) ? probeUrl.pathname.slice(0, -suffix.length) : '';
  return { method: 'POST', url: `${probeUrl.origin}${path || '/'}`, fields };
}
