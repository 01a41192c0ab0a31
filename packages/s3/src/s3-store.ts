import {
  DeleteObjectCommand,
  GetObjectCommand,
  type GetObjectCommandInput,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  assertValidKey,
  assertValidPrefix,
  type CallOptions,
  clampExpiresIn,
  contentDisposition,
  decodeFilenameMetadata,
  encodeFilenameMetadata,
  type ImageBody,
  type ImageStore,
  ImageStoreError,
  isValidKey,
  type ListedObject,
  normalizePresignUpload,
  normalizePutOptions,
  type ObjectBody,
  type ObjectInfo,
  type PresignedUpload,
  type PresignUploadOptions,
  type PutOptions,
  type SignedUrlOptions,
  type StoredObject,
  throwIfAborted,
} from '@imgstash/core';
import { CONNECTION_DEFAULTS, createS3Client, type S3ConnectionOptions } from './s3-client.js';
import { isMissingObject, toStoreError } from './s3-errors.js';
import { type DirectUploadMethod, defaultDirectUpload, presignPost, presignPut } from './s3-presign-upload.js';
import { streamPut } from './s3-put.js';

/** Options every {@link createS3Store} call takes. */
export interface S3StoreCommonOptions {
  /** The bucket to store images in. It must exist; imgstash never creates buckets. */
  bucket: string;
  /**
   * A folder-like prefix for every object key, e.g. `images/`: key `abc` is stored as
   * `images/abc`. Letters, digits, `_ . - /`; no `..`, no leading or double slash.
   */
  prefix?: string;
  /**
   * Bytes buffered before a put switches from one PutObject to a multipart upload, and the
   * size of each part. Default 5 MiB, S3's minimum part size.
   */
  partSize?: number;
  /**
   * Parts of one multipart upload in flight at once. Memory per streamed put stays below
   * about `(queueSize + 1) × partSize`. Default 2.
   */
  queueSize?: number;
  /**
   * How `presignUpload` lets browsers upload straight to the bucket: `post` (an S3 POST
   * policy binding the key, the exact size and the type) or `put` (a presigned PUT with
   * `Content-Length` and `Content-Type` signed). Default from the endpoint: `put` for
   * Cloudflare R2 (and Sevalla, on R2) and Backblaze B2, which have no POST uploads; `post`
   * for AWS S3, MinIO, Ceph RGW, Garage and the rest. Both bind size and type.
   */
  directUpload?: DirectUploadMethod;
}

/** Build the store on an `S3Client` you configured yourself. */
export interface S3StoreClientOptions extends S3StoreCommonOptions {
  /**
   * An `S3Client` from `@aws-sdk/client-s3`, used as is: its region, credentials, timeouts,
   * retries and checksum settings are yours. For R2, B2, Linode or s3rver set
   * `requestChecksumCalculation: 'WHEN_REQUIRED'` and `responseChecksumValidation: 'WHEN_REQUIRED'`
   * on it. The store never destroys it.
   */
  client: S3Client;
}

/** Let the store build its own `S3Client` from plain settings. */
export interface S3StoreConnectionOptions extends S3StoreCommonOptions, S3ConnectionOptions {
  client?: never;
}

/** Options for {@link createS3Store}: a ready `client`, or the settings to build one. */
export type S3StoreOptions = S3StoreClientOptions | S3StoreConnectionOptions;

const MiB = 1024 * 1024;
const MIN_PART_SIZE = 5 * MiB;
const MAX_PART_SIZE = 5 * 1024 * MiB;
const DEFAULTS = { partSize: MIN_PART_SIZE, queueSize: 2 } as const;
/** The user-metadata entry that keeps the original filename, percent-encoded to ASCII. */
const FILENAME_META = 'imgstash-filename';
const RESERVED_META = 'imgstash-';
const PREFIX_RE = /^(?:[A-Za-z0-9_.-]+\/)*[A-Za-z0-9_.-]*$/;
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

function invalid(message: string): ImageStoreError {
  return new ImageStoreError('INVALID_INPUT', `[imgstash] [s3] ${message}`);
}

function positiveInteger(value: number | undefined, name: string, min: number, max: number): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < min || value > max)) {
    throw invalid(`\`${name}\` must be an integer in ${min}..${max}`);
  }
}

/** True for a key prefix that cannot escape or confuse the bucket's namespace. */
export function isValidPrefix(prefix: string): boolean {
  return prefix.length <= 512 && PREFIX_RE.test(prefix) && !prefix.includes('..');
}

/** True for an absolute http(s) URL. */
export function isValidEndpoint(endpoint: string): boolean {
  try {
    const url = new URL(endpoint);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

function validate(options: S3StoreOptions): void {
  if (typeof options?.bucket !== 'string' || options.bucket.length === 0) throw invalid('`bucket` is required');
  if (!isValidPrefix(options.prefix ?? '')) {
    throw invalid('`prefix` must be letters, digits, `_ . - /`, with no `..` and no leading or double slash');
  }
  positiveInteger(options.partSize, 'partSize', MIN_PART_SIZE, MAX_PART_SIZE);
  positiveInteger(options.queueSize, 'queueSize', 1, 64);
  if (options.directUpload !== undefined && options.directUpload !== 'post' && options.directUpload !== 'put') {
    throw invalid("`directUpload` must be 'post' or 'put'");
  }
  if (options.client !== undefined) {
    const extra = (['endpoint', 'region', 'credentials', 'forcePathStyle'] as const).filter(
      (name) => (options as S3StoreConnectionOptions)[name] !== undefined,
    );
    if (extra.length > 0) throw invalid(`pass either \`client\` or ${extra.map((n) => `\`${n}\``).join(', ')}`);
    return;
  }
  const o = options as S3StoreConnectionOptions;
  if (o.endpoint !== undefined) {
    // The endpoint is not echoed: it may carry credentials in its userinfo.
    if (!isValidEndpoint(o.endpoint)) throw invalid('`endpoint` must be an http(s) URL');
  } else if (o.region === undefined) {
    throw invalid('`region` is required for AWS S3 (or give the `endpoint` of an S3-compatible provider)');
  }
  if (o.credentials !== undefined && (!o.credentials.accessKeyId || !o.credentials.secretAccessKey)) {
    throw invalid('`credentials` needs both accessKeyId and secretAccessKey');
  }
  positiveInteger(o.connectionTimeout, 'connectionTimeout', 1, 600_000);
  positiveInteger(o.requestTimeout, 'requestTimeout', 1, 3_600_000);
  positiveInteger(o.maxAttempts, 'maxAttempts', 1, 10);
}

interface HeadLike {
  ContentLength?: number | undefined;
  ContentType?: string | undefined;
  ETag?: string | undefined;
  LastModified?: Date | undefined;
  CacheControl?: string | undefined;
  Metadata?: Record<string, string> | undefined;
}

function objectInfo(key: string, head: HeadLike): ObjectInfo {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(head.Metadata ?? {})) {
    const lower = name.toLowerCase();
    if (!lower.startsWith(RESERVED_META)) metadata[lower] = value;
  }
  const info: ObjectInfo = {
    key,
    size: head.ContentLength ?? 0,
    contentType: head.ContentType ?? 'application/octet-stream',
    metadata,
  };
  if (head.ETag) info.etag = head.ETag;
  if (head.LastModified) info.lastModified = head.LastModified;
  if (head.CacheControl) info.cacheControl = head.CacheControl;
  const rawFilename = Object.entries(head.Metadata ?? {}).find(([name]) => name.toLowerCase() === FILENAME_META)?.[1];
  const filename = decodeFilenameMetadata(rawFilename);
  if (filename !== undefined) info.filename = filename;
  return info;
}

/** Re-emits a body stream with read errors translated, so callers only ever see ImageStoreError. */
function translatedStream(source: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const step = await reader.read();
          if (step.done) controller.close();
          else controller.enqueue(step.value);
        } catch (error) {
          controller.error(toStoreError(error, 'get (body)'));
        }
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * Creates a store on any S3-compatible endpoint: AWS S3, Cloudflare R2, MinIO, Backblaze B2,
 * DigitalOcean Spaces, Ceph. Objects stay private (no ACL is ever set); `signedUrl` presigns
 * a GET locally, without a network call. Vendor errors become `ImageStoreError`s:
 * `STORAGE_UNAVAILABLE` for timeouts, refused connections and throttling, `STORAGE_ERROR`
 * for rejected credentials, a missing bucket and other failures.
 *
 * @example
 * ```ts
 * import { createS3Store } from '@imgstash/s3';
 * const store = createS3Store({
 *   bucket: 'images',
 *   endpoint: 'https://<account-id>.r2.cloudflarestorage.com',
 *   region: 'auto',
 *   credentials: { accessKeyId: '…', secretAccessKey: '…' },
 * });
 * ```
 *
 * @example
 * ```ts
 * import { S3Client } from '@aws-sdk/client-s3';
 * const store = createS3Store({ bucket: 'images', prefix: 'uploads/', client: new S3Client({ region: 'eu-west-1' }) });
 * ```
 */
export function createS3Store(options: S3StoreOptions): ImageStore {
  validate(options);
  const bucket = options.bucket;
  const prefix = options.prefix ?? '';
  const partSize = options.partSize ?? DEFAULTS.partSize;
  const queueSize = options.queueSize ?? DEFAULTS.queueSize;
  const client = options.client ?? createS3Client(options as S3StoreConnectionOptions);
  const stallTimeout =
    (options.client === undefined ? (options as S3StoreConnectionOptions).requestTimeout : undefined) ??
    CONNECTION_DEFAULTS.requestTimeout;
  const objectKey = (key: string) => prefix + key;

  // The caller's signal goes to the SDK, which then cancels the request; an abort rejects
  // with the signal's own reason, as the contract asks.
  const sendOptions = (call: CallOptions | undefined) => (call?.signal ? { abortSignal: call.signal } : undefined);
  const rethrowAbort = (call: CallOptions | undefined) => {
    if (call?.signal?.aborted) throw call.signal.reason;
  };

  async function head(key: string, operation: string, call?: CallOptions): Promise<ObjectInfo | undefined> {
    assertValidKey(key);
    throwIfAborted(call?.signal);
    try {
      const out = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: objectKey(key) }), sendOptions(call));
      return objectInfo(key, out);
    } catch (error) {
      rethrowAbort(call);
      if (isMissingObject(error)) return undefined;
      throw toStoreError(error, operation);
    }
  }

  return {
    async put(key: string, body: ImageBody, putOptions: PutOptions): Promise<StoredObject> {
      const opts = normalizePutOptions(key, putOptions);
      throwIfAborted(opts.signal);
      const metadata: Record<string, string> = { ...opts.metadata };
      const filename = encodeFilenameMetadata(opts.filename);
      const isSvg = opts.contentType === 'image/svg+xml';
      if (filename !== undefined) metadata[FILENAME_META] = filename;
      const params = {
        Bucket: bucket,
        Key: objectKey(key),
        ContentType: opts.contentType,
        Metadata: metadata,
        ...(opts.cacheControl !== undefined ? { CacheControl: opts.cacheControl } : {}),
        // Served with every GET, so a saved image keeps its name, as from the local stores.
        // SVG is stored as an attachment: it must never render inline from the bucket.
        ...(opts.filename !== undefined || isSvg
          ? { ContentDisposition: contentDisposition(isSvg ? 'attachment' : 'inline', opts.filename) }
          : {}),
      };
      const result = await streamPut({ client, params, partSize, queueSize, stallTimeout }, body, opts);
      const stored: StoredObject = { key, size: result.size, contentType: opts.contentType };
      if (result.etag !== undefined) stored.etag = result.etag;
      return stored;
    },

    async exists(key: string, call?: CallOptions): Promise<boolean> {
      return (await head(key, 'exists', call)) !== undefined;
    },

    async signedUrl(key: string, signOptions: SignedUrlOptions = {}): Promise<string> {
      assertValidKey(key);
      throwIfAborted(signOptions.signal);
      const { disposition, filename, signedAt } = signOptions;
      const contentType = signOptions.contentType?.toLowerCase();
      if (contentType !== undefined && !MEDIA_TYPE.test(contentType)) {
        throw invalid('contentType must be a bare media type');
      }
      if (signedAt !== undefined && !Number.isFinite(signedAt)) throw invalid('signedAt must be a time in ms');
      const input: GetObjectCommandInput = { Bucket: bucket, Key: objectKey(key) };
      if (contentType !== undefined) input.ResponseContentType = contentType;
      if (disposition !== undefined || filename !== undefined) {
        input.ResponseContentDisposition = contentDisposition(disposition ?? 'inline', filename);
      }
      try {
        // Presigning is local: it signs with the client's credentials and sends nothing.
        return await getSignedUrl(client, new GetObjectCommand(input), {
          expiresIn: clampExpiresIn(signOptions.expiresIn),
          signingDate: new Date(signedAt ?? Date.now()),
        });
      } catch (error) {
        throw toStoreError(error, 'signedUrl');
      }
    },

    stat(key: string, call?: CallOptions): Promise<ObjectInfo | undefined> {
      return head(key, 'stat', call);
    },

    async get(key: string, call?: CallOptions): Promise<ObjectBody | undefined> {
      assertValidKey(key);
      throwIfAborted(call?.signal);
      try {
        const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: objectKey(key) }), sendOptions(call));
        if (!out.Body) throw new Error('GetObject returned no body');
        return { ...objectInfo(key, out), body: translatedStream(out.Body.transformToWebStream()) };
      } catch (error) {
        rethrowAbort(call);
        if (isMissingObject(error)) return undefined;
        throw toStoreError(error, 'get');
      }
    },

    async *list(listPrefix: string, call?: CallOptions): AsyncGenerator<ListedObject> {
      assertValidPrefix(listPrefix);
      let token: string | undefined;
      do {
        throwIfAborted(call?.signal);
        let page: ListObjectsV2CommandOutput;
        const command = new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: prefix + listPrefix,
          ...(token === undefined ? {} : { ContinuationToken: token }),
        });
        // Path-style, the SDK sends a bucket-level GET as `/<bucket>/`; s3rver (and other
        // lax servers) sign `/<bucket>` instead and refuse it. Both name the same resource
        // and the SDK signs what it sends, so send the form every server agrees on.
        command.middlewareStack.add(
          (next) => (args) => {
            const request = args.request as { path?: string };
            if (request.path === `/${bucket}/`) request.path = `/${bucket}`;
            return next(args);
          },
          { step: 'build', name: 'imgstashBucketPath' },
        );
        try {
          page = await client.send(command, sendOptions(call));
        } catch (error) {
          rethrowAbort(call);
          throw toStoreError(error, 'list');
        }
        for (const object of page.Contents ?? []) {
          const key = object.Key?.slice(prefix.length);
          // Objects under the prefix that no store key could name are not this store's.
          if (key === undefined || !isValidKey(key)) continue;
          yield {
            key,
            size: object.Size ?? 0,
            ...(object.LastModified ? { lastModified: object.LastModified } : {}),
          };
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
    },

    async presignUpload(key: string, uploadOptions: PresignUploadOptions): Promise<PresignedUpload> {
      const upload = normalizePresignUpload(key, uploadOptions);
      throwIfAborted(uploadOptions.signal);
      const target = { client, bucket, objectKey: objectKey(key) };
      try {
        // Signed locally, like signedUrl: nothing is sent to the bucket.
        const probe = new URL(
          await getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: target.objectKey }), {
            expiresIn: 60,
          }),
        );
        const method = options.directUpload ?? defaultDirectUpload(probe.hostname);
        return method === 'put' ? await presignPut(target, upload) : await presignPost(target, upload, probe);
      } catch (error) {
        throw toStoreError(error, 'presignUpload');
      }
    },

    async delete(key: string, call?: CallOptions): Promise<void> {
      assertValidKey(key);
      throwIfAborted(call?.signal);
      try {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: objectKey(key) }), sendOptions(call));
      } catch (error) {
        rethrowAbort(call);
        // S3 answers 204 for a missing key; some compatible servers answer 404.
        if (isMissingObject(error)) return;
        throw toStoreError(error, 'delete');
      }
    },
  };
}
