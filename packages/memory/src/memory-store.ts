import {
  abortableChunks,
  assertSize,
  assertValidKey,
  assertValidPrefix,
  createLocalUrls,
  type ImageBody,
  type LocallyServedStore,
  type LocalUrlOptions,
  type LocalUrls,
  normalizePutOptions,
  type ObjectBody,
  type ObjectInfo,
  type PutOptions,
  type SignedUrlOptions,
  type StoredObject,
  throwIfAborted,
} from '@imgstash/core';

/** Options for {@link createMemoryStore}. */
export interface MemoryStoreOptions extends LocalUrlOptions {
  /** Chunk size of the streams `get` returns. Default 64 KiB. */
  chunkSize?: number;
}

/** An in-memory {@link LocallyServedStore}, for tests and demos. */
export interface MemoryStore extends LocallyServedStore {
  /** Number of stored objects. */
  readonly size: number;
  /** Removes every object. */
  clear(): void;
}

interface Entry {
  bytes: Uint8Array;
  info: ObjectInfo;
}

/**
 * Creates a store that keeps images in a `Map`. Puts stream into memory and commit only
 * once the whole body has arrived, so an aborted put leaves nothing behind.
 *
 * @example
 * ```ts
 * import { createMemoryStore } from '@imgstash/memory';
 * const store = createMemoryStore();
 * await store.put('abc', bytes, { contentType: 'image/png' });
 * ```
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const objects = new Map<string, Entry>();
  const chunkSize = options.chunkSize ?? 64 * 1024;
  const localUrls: LocalUrls = createLocalUrls(options);
  let version = 0;

  const stream = (bytes: Uint8Array): ReadableStream<Uint8Array> => {
    let at = 0;
    return new ReadableStream<Uint8Array>({
      type: 'bytes',
      pull(controller) {
        if (at >= bytes.length) {
          controller.close();
          return;
        }
        // Copy, so a consumer that transfers or mutates the chunk cannot corrupt the store.
        controller.enqueue(bytes.slice(at, at + chunkSize));
        at += chunkSize;
      },
    });
  };

  return {
    localUrls,
    get size() {
      return objects.size;
    },
    clear() {
      objects.clear();
    },
    async put(key: string, body: ImageBody, putOptions: PutOptions): Promise<StoredObject> {
      const opts = normalizePutOptions(key, putOptions);
      throwIfAborted(opts.signal);
      const chunks: Uint8Array[] = [];
      let size = 0;
      for await (const chunk of abortableChunks(body, opts.signal)) {
        chunks.push(chunk.slice());
        size += chunk.length;
      }
      throwIfAborted(opts.signal);
      assertSize(opts.size, size);
      const bytes = new Uint8Array(size);
      let at = 0;
      for (const c of chunks) {
        bytes.set(c, at);
        at += c.length;
      }
      const etag = `"m${(++version).toString(36)}-${size.toString(36)}"`;
      const info: ObjectInfo = {
        key,
        size,
        contentType: opts.contentType,
        etag,
        lastModified: new Date(),
        metadata: { ...opts.metadata },
      };
      if (opts.filename !== undefined) info.filename = opts.filename;
      if (opts.cacheControl !== undefined) info.cacheControl = opts.cacheControl;
      objects.set(key, { bytes, info });
      return { key, size, contentType: opts.contentType, etag };
    },
    async exists(key, call) {
      assertValidKey(key);
      throwIfAborted(call?.signal);
      return objects.has(key);
    },
    async signedUrl(key: string, signOptions?: SignedUrlOptions) {
      throwIfAborted(signOptions?.signal);
      return localUrls.sign(key, signOptions);
    },
    // A signed PUT to core's files route, which streams it into `put` with the size enforced.
    async presignUpload(key, uploadOptions) {
      throwIfAborted(uploadOptions.signal);
      return localUrls.presignUpload(key, uploadOptions);
    },
    async stat(key, call) {
      assertValidKey(key);
      throwIfAborted(call?.signal);
      const entry = objects.get(key);
      return entry ? { ...entry.info, metadata: { ...entry.info.metadata } } : undefined;
    },
    async get(key, call): Promise<ObjectBody | undefined> {
      assertValidKey(key);
      throwIfAborted(call?.signal);
      const entry = objects.get(key);
      if (!entry) return undefined;
      return { ...entry.info, metadata: { ...entry.info.metadata }, body: stream(entry.bytes) };
    },
    async delete(key, call) {
      assertValidKey(key);
      throwIfAborted(call?.signal);
      objects.delete(key);
    },
    async *list(prefix, call) {
      assertValidPrefix(prefix);
      throwIfAborted(call?.signal);
      // A snapshot: puts and deletes while the caller iterates do not disturb it.
      const found = [...objects].filter(([key]) => key.startsWith(prefix));
      for (const [key, { info }] of found) {
        yield { key, size: info.size, ...(info.lastModified ? { lastModified: info.lastModified } : {}) };
      }
    },
  };
}
