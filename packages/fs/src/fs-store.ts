import { randomUUID } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { type FileHandle, lstat, mkdir, open, readdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve, sep } from 'node:path';
import {
  abortableChunks,
  assertSize,
  assertValidKey,
  assertValidPrefix,
  createLocalUrls,
  type ImageBody,
  ImageStoreError,
  isAbortError,
  isImageStoreError,
  isValidKey,
  type LocallyServedStore,
  type LocalUrlOptions,
  normalizePutOptions,
  type ObjectBody,
  type ObjectInfo,
  type PutOptions,
  type SignedUrlOptions,
  type StoredObject,
  throwIfAborted,
} from '@imgstash/core';

/** Options for {@link createFsStore}. */
export interface FsStoreOptions extends LocalUrlOptions {
  /** The directory to keep images in; created when missing. */
  root: string;
  /** Chunk size of the streams `get` returns. Default 64 KiB. */
  chunkSize?: number;
}

interface Sidecar {
  v: 1;
  contentType: string;
  filename?: string;
  cacheControl?: string;
  metadata: Record<string, string>;
}

const TMP = '.tmp';
const META = '.meta';

function storageError(message: string, cause: unknown): ImageStoreError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  // A full disk or a read-only mount will not heal by retrying at once, but it is the
  // backend that failed, not the request.
  const unavailable = code === 'ENOSPC' || code === 'EMFILE' || code === 'ENFILE' || code === 'EROFS';
  return new ImageStoreError(unavailable ? 'STORAGE_UNAVAILABLE' : 'STORAGE_ERROR', `[imgstash] [fs] ${message}`, {
    cause,
  });
}

const isMissing = (error: unknown) => {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
};

/**
 * Creates a store that keeps each image as a plain file under `root`, with its metadata in
 * `root/.meta/<key>.json`. Writes go to `root/.tmp` and are renamed into place, so readers
 * never see half an image, and an aborted put leaves no file behind. Keys are validated by
 * core and every path is checked to stay inside `root`; files are opened with `O_NOFOLLOW`.
 *
 * @example
 * ```ts
 * import { createFsStore } from '@imgstash/fs';
 * const store = createFsStore({ root: './data', secret: process.env.IMGSTASH_SECRET });
 * ```
 */
export function createFsStore(options: FsStoreOptions): LocallyServedStore {
  if (!options?.root) throw new ImageStoreError('INVALID_INPUT', '[imgstash] [fs] `root` is required');
  const root = resolve(options.root);
  const chunkSize = options.chunkSize ?? 64 * 1024;
  const localUrls = createLocalUrls(options);
  let ready: Promise<void> | undefined;

  const ensureDirs = () => {
    ready ??= Promise.all([
      mkdir(join(root, TMP), { recursive: true }),
      mkdir(join(root, META), { recursive: true }),
    ]).then(
      () => undefined,
      (error: unknown) => {
        ready = undefined;
        throw storageError('cannot create the storage directory', error);
      },
    );
    return ready;
  };

  // Keys are validated before they get here; this is the second wall.
  const inside = (...parts: string[]) => {
    const path = join(root, ...parts);
    if (!path.startsWith(root + sep) || isAbsolute(parts.join(''))) {
      throw new ImageStoreError('INVALID_INPUT', '[imgstash] [fs] path escapes the root');
    }
    return path;
  };
  const dataPath = (key: string) => inside(key);
  const metaPath = (key: string) => inside(META, `${key}.json`);

  async function readSidecar(key: string): Promise<Sidecar | undefined> {
    let handle: FileHandle | undefined;
    try {
      // O_NOFOLLOW: a symlink planted in .meta is no sidecar (ELOOP), like one planted in root.
      handle = await open(metaPath(key), constants.O_RDONLY | constants.O_NOFOLLOW);
      return JSON.parse(await handle.readFile('utf8')) as Sidecar;
    } catch (error) {
      if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'ELOOP') return undefined;
      throw storageError('cannot read metadata', error);
    } finally {
      await handle?.close().catch(() => {});
    }
  }

  function info(key: string, st: Stats, meta: Sidecar | undefined): ObjectInfo {
    const out: ObjectInfo = {
      key,
      size: st.size,
      contentType: meta?.contentType ?? 'application/octet-stream',
      etag: `"${st.size.toString(36)}-${Math.trunc(st.mtimeMs).toString(36)}-${st.ino.toString(36)}"`,
      lastModified: st.mtime,
      metadata: { ...(meta?.metadata ?? {}) },
    };
    if (meta?.filename !== undefined) out.filename = meta.filename;
    if (meta?.cacheControl !== undefined) out.cacheControl = meta.cacheControl;
    return out;
  }

  function fileStream(handle: FileHandle, size: number): ReadableStream<Uint8Array> {
    let position = 0;
    let closed = false;
    const close = async () => {
      if (!closed) {
        closed = true;
        await handle.close();
      }
    };
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const buffer = new Uint8Array(Math.min(chunkSize, Math.max(1, size - position)));
          const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
          if (bytesRead === 0) {
            await close();
            controller.close();
            return;
          }
          position += bytesRead;
          controller.enqueue(bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead));
        } catch (error) {
          await close().catch(() => {});
          controller.error(storageError('read failed', error));
        }
      },
      async cancel() {
        await close();
      },
    });
  }

  return {
    localUrls,
    async put(key: string, body: ImageBody, putOptions: PutOptions): Promise<StoredObject> {
      const opts = normalizePutOptions(key, putOptions);
      throwIfAborted(opts.signal);
      await ensureDirs();
      const tmp = inside(TMP, `${randomUUID()}`);
      let handle: FileHandle | undefined;
      try {
        handle = await open(tmp, 'wx', 0o644);
        let size = 0;
        for await (const chunk of abortableChunks(body, opts.signal)) {
          size += chunk.length;
          await handle.write(chunk);
        }
        throwIfAborted(opts.signal);
        assertSize(opts.size, size);
        await handle.close();
        handle = undefined;
        const sidecar: Sidecar = { v: 1, contentType: opts.contentType, metadata: opts.metadata };
        if (opts.filename !== undefined) sidecar.filename = opts.filename;
        if (opts.cacheControl !== undefined) sidecar.cacheControl = opts.cacheControl;
        const tmpMeta = `${tmp}.json`;
        await writeFile(tmpMeta, JSON.stringify(sidecar), { flag: 'wx' });
        // Metadata first, bytes last: the data file's rename is the commit point.
        await rename(tmpMeta, metaPath(key));
        await rename(tmp, dataPath(key));
        const st = await stat(dataPath(key));
        return { key, size, contentType: opts.contentType, etag: info(key, st, sidecar).etag as string };
      } catch (error) {
        await handle?.close().catch(() => {});
        await rm(tmp, { force: true }).catch(() => {});
        await rm(`${tmp}.json`, { force: true }).catch(() => {});
        if (isImageStoreError(error) || isAbortError(error)) throw error;
        throw storageError('write failed', error);
      }
    },
    async exists(key, call) {
      assertValidKey(key);
      throwIfAborted(call?.signal);
      try {
        // lstat: a symlink is not an object, as get (O_NOFOLLOW) agrees.
        return (await lstat(dataPath(key))).isFile();
      } catch (error) {
        if (isMissing(error)) return false;
        throw storageError('stat failed', error);
      }
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
      let st: Stats;
      try {
        st = await lstat(dataPath(key));
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw storageError('stat failed', error);
      }
      if (!st.isFile()) return undefined;
      return info(key, st, await readSidecar(key));
    },
    async get(key, call): Promise<ObjectBody | undefined> {
      assertValidKey(key);
      throwIfAborted(call?.signal);
      let handle: FileHandle;
      try {
        handle = await open(dataPath(key), constants.O_RDONLY | constants.O_NOFOLLOW);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (isMissing(error) || code === 'ELOOP' || code === 'EISDIR') return undefined;
        throw storageError('open failed', error);
      }
      try {
        const st = await handle.stat();
        if (!st.isFile()) {
          await handle.close();
          return undefined;
        }
        const meta = await readSidecar(key);
        return { ...info(key, st, meta), body: fileStream(handle, st.size) };
      } catch (error) {
        await handle.close().catch(() => {});
        throw isImageStoreError(error) ? error : storageError('read failed', error);
      }
    },
    async *list(prefix, call) {
      assertValidPrefix(prefix);
      throwIfAborted(call?.signal);
      let names: string[];
      try {
        names = await readdir(root);
      } catch (error) {
        if (isMissing(error)) return;
        throw storageError('list failed', error);
      }
      for (const name of names) {
        // The temp and sidecar directories start with a dot, which no key does.
        if (!name.startsWith(prefix) || !isValidKey(name)) continue;
        throwIfAborted(call?.signal);
        let st: Stats;
        try {
          st = await lstat(dataPath(name));
        } catch (error) {
          if (isMissing(error)) continue;
          throw storageError('list failed', error);
        }
        if (st.isFile()) yield { key: name, size: st.size, lastModified: st.mtime };
      }
    },
    async delete(key, call) {
      assertValidKey(key);
      throwIfAborted(call?.signal);
      try {
        await unlink(dataPath(key)).catch((error: unknown) => {
          if (!isMissing(error)) throw error;
        });
        await unlink(metaPath(key)).catch((error: unknown) => {
          if (!isMissing(error)) throw error;
        });
      } catch (error) {
        throw storageError('delete failed', error);
      }
    },
  };
}
