/**
 * The bytes of an image on their way into a store. A stream is consumed once, and
 * a store reads it no faster than it can write it (back-pressure is kept).
 */
export type ImageBody = Uint8Array | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

/** Options for {@link ImageStore.put}. */
export interface PutOptions {
  /** The media type to store and later serve, e.g. `image/png`. Required. */
  contentType: string;
  /** The exact byte length, when known. Stores may use it to choose a faster path. */
  size?: number;
  /** The client's original filename, any Unicode. Kept as metadata only, never as a path. */
  filename?: string;
  /** Extra metadata. Keys must match `[a-z0-9-]{1,64}`; values are stored as given. */
  metadata?: Record<string, string>;
  /** A `Cache-Control` value to store with the object, for stores that serve it. */
  cacheControl?: string;
  /**
   * Aborts the put. An aborted put rejects with an `AbortError` and leaves nothing
   * behind: no object, no temporary file, no dangling multipart upload.
   */
  signal?: AbortSignal;
}

/** What {@link ImageStore.put} returns. */
export interface StoredObject {
  /** The key the object was stored under. */
  key: string;
  /** The number of bytes stored. */
  size: number;
  /** The stored media type. */
  contentType: string;
  /** An opaque version tag, when the store has one. */
  etag?: string;
}

/** What {@link ImageStore.stat} returns for an existing object. */
export interface ObjectInfo {
  key: string;
  size: number;
  contentType: string;
  /** An opaque version tag, quoted as in an HTTP `ETag` header. */
  etag?: string;
  /** When the object was stored. */
  lastModified?: Date;
  /** The original filename, decoded back to its Unicode form. */
  filename?: string;
  /** The stored `Cache-Control` value. */
  cacheControl?: string;
  /** User metadata, without imgstash's own reserved entries. */
  metadata: Record<string, string>;
}

/** What {@link ImageStore.get} returns for an existing object. */
export interface ObjectBody extends ObjectInfo {
  /** The bytes, as a stream. The caller must read or cancel it. */
  body: ReadableStream<Uint8Array>;
}

/**
 * Options of the short store calls (`exists`, `stat`, `get`, `delete`). Core's handlers pass
 * a `signal` that aborts when their deadline passes or the client goes away; a store
 * should hand it to its I/O (an SDK's `abortSignal`) and reject with the abort's reason.
 * Core enforces its deadlines either way: a store that ignores the signal only wastes work.
 */
export interface CallOptions {
  signal?: AbortSignal;
}

/** Options for {@link ImageStore.signedUrl}. */
export interface SignedUrlOptions extends CallOptions {
  /** Lifetime in seconds. Default 3600, clamped to 1..604800 (S3's own bound). */
  expiresIn?: number;
  /** `inline` (default) or `attachment`. */
  disposition?: 'inline' | 'attachment';
  /** The filename to suggest; any Unicode, encoded per RFC 6266/5987. */
  filename?: string;
  /** The media type to serve, when known to the caller; otherwise the store's own. */
  contentType?: string;
  /**
   * The signing time, in ms since the epoch. Two calls with the same time give the same
   * URL, which lets browsers and CDNs cache one URL per window. Defaults to now.
   */
  signedAt?: number;
}

/** One entry of {@link ImageStore.list}. */
export interface ListedObject {
  key: string;
  size: number;
  /** When the object was stored, where the store knows it. */
  lastModified?: Date;
}

/** Options for {@link ImageStore.presignUpload}. */
export interface PresignUploadOptions extends CallOptions {
  /** The exact byte length the client will send. The signed request accepts no other. */
  size: number;
  /** The media type the client will send as `Content-Type`. The signed request accepts no other. */
  contentType: string;
  /** Lifetime of the signed request, in seconds. Default 3600, clamped to 1..604800. */
  expiresIn?: number;
}

/**
 * A request the client sends straight to storage, as {@link ImageStore.presignUpload}
 * returns it. For `POST`, send `multipart/form-data` with every entry of `fields` first,
 * then the file in a field named `file` (the HTML form upload of S3). For `PUT`, send the
 * bytes as the body with every entry of `headers`.
 */
export interface PresignedUpload {
  method: 'POST' | 'PUT';
  /** Absolute for remote stores; root-relative for local ones (unless they have a `baseUrl`). */
  url: string;
  /** `POST` only: the form fields to send before the file. */
  fields?: Record<string, string>;
  /** The request headers to send (`Content-Type` among them, for `PUT`). */
  headers?: Record<string, string>;
}

/**
 * The contract every imgstash store implements. Stores do raw I/O and translate
 * vendor errors into {@link ImageStoreError}; ids, sniffing and limits live in core.
 *
 * Common to every method: a key that fails {@link assertValidKey} is refused with an
 * `INVALID_INPUT` error before any I/O.
 */
export interface ImageStore {
  /**
   * Stores `body` under `key`, replacing any object there. Resolves once the object is
   * durable and readable in full. On failure or abort it rejects and leaves nothing
   * behind; a reader never sees a partial object.
   */
  put(key: string, body: ImageBody, options: PutOptions): Promise<StoredObject>;
  /** Resolves `true` when an object is stored under `key`, `false` when none is. */
  exists(key: string, options?: CallOptions): Promise<boolean>;
  /**
   * A time-limited URL that serves the object's bytes. It does not check that the
   * object exists: a URL for a missing key resolves to a 404 (or 403 on some S3 providers).
   */
  signedUrl(key: string, options?: SignedUrlOptions): Promise<string>;
  /** The object's metadata, or `undefined` when no object is stored under `key`. */
  stat(key: string, options?: CallOptions): Promise<ObjectInfo | undefined>;
  /** The object's bytes and metadata, or `undefined` when no object is stored under `key`. */
  get(key: string, options?: CallOptions): Promise<ObjectBody | undefined>;
  /** Removes the object. Idempotent: deleting a missing key resolves without error. */
  delete(key: string, options?: CallOptions): Promise<void>;
  /**
   * Optional capability: the objects whose keys start with `prefix` (`''` for all), in no
   * particular order. Core uses it to find an image's derived keys (`<id>.<suffix>`, e.g.
   * variants) when it deletes the image, and to sweep stale pending uploads. A prefix that
   * is neither `''` nor a valid key is refused with `INVALID_INPUT`.
   */
  list?(prefix: string, options?: CallOptions): AsyncIterable<ListedObject>;
  /**
   * Optional capability: a signed request that lets a client (a browser) put exactly
   * `options.size` bytes of type `options.contentType` under `key`, without the server in
   * between, until it expires. A body of another length or type must be refused by the
   * storage where the protocol can bind it (a presigned PUT binds both; an S3 POST policy
   * binds both on servers that enforce policies). Core's direct-upload routes only ever
   * presign `pending.*` keys, and verify what landed before anything is published.
   */
  presignUpload?(key: string, options: PresignUploadOptions): Promise<PresignedUpload>;
}
