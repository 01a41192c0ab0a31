import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';

/** Static credentials for an S3-compatible endpoint. */
export interface S3Credentials {
  /** The access key id, e.g. from `AWS_ACCESS_KEY_ID`. */
  accessKeyId: string;
  /** The secret access key, e.g. from `AWS_SECRET_ACCESS_KEY`. Never logged or echoed. */
  secretAccessKey: string;
  /** A session token, for temporary credentials (`AWS_SESSION_TOKEN`). */
  sessionToken?: string;
}

/** How imgstash builds its own `S3Client` when it is not handed one. */
export interface S3ConnectionOptions {
  /**
   * The endpoint of an S3-compatible provider, e.g. `https://<account>.r2.cloudflarestorage.com`
   * or `http://127.0.0.1:9000`. Omit it for AWS S3, where `region` picks the endpoint.
   */
  endpoint?: string;
  /**
   * The signing region. Default `auto` when an `endpoint` is given (what R2 expects, and
   * what most compatible servers accept); required for AWS S3.
   */
  region?: string;
  /**
   * Static credentials. Default: the AWS SDK's provider chain (environment, shared config,
   * container or instance role).
   */
  credentials?: S3Credentials;
  /**
   * Address buckets as `endpoint/bucket/key` instead of `bucket.endpoint/key`. MinIO,
   * Ceph and most self-hosted servers need it. Default `false`.
   */
  forcePathStyle?: boolean;
  /** Milliseconds to establish a TCP/TLS connection. Default 3000. */
  connectionTimeout?: number;
  /**
   * Milliseconds from sending a request (body included) to receiving the response headers.
   * Default 30000. A part of a multipart upload must go up within it.
   */
  requestTimeout?: number;
  /**
   * Attempts per request, the first one included; timeouts, refused connections, throttling
   * and 5xx are retried with backoff. Default 2: one retry, so that a hanging endpoint costs
   * at most two `requestTimeout`s, and core's deadlines (10 s for lookups, 30 s for a put)
   * cut the rest short. Raise it for batch jobs that can wait.
   */
  maxAttempts?: number;
}

/** The defaults of {@link S3ConnectionOptions}. */
export const CONNECTION_DEFAULTS = { connectionTimeout: 3000, requestTimeout: 30_000, maxAttempts: 2 } as const;

/**
 * Builds an `S3Client` with imgstash's defaults: bounded timeouts and retries, and
 * checksums only when an operation requires them. AWS SDK ≥ 3.729 otherwise sends CRC32
 * checksum headers (and trailers on streamed bodies) that R2, B2, Linode and s3rver reject.
 */
export function createS3Client(options: S3ConnectionOptions): S3Client {
  const config: S3ClientConfig = {
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: options.maxAttempts ?? CONNECTION_DEFAULTS.maxAttempts,
    requestHandler: {
      connectionTimeout: options.connectionTimeout ?? CONNECTION_DEFAULTS.connectionTimeout,
      requestTimeout: options.requestTimeout ?? CONNECTION_DEFAULTS.requestTimeout,
      // Without it the handler only logs a warning when requestTimeout passes.
      throwOnRequestTimeout: true,
    },
  };
  const region = options.region ?? (options.endpoint ? 'auto' : undefined);
  if (region !== undefined) config.region = region;
  if (options.endpoint !== undefined) config.endpoint = options.endpoint;
  if (options.forcePathStyle !== undefined) config.forcePathStyle = options.forcePathStyle;
  if (options.credentials !== undefined) {
    const { accessKeyId, secretAccessKey, sessionToken } = options.credentials;
    config.credentials = sessionToken
      ? { accessKeyId, secretAccessKey, sessionToken }
      : { accessKeyId, secretAccessKey };
  }
  return new S3Client(config);
}
