import { isImageStoreError } from '@imgstash/core';
import { FIXTURES } from '@imgstash/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasS3Env, s3StoreFromEnv } from './s3-env.js';
import { BUCKET, CREDENTIALS, startS3rver, type TestServer } from './testing/s3rver-fixture.js';

const SECRET = 'wJalrXUtnFEMI-this-is-secret';
const base = {
  S3_BUCKET: 'images',
  ENDPOINT: 'http://localhost:9000',
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: SECRET,
};

function failure(env: Record<string, string | undefined>): Error {
  try {
    s3StoreFromEnv(env);
  } catch (error) {
    expect(isImageStoreError(error) && error.code).toBe('INVALID_INPUT');
    return error as Error;
  }
  throw new Error('expected s3StoreFromEnv to throw');
}

describe('s3StoreFromEnv', () => {
  it('names every missing variable at once', () => {
    expect(failure({}).message).toBe(
      '[imgstash] [s3] missing environment variables: S3_BUCKET (or S3_BUCKET_NAME), ' +
        'ENDPOINT (or S3_ENDPOINT; for AWS S3 set AWS_REGION instead), AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY',
    );
  });

  it('names only what is missing, and never echoes a value', () => {
    const message = failure({ ...base, AWS_SECRET_ACCESS_KEY: undefined }).message;
    expect(message).toBe('[imgstash] [s3] missing environment variables: AWS_SECRET_ACCESS_KEY');
    const noKey = failure({ ...base, AWS_ACCESS_KEY_ID: '  ' }).message;
    expect(noKey).toBe('[imgstash] [s3] missing environment variables: AWS_ACCESS_KEY_ID');
    expect(noKey).not.toContain(SECRET);
  });

  it('refuses malformed values by name, without echoing them', () => {
    const badSwitch = failure({ ...base, S3_FORCE_PATH_STYLE: 'yes please' }).message;
    expect(badSwitch).toContain('S3_FORCE_PATH_STYLE');
    expect(badSwitch).not.toContain('yes please');
    const badEndpoint = failure({ ...base, ENDPOINT: `minio:${SECRET}@host` }).message;
    expect(badEndpoint).toContain('ENDPOINT (or S3_ENDPOINT) must be an http(s) URL');
    expect(badEndpoint).not.toContain(SECRET);
    expect(failure({ ...base, S3_PREFIX: '../up/' }).message).toContain('S3_PREFIX');
  });

  it('needs no endpoint for AWS S3 when AWS_REGION is set', async () => {
    const store = s3StoreFromEnv({ ...base, ENDPOINT: undefined, AWS_REGION: 'eu-west-3' });
    const url = new URL(await store.signedUrl('k'));
    expect(url.host).toBe('images.s3.eu-west-3.amazonaws.com');
  });

  it('signs for region auto by default, virtual-hosted unless S3_FORCE_PATH_STYLE is set', async () => {
    const virtual = new URL(await s3StoreFromEnv(base).signedUrl('k'));
    expect(virtual.searchParams.get('X-Amz-Credential')).toMatch(/^AKIDEXAMPLE\/\d{8}\/auto\/s3\/aws4_request$/);
    expect(`${virtual.host}${virtual.pathname}`).toBe('images.localhost:9000/k');
    for (const on of ['true', '1', 'TRUE']) {
      const path = new URL(await s3StoreFromEnv({ ...base, S3_FORCE_PATH_STYLE: on }).signedUrl('k'));
      expect(`${path.host}${path.pathname}`).toBe('localhost:9000/images/k');
    }
    const off = new URL(await s3StoreFromEnv({ ...base, S3_FORCE_PATH_STYLE: '0' }).signedUrl('k'));
    expect(off.host).toBe('images.localhost:9000');
    const region = new URL(await s3StoreFromEnv({ ...base, AWS_REGION: 'us-east-2' }).signedUrl('k'));
    expect(region.searchParams.get('X-Amz-Credential')).toContain('/us-east-2/s3/');
  });

  it('applies S3_PREFIX, and lets overrides win', async () => {
    const prefixed = new URL(await s3StoreFromEnv({ ...base, S3_PREFIX: 'img/' }).signedUrl('k'));
    expect(prefixed.pathname).toBe('/img/k');
    const overridden = new URL(
      await s3StoreFromEnv({ ...base, S3_PREFIX: 'img/' }, { prefix: 'other/' }).signedUrl('k'),
    );
    expect(overridden.pathname).toBe('/other/k');
  });
});

describe('s3StoreFromEnv against a real server', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startS3rver();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('works with the alternative names S3_BUCKET_NAME and S3_ENDPOINT', async () => {
    const store = s3StoreFromEnv({
      S3_BUCKET_NAME: BUCKET,
      S3_ENDPOINT: server.endpoint,
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      S3_FORCE_PATH_STYLE: 'true',
      S3_PREFIX: 'env/',
    });
    await store.put('from-env', FIXTURES.avif.bytes, { contentType: 'image/avif' });
    const res = await fetch(await store.signedUrl('from-env'));
    expect(res.status).toBe(200);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(FIXTURES.avif.bytes);
  });
});

describe('hasS3Env', () => {
  it('is true when a bucket is named, by either variable', () => {
    expect(hasS3Env({ S3_BUCKET: 'images' })).toBe(true);
    expect(hasS3Env({ S3_BUCKET_NAME: 'images' })).toBe(true);
    expect(hasS3Env({ S3_BUCKET: '' })).toBe(false);
  });

  it('is true for a half-set environment too (keys or an endpoint without a bucket), so that it is refused by name', () => {
    for (const env of [
      { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: SECRET },
      { ENDPOINT: 'https://s3.sevalla.storage' },
      { S3_ENDPOINT: 'http://localhost:9000' },
      { AWS_SECRET_ACCESS_KEY: SECRET },
      { S3_FORCE_PATH_STYLE: 'true' },
    ]) {
      expect(hasS3Env(env)).toBe(true);
      expect(failure(env).message).toContain('S3_BUCKET (or S3_BUCKET_NAME)');
      expect(failure(env).message).not.toContain(SECRET);
    }
    expect(failure({ S3_BUCKET_NAME: 'images', ENDPOINT: 'https://s3.sevalla.storage' }).message).toBe(
      '[imgstash] [s3] missing environment variables: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY',
    );
  });

  it('is false for an empty environment and for what shells and cloud hosts set anyway (AWS_REGION, AWS_SESSION_TOKEN)', () => {
    expect(hasS3Env({})).toBe(false);
    expect(hasS3Env({ AWS_REGION: 'eu-west-3', AWS_SESSION_TOKEN: 'token', S3_BUCKET: '  ' })).toBe(false);
  });
});
