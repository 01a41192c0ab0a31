import { type ImageStore, ImageStoreError } from '@imgstash/core';
import {
  createS3Store,
  isValidEndpoint,
  isValidPrefix,
  type S3StoreCommonOptions,
  type S3StoreConnectionOptions,
} from './s3-store.js';

/** The environment, as `process.env` has it. */
export type S3Env = Readonly<Record<string, string | undefined>>;

/** Settings of {@link s3StoreFromEnv} that do not come from the environment. */
export type S3EnvOverrides = Partial<
  Pick<
    S3StoreConnectionOptions,
    'connectionTimeout' | 'requestTimeout' | 'maxAttempts' | keyof Omit<S3StoreCommonOptions, 'bucket'>
  >
>;

const value = (env: S3Env, name: string): string | undefined => {
  const v = env[name]?.trim();
  return v ? v : undefined;
};

function fail(message: string): ImageStoreError {
  return new ImageStoreError('INVALID_INPUT', `[imgstash] [s3] ${message}`);
}

// The variables that say "store on S3". AWS_REGION and AWS_SESSION_TOKEN are left out on
// purpose: shells, CI runners and cloud hosts set them for everything, not for imgstash.
const S3_INTENT = [
  'S3_BUCKET',
  'S3_BUCKET_NAME',
  'ENDPOINT',
  'S3_ENDPOINT',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'S3_PREFIX',
  'S3_FORCE_PATH_STYLE',
] as const;

/**
 * True when the environment sets any of the store's variables (a bucket, an endpoint, a key,
 * `S3_PREFIX` or `S3_FORCE_PATH_STYLE`; `AWS_REGION` alone does not count): the signal for
 * an app to use S3 rather than its local default. A half-set environment is then refused by
 * {@link s3StoreFromEnv}, which names what is missing, instead of silently falling back to
 * local storage.
 *
 * @example
 * ```ts
 * const store = hasS3Env() ? s3StoreFromEnv() : createFsStore({ root: './data' });
 * ```
 */
export function hasS3Env(env: S3Env = process.env): boolean {
  return S3_INTENT.some((name) => value(env, name) !== undefined);
}

/**
 * Reads the store's settings from the environment and checks them all at once, so a
 * misconfigured deployment fails at start-up with one message naming every missing
 * variable. Values are never echoed: the secret key cannot leak through the message.
 *
 * | variable | |
 * | --- | --- |
 * | `S3_BUCKET` or `S3_BUCKET_NAME` | required |
 * | `ENDPOINT` or `S3_ENDPOINT` | the provider's endpoint; required unless `AWS_REGION` is set (AWS S3) |
 * | `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` | required; `AWS_SESSION_TOKEN` optional |
 * | `AWS_REGION` | default `auto` |
 * | `S3_FORCE_PATH_STYLE` | `true`/`1` or `false`/`0`; default `false` |
 * | `S3_PREFIX` | optional key prefix, e.g. `images/` |
 */
export function s3StoreOptionsFromEnv(
  env: S3Env = process.env,
  overrides: S3EnvOverrides = {},
): S3StoreConnectionOptions {
  const bucket = value(env, 'S3_BUCKET') ?? value(env, 'S3_BUCKET_NAME');
  const endpoint = value(env, 'ENDPOINT') ?? value(env, 'S3_ENDPOINT');
  const accessKeyId = value(env, 'AWS_ACCESS_KEY_ID');
  const secretAccessKey = value(env, 'AWS_SECRET_ACCESS_KEY');
  const region = value(env, 'AWS_REGION');
  const missing: string[] = [];
  if (!bucket) missing.push('S3_BUCKET (or S3_BUCKET_NAME)');
  if (!endpoint && !region) missing.push('ENDPOINT (or S3_ENDPOINT; for AWS S3 set AWS_REGION instead)');
  if (!accessKeyId) missing.push('AWS_ACCESS_KEY_ID');
  if (!secretAccessKey) missing.push('AWS_SECRET_ACCESS_KEY');
  if (missing.length > 0) throw fail(`missing environment variables: ${missing.join(', ')}`);

  // Checked here so that the message names the variable, not the option.
  if (endpoint && !isValidEndpoint(endpoint)) throw fail('ENDPOINT (or S3_ENDPOINT) must be an http(s) URL');
  const prefix = value(env, 'S3_PREFIX');
  if (prefix !== undefined && !isValidPrefix(prefix)) {
    throw fail('S3_PREFIX must be letters, digits, `_ . - /`, with no `..` and no leading or double slash');
  }
  const pathStyle = value(env, 'S3_FORCE_PATH_STYLE')?.toLowerCase();
  let forcePathStyle = false;
  if (pathStyle === 'true' || pathStyle === '1') forcePathStyle = true;
  else if (pathStyle !== undefined && pathStyle !== 'false' && pathStyle !== '0') {
    throw fail('S3_FORCE_PATH_STYLE must be true, 1, false or 0');
  }

  const options: S3StoreConnectionOptions = {
    bucket: bucket as string,
    region: region ?? 'auto',
    forcePathStyle,
    credentials: { accessKeyId: accessKeyId as string, secretAccessKey: secretAccessKey as string },
    ...overrides,
  };
  const sessionToken = value(env, 'AWS_SESSION_TOKEN');
  if (sessionToken && options.credentials) options.credentials.sessionToken = sessionToken;
  if (endpoint) options.endpoint = endpoint;
  if (prefix !== undefined && overrides.prefix === undefined) options.prefix = prefix;
  return options;
}

/**
 * Creates an S3 store from the environment (see {@link s3StoreOptionsFromEnv} for the
 * variables). Throws an `INVALID_INPUT` error naming exactly what is missing or malformed.
 *
 * @example
 * ```ts
 * // S3_BUCKET=images ENDPOINT=https://<account-id>.r2.cloudflarestorage.com
 * // AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=…
 * import { s3StoreFromEnv } from '@imgstash/s3';
 * const store = s3StoreFromEnv();
 * ```
 */
export function s3StoreFromEnv(env: S3Env = process.env, overrides: S3EnvOverrides = {}): ImageStore {
  return createS3Store(s3StoreOptionsFromEnv(env, overrides));
}
