export type { StartedUpload, UploadedImage } from '@imgstash/core';
export { UploadError, type UploadOptions, type UploadProgress, upload } from './upload.js';
