export type { S3ConnectionOptions, S3Credentials } from './s3-client.js';
export { hasS3Env, type S3Env, type S3EnvOverrides, s3StoreFromEnv, s3StoreOptionsFromEnv } from './s3-env.js';
export { type DirectUploadMethod, defaultDirectUpload } from './s3-presign-upload.js';
export {
  createS3Store,
  type S3StoreClientOptions,
  type S3StoreCommonOptions,
  type S3StoreConnectionOptions,
  type S3StoreOptions,
} from './s3-store.js';
