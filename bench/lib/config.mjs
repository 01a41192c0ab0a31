// Settings shared by the runner and its child processes.

export const MiB = 1024 * 1024;

/** The bucket every side stores into. */
export const BUCKET = 'bench';

/** The credentials s3rver accepts. */
export const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** s3rver ignores the region, but the SDK needs one to sign. */
export const REGION = 'us-east-1';

/** The S3 client settings imgstash's S3 store uses (no CRC32 checksums, which strict servers reject). */
export const RAW_CLIENT_SETTINGS = {
  forcePathStyle: true,
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
};
