import { chmod, lstat, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeImageStore, FIXTURES, INVALID_KEYS, patternStream, serveSignedUrl } from '@imgstash/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createFsStore, type FsStoreOptions } from './fs-store.js';

const roots = new WeakMap<object, string>();

describeImageStore('fs', {
  describe,
  it,
  async create() {
    const root = await mkdtemp(join(tmpdir(), 'imgstash-fs-'));
    const store = createFsStore({ root });
    roots.set(store, root);
    return store;
  },
  async destroy(store) {
    await rm(roots.get(store) as string, { recursive: true, force: true });
  },
  fetchSignedUrl: (url, store) => serveSignedUrl(store, new Request(new URL(url, 'http://localhost'))),
  // Temporary files live in root/.tmp; a failed or aborted put must leave none.
  async leftovers(store) {
    return (await readdir(join(roots.get(store) as string, '.tmp')).catch(() => [])).length;
  },
});

/** A fresh sandbox directory holding the store's root, so writes outside root can be seen. */
async function sandbox(options: Partial<FsStoreOptions> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'imgstash-fs-extra-'));
  const root = join(dir, 'root');
  const store = createFsStore({ root, ...options });
  return { dir, root, store };
}

/** Every path under `dir`, relative to it, sorted. */
async function tree(dir: string): Promise<string[]> {
  return ((await readdir(dir, { recursive: true })) as string[]).sort();
}

const cleanups: string[] = [];
afterEach(async () => {
  for (const dir of cleanups.splice(0)) {
    await chmod(join(dir, 'root', '.tmp'), 0o755).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
});

async function tracked(options: Partial<FsStoreOptions> = {}) {
  const s = await sandbox(options);
  cleanups.push(s.dir);
  return s;
}

const readBody = async (stream: ReadableStream<Uint8Array> | undefined) =>
  new Uint8Array(await new Response(stream).arrayBuffer());

describe('createFsStore: on disk', () => {
  it('throws INVALID_INPUT without a root', () => {
    const invalid = expect.objectContaining({ code: 'INVALID_INPUT' });
    expect(() => createFsStore({} as FsStoreOptions)).toThrow(invalid);
    expect(() => createFsStore({ root: '' })).toThrow(invalid);
    expect(() => createFsStore(undefined as unknown as FsStoreOptions)).toThrow(invalid);
  });

  it('keeps each image as a plain file under root, with a .meta/<key>.json sidecar', async () => {
    const { root, store } = await tracked();
    const stored = await store.put('photo', FIXTURES.png.bytes, {
      contentType: 'image/png',
      filename: 'café 😀.png',
      metadata: { owner: 'user-1' },
      cacheControl: 'public, max-age=60',
    });
    expect(stored).toMatchObject({ key: 'photo', size: FIXTURES.png.bytes.length, contentType: 'image/png' });
    expect((await lstat(join(root, 'photo'))).isFile()).toBe(true);
    expect(new Uint8Array(await readFile(join(root, 'photo')))).toEqual(FIXTURES.png.bytes);
    expect(JSON.parse(await readFile(join(root, '.meta', 'photo.json'), 'utf8'))).toEqual({
      v: 1,
      contentType: 'image/png',
      filename: 'café 😀.png',
      cacheControl: 'public, max-age=60',
      metadata: { owner: 'user-1' },
    });
    expect(await tree(root)).toEqual(['.meta', '.meta/photo.json', '.tmp', 'photo']);
    const info = await store.stat('photo');
    expect(info).toMatchObject({ filename: 'café 😀.png', cacheControl: 'public, max-age=60' });
    expect(info?.etag).toBe(stored.etag);
  });

  it('removes the file and its sidecar on delete', async () => {
    const { root, store } = await tracked();
    await store.put('gone', FIXTURES.gif.bytes, { contentType: 'image/gif' });
    await store.delete('gone');
    expect(await tree(root)).toEqual(['.meta', '.tmp']);
  });

  it('streams get in chunks of at most chunkSize', async () => {
    const { store } = await tracked({ chunkSize: 100 });
    await store.put('small', FIXTURES.png.bytes, { contentType: 'image/png' });
    const object = await store.get('small');
    const sizes: number[] = [];
    for await (const chunk of object?.body as unknown as AsyncIterable<Uint8Array>) sizes.push(chunk.length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(100);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(FIXTURES.png.bytes.length);
  });
});

describe('createFsStore: never outside root', () => {
  it('refuses every invalid key for every method and writes nothing anywhere', async () => {
    const { dir, store } = await tracked();
    await store.put('ok', FIXTURES.jpeg.bytes, { contentType: 'image/jpeg' });
    const before = await tree(dir);
    const keys = [
      ...INVALID_KEYS,
      '../root2',
      '..\\..\\x',
      '/tmp/evil',
      'ok/../../evil',
      '.meta',
      '.tmp',
      '%2e%2e%2fx',
    ];
    for (const key of keys) {
      const invalid = expect.objectContaining({ code: 'INVALID_INPUT' });
      await expect(store.put(key, FIXTURES.jpeg.bytes, { contentType: 'image/jpeg' }), key).rejects.toThrow(invalid);
      await expect(store.get(key), key).rejects.toThrow(invalid);
      await expect(store.stat(key), key).rejects.toThrow(invalid);
      await expect(store.exists(key), key).rejects.toThrow(invalid);
      await expect(store.delete(key), key).rejects.toThrow(invalid);
      await expect(store.signedUrl(key), key).rejects.toThrow(invalid);
    }
    expect(await tree(dir)).toEqual(before);
    expect(await readdir(join(dir, 'root', '.tmp'))).toEqual([]);
  });

  it('does not follow a symlink planted at root/<key>: get, stat and exists see no object', async () => {
    const { dir, root, store } = await tracked();
    await store.put('seed', FIXTURES.png.bytes, { contentType: 'image/png' });
    const secret = join(dir, 'secret.txt');
    await writeFile(secret, 'outside root');
    await symlink(secret, join(root, 'planted'));
    await writeFile(
      join(root, '.meta', 'planted.json'),
      JSON.stringify({ v: 1, contentType: 'text/plain', metadata: {} }),
    );

    expect(await store.get('planted')).toBeUndefined();
    expect(await store.stat('planted')).toBeUndefined();
    expect(await store.exists('planted')).toBe(false);
    const served = await serveSignedUrl(store, new Request(new URL(await store.signedUrl('planted'), 'http://l')));
    expect(served.status).toBe(404);
    expect(await served.text()).not.toContain('outside root');
  });

  it('replaces a planted symlink on put and removes it on delete, leaving its target untouched', async () => {
    const { dir, root, store } = await tracked();
    await store.put('seed', FIXTURES.png.bytes, { contentType: 'image/png' });
    const secret = join(dir, 'secret.txt');
    await writeFile(secret, 'outside root');
    await symlink(secret, join(root, 'planted'));
    await store.put('planted', FIXTURES.gif.bytes, { contentType: 'image/gif' });
    expect(await readFile(secret, 'utf8')).toBe('outside root');
    expect((await lstat(join(root, 'planted'))).isFile()).toBe(true);
    await rm(join(root, 'planted'));
    await symlink(secret, join(root, 'planted'));
    await store.delete('planted');
    expect(await readFile(secret, 'utf8')).toBe('outside root');
  });

  it('does not follow a symlink planted in place of a sidecar', async () => {
    const { dir, root, store } = await tracked();
    await store.put('photo', FIXTURES.jpeg.bytes, { contentType: 'image/jpeg', filename: 'a.jpg' });
    const fake = join(dir, 'fake.json');
    await writeFile(fake, JSON.stringify({ v: 1, contentType: 'text/html', metadata: { evil: 'yes' } }));
    await rm(join(root, '.meta', 'photo.json'));
    await symlink(fake, join(root, '.meta', 'photo.json'));
    const info = await store.stat('photo');
    expect(info?.contentType).not.toBe('text/html');
    expect(info?.metadata).toEqual({});
    const object = await store.get('photo');
    expect(object?.contentType).not.toBe('text/html');
    expect(await readBody(object?.body)).toEqual(FIXTURES.jpeg.bytes);
  });
});

describe('createFsStore: storage faults', () => {
  const storageFailure = expect.objectContaining({
    name: 'ImageStoreError',
    code: expect.stringMatching(/^STORAGE_(ERROR|UNAVAILABLE)$/),
  });

  it('maps a temp directory it cannot write to a storage error with the Node error as cause, and no paths', async () => {
    const { root, store } = await tracked();
    await store.put('seed', FIXTURES.png.bytes, { contentType: 'image/png' });
    const tmp = join(root, '.tmp');
    // chmod does not stop root (CI containers often run as root): replace .tmp with a file instead.
    const asRoot = process.getuid?.() === 0;
    if (asRoot) {
      await rm(tmp, { recursive: true });
      await writeFile(tmp, 'not a directory');
    } else {
      await chmod(tmp, 0o555);
    }
    const error = (await store.put('blocked', FIXTURES.png.bytes, { contentType: 'image/png' }).catch((e) => e)) as {
      code: string;
      status: number;
      message: string;
      publicMessage: string;
      cause: NodeJS.ErrnoException;
    };
    expect(error).toEqual(storageFailure);
    expect(error.status).toBeGreaterThanOrEqual(502);
    expect(error.cause).toBeInstanceOf(Error);
    expect(error.cause.code).toBe(asRoot ? 'ENOTDIR' : 'EACCES');
    expect(error.cause.message).toContain(root);
    expect(error.publicMessage).not.toContain(root);
    expect(error.publicMessage).not.toMatch(/[/\\]/);
    expect(error.message).not.toContain(root);
    expect(await store.exists('blocked')).toBe(false);
    expect(await readdir(join(root, '.meta'))).toEqual(['seed.json']);
  });

  it('maps a root it cannot create to a storage error, and recovers once the fault is gone', async () => {
    const { dir, root, store } = await tracked();
    await writeFile(root, 'a file where the root should be');
    const error = (await store.put('x', FIXTURES.png.bytes, { contentType: 'image/png' }).catch((e) => e)) as {
      cause: NodeJS.ErrnoException;
      publicMessage: string;
    };
    expect(error).toEqual(storageFailure);
    expect(error.cause.code).toMatch(/^(EEXIST|ENOTDIR)$/);
    expect(error.publicMessage).not.toContain(dir);
    await rm(root);
    await store.put('x', FIXTURES.png.bytes, { contentType: 'image/png' });
    expect(await store.exists('x')).toBe(true);
  });
});

describe('createFsStore: atomic puts', () => {
  it('never shows a concurrent reader a partial file while a 20 MiB put streams', async () => {
    const { store } = await tracked();
    const total = 20 * 1024 * 1024;
    let done = false;
    const put = store.put('large', patternStream(total, 11, 256 * 1024), { contentType: 'image/png' }).finally(() => {
      done = true;
    });
    const seen = { absent: 0, full: 0, partial: [] as number[] };
    while (!done) {
      const [info, object] = await Promise.all([store.stat('large'), store.get('large')]);
      for (const size of [info?.size, object?.size]) {
        if (size === undefined) seen.absent++;
        else if (size === total) seen.full++;
        else seen.partial.push(size);
      }
      if (object) {
        const bytes = await readBody(object.body);
        if (bytes.length !== total) seen.partial.push(bytes.length);
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    await put;
    expect(seen.partial).toEqual([]);
    expect(seen.absent).toBeGreaterThan(0);
    const object = await store.get('large');
    expect(object?.size).toBe(total);
    expect((await readBody(object?.body)).length).toBe(total);
  }, 60_000);
});
