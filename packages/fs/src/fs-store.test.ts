import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeImageStore, serveSignedUrl } from '@imgstash/core/testing';
import { describe, it } from 'vitest';
import { createFsStore } from './fs-store.js';

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
