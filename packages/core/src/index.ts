export { abortableChunks, bodyChunks, iterateBody, readAll, readAtMost, throwIfAborted } from './body.js';
export { type ClientErrorSocket, type ClientErrorSource, jsonClientErrors } from './client-errors.js';
export { type CorsCheckOptions, type CorsCheckResult, checkUploadCors } from './cors-check.js';
export { type Deadline, deadlineError, startDeadline, untilAborted, withDeadline } from './deadline.js';
export { PENDING_PREFIX } from './direct-token.js';
export { DEFAULT_DRAIN, type DrainableBody, type DrainBounds, drainableBody } from './drain.js';
export {
  IMAGE_STORE_ERROR_CODES,
  ImageStoreError,
  type ImageStoreErrorCode,
  type ImageStoreErrorOptions,
  isAbortError,
  isImageStoreError,
  statusForCode,
} from './errors.js';
export { clampExpiresIn, DEFAULT_EXPIRES_IN, MAX_EXPIRES_IN } from './expires.js';
export {
  contentDisposition,
  decodeFilenameMetadata,
  encodeFilenameMetadata,
  MAX_FILENAME_LENGTH,
  sanitizeFilename,
} from './filename.js';
export {
  type AuthorizeAction,
  type AuthorizeResult,
  createImageHandlers,
  type DirectUploadOptions,
  type HandlerRequest,
  type HealthOptions,
  type HealthReason,
  type ImageHandlerOptions,
  type ImageHandlers,
  type ImageRoutePaths,
  type RedirectTarget,
  type RouteMatch,
  type RouteName,
  renderUploadPage,
  SHAREX_VERSION,
  type ShareXConfig,
  type StartedUpload,
  type StoreDeadlines,
  type TransformQueueOptions,
  type UploadedImage,
  type UploadPageOptions,
} from './handlers/index.js';
export { defaultSha256, type IncrementalHash, portableSha256, type Sha256Factory } from './hash.js';
export { type ErrorBody, errorResponse, jsonResponse } from './http.js';
export { createStructureCheck, MarkupScanner, type StructureCheck } from './inspect.js';
export {
  assertValidKey,
  assertValidPrefix,
  createId,
  createIdGenerator,
  DEFAULT_ID_LENGTH,
  ID_ALPHABET,
  isValidId,
  isValidKey,
  MAX_KEY_LENGTH,
} from './keys.js';
export {
  createLocalUrls,
  isLocallyServed,
  type LocallyServedStore,
  type LocalUploadParams,
  type LocalUrlOptions,
  type LocalUrls,
} from './local.js';
export { type FilePart, type FilePartOptions, type MultipartLimits, openFilePart } from './multipart.js';
export { type SweepPendingOptions, type SweepPendingResult, sweepPending } from './pending.js';
export {
  createImageRewriter,
  type ImageHeaderFacts,
  type ImageRewriter,
  type ImageRewriterOptions,
  type Orientation,
} from './pipeline/index.js';
export {
  type AllowedImageType,
  DEFAULT_ALLOWED_TYPES,
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_FRAMES,
  DEFAULT_MAX_PIXELS,
  DEFAULT_POLICY,
  isAllowedType,
  resolvePolicy,
  type UploadPolicy,
} from './policy.js';
export {
  MAX_HEADER_BYTES,
  type PreparedImage,
  type PrepareImageOptions,
  prepareImage,
  type UploadDigest,
} from './prepare.js';
export {
  assertSize,
  type NormalizedPresignUpload,
  type NormalizedPutOptions,
  normalizePresignUpload,
  normalizePutOptions,
} from './put-options.js';
export { SERVE_CSP, serveLocalFile, serveSignedUrl } from './serve.js';
export { createUrlSigner, randomSecret, type SignedParams, type UrlSigner } from './signer.js';
export { EXTENSION_FOR_TYPE, type RasterImageType, SNIFF_BYTES, type SniffedType, sniffType } from './sniff.js';
export type {
  ImageTransformer,
  PlaceholderKind,
  PlaceholderOptions,
  TransformFormat,
  TransformOptions,
  TransformResult,
  VariantFit,
  VariantFormat,
  VariantPreset,
} from './transform.js';
export type {
  CallOptions,
  ImageBody,
  ImageStore,
  ListedObject,
  ObjectBody,
  ObjectInfo,
  PresignedUpload,
  PresignUploadOptions,
  PutOptions,
  SignedUrlOptions,
  StoredObject,
} from './types.js';
export {
  chooseFormat,
  MAX_PRESET_SIZE,
  PRESET_NAME_RE,
  type ResolvedPreset,
  resolvePresets,
  TYPE_OF_FORMAT,
  variantKey,
  variantKeys,
} from './variants.js';
export { createWorkQueue, type WorkQueue, type WorkQueueOptions } from './work-queue.js';
