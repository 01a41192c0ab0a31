// API keys through a real listener of every framework, on the fs and S3 (s3rver) stores:
// with `apiKeys` set, an upload needs `Authorization: Bearer <key>`; without one it is a 401
// that names the scheme, with a wrong one a 403, and either way nothing is stored.
import { createImageHandlers, type ImageStore, type UploadedImage } from '@imgstash/core';
import { FIXTURES } from '@imgstash/core/testing';
import { createMemoryStore } from '@imgstash/memory';
import { createS3Store } from '@imgstash/s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestStore, expectJsonError, readReply, type TestStore } from './contract-kit.js';
import { startS3rver, type TestServer } from './s3rver.js';
import { FRAMEWORKS, type RunningApp, startApp } from './servers.js';

const KEYS = ['k3y-for-the-ci-robot-0123456789', 'c2Vjb25kLWtleS1mb3ItYWxpY2U='];
const PNG = FIXTURES.png.bytes;

let s3: TestServer;
beforeAll(async () => {
  s3 = await startS3rver();
});
afterAll(() => s3?.close());

function upload(app: RunningApp, headers: Record<string, string> = {}) {
  const form = new FormData();
  form.append('file', new Blob([PNG as Uint8Array<ArrayBuffer>], { type: 'image/png' }), 'a.png');
  return fetch(`${app.baseUrl}/upload`, { method: 'POST', body: form, headers });
}

async function listAll(store: ImageStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const entry of store.list?.('') ?? []) keys.push(entry.key);
  return keys;
}

describe.each(FRAMEWORKS)('%s', (framework) => {
  describe.each(['fs', 's3'] as const)('on the %s store', (kind) => {
    let app: RunningApp;
    let store: ImageStore;
    let local: TestStore | undefined;
    beforeAll(async () => {
      if (kind === 's3') store = createS3Store({ ...s3.connection(), bucket: s3.bucket, prefix: `keys-${framework}/` });
      else {
        local = await createTestStore('fs');
        store = local.store;
      }
      app = await startApp(framework, { store, apiKeys: KEYS });
    });
    afterAll(async () => {
      await app?.close();
      await local?.dispose();
    });

    it('answers an upload without a key 401 with WWW-Authenticate: Bearer, and stores nothing', async () => {
      const reply = await readReply(await upload(app));
      expectJsonError(reply, 401, 'UNAUTHORIZED');
      expect(reply.headers.get('www-authenticate')).toBe('Bearer realm="imgstash"');
      expect(reply.json<{ error: { message: string } }>().error.message).toContain('Authorization: Bearer');
      // Another scheme is no key either.
      expectJsonError(
        await readReply(await upload(app, { authorization: `Basic ${btoa(`x:${KEYS[0]}`)}` })),
        401,
        'UNAUTHORIZED',
      );
      expect(await listAll(store)).toEqual([]);
    });

    it('answers a wrong key 403, never echoes it, and stores nothing', async () => {
      for (const wrong of ['wrong-key-but-long-enough-000', `${KEYS[0]}x`, (KEYS[0] as string).slice(0, -1)]) {
        const reply = await readReply(await upload(app, { authorization: `Bearer ${wrong}` }));
        expectJsonError(reply, 403, 'FORBIDDEN', [wrong]);
      }
      expect(await listAll(store)).toEqual([]);
    });

    it('accepts each configured key, and views need none', async () => {
      const ids: string[] = [];
      for (const key of KEYS) {
        const reply = await readReply(await upload(app, { authorization: `Bearer ${key}` }));
        expect(reply.status, reply.text()).toBe(201);
        ids.push(reply.json<UploadedImage>().id);
      }
      for (const id of ids) expect((await fetch(`${app.baseUrl}/i/${id}`, { redirect: 'manual' })).status).toBe(302);
      expect((await listAll(store)).sort()).toEqual(ids.sort());
    });
  });
});

describe('apiKeys option', () => {
  const store = createMemoryStore();
  it.each([
    [[], 'at least one key'],
    [['short'], '≥ 16 characters'],
    [['has a space in it, sixteen+'], '≥ 16 characters'],
    [['comma,separated,keys,as,one'], '≥ 16 characters'],
  ])('refuses %j with a TypeError', (apiKeys, message) => {
    expect(() => createImageHandlers({ store, apiKeys })).toThrow(TypeError);
    expect(() => createImageHandlers({ store, apiKeys })).toThrow(message);
  });
});
