// GET /healthz through a real listener of every framework: healthy on the local stores and
// on S3 (s3rver), 503 with a reason when storage hangs (a TCP server that accepts and never
// answers: only the health deadline can end the probe, the SDK's own timeouts are 30 s),
// fails or the instance drains; and one probe per `cacheFor`, however many checks arrive.
import { createServer, type Server, type Socket } from 'node:net';
import { createS3Store } from '@imgstash/s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestStore, readReply, type TestStore } from './contract-kit.js';
import { startS3rver, type TestServer } from './s3rver.js';
import { FRAMEWORKS, type RunningApp, startApp } from './servers.js';

interface Health {
  ok: boolean;
  reason?: string;
  error?: { code: string; message: string };
}

async function check(app: RunningApp, method = 'GET') {
  const reply = await readReply(await fetch(`${app.baseUrl}/healthz`, { method }));
  expect(reply.headers.get('content-type')).toBe('application/json; charset=utf-8');
  expect(reply.headers.get('cache-control')).toBe('no-store');
  return { status: reply.status, headers: reply.headers, body: method === 'HEAD' ? undefined : reply.json<Health>() };
}

/** A TCP server that accepts every connection and never writes a byte: a storage that hangs. */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let s3: TestServer;
let silent: Awaited<ReturnType<typeof silentServer>>;
beforeAll(async () => {
  [s3, silent] = await Promise.all([startS3rver(), silentServer()]);
});
afterAll(async () => {
  await silent?.close();
  await s3?.close();
});

describe.each(FRAMEWORKS)('%s', (framework) => {
  const apps: RunningApp[] = [];
  const stores: TestStore[] = [];
  const start = async (...args: Parameters<typeof startApp> extends [unknown, ...infer R] ? R : never) => {
    const app = await startApp(framework, ...args);
    apps.push(app);
    return app;
  };
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
    await Promise.all(stores.map((s) => s.dispose()));
  });

  it.each(['memory', 'fs'] as const)('answers 200 { ok: true } on the %s store, to GET and HEAD', async (kind) => {
    const store = await createTestStore(kind);
    stores.push(store);
    const app = await start({ store: store.store, health: { cacheFor: 0 } });
    expect(await check(app)).toMatchObject({ status: 200, body: { ok: true } });
    expect((await check(app, 'HEAD')).status).toBe(200);
    expect(await store.contents()).toEqual(kind === 'memory' ? ['0 object(s)'] : []);
  });

  it('answers 200 on S3, where the probe key is missing (a 404 is healthy)', async () => {
    const app = await start({ store: createS3Store({ ...s3.connection(), bucket: s3.bucket }) });
    expect(await check(app)).toMatchObject({ status: 200, body: { ok: true } });
  });

  it('answers 503 storage-timeout within its deadline when storage accepts and never answers', async () => {
    const store = createS3Store({
      bucket: s3.bucket,
      ...s3.connection({ endpoint: `http://127.0.0.1:${silent.port}` }),
    });
    const app = await start({ store, health: { deadline: 300 } });
    const res = await check(app);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(res.body).toEqual({
      ok: false,
      reason: 'storage-timeout',
      error: { code: 'STORAGE_UNAVAILABLE', message: 'The storage backend did not answer in time.' },
    });
  });

  it('answers 503 storage-error when storage refuses the probe (AWS says 403 without s3:ListBucket)', async () => {
    const app = await start({
      store: createS3Store({ ...s3.connection(), bucket: s3.bucket }),
      health: { cacheFor: 0 },
    });
    s3.inject({ method: 'HEAD', status: 403, code: 'AccessDenied' });
    const res = await check(app);
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ ok: false, reason: 'storage-error', error: { code: 'STORAGE_UNAVAILABLE' } });
    expect(JSON.stringify(res.body)).not.toContain(s3.bucket);
    // The next probe sees a healthy store again.
    expect((await check(app)).status).toBe(200);
  });

  it('probes storage once per cacheFor, however many checks arrive at once', async () => {
    const store = await createTestStore('memory');
    stores.push(store);
    const app = await start({ store: store.store, health: { cacheFor: 60_000 } });
    const answers = await Promise.all(Array.from({ length: 20 }, () => check(app)));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    await check(app);
    expect(store.probe.calls.stat).toBe(1);
  });

  it('answers 503 draining once the app calls setDraining(true), without touching storage', async () => {
    const store = await createTestStore('memory');
    stores.push(store);
    const app = await start({ store: store.store, health: { cacheFor: 0 } });
    expect((await check(app)).status).toBe(200);
    store.probe.reset();
    app.handlers.setDraining(true);
    expect(await check(app)).toMatchObject({ status: 503, body: { ok: false, reason: 'draining' } });
    expect(store.probe.total()).toBe(0);
    app.handlers.setDraining(false);
    expect((await check(app)).status).toBe(200);
  });

  it('answers 503 draining while the draining() option says so', async () => {
    let stopping = false;
    const store = await createTestStore('memory');
    stores.push(store);
    const app = await start({ store: store.store, health: { draining: () => stopping } });
    expect((await check(app)).status).toBe(200);
    stopping = true;
    expect(await check(app)).toMatchObject({ status: 503, body: { reason: 'draining' } });
  });

  it('answers other methods 405, and 404 when disabled with paths.health = false', async () => {
    const store = await createTestStore('memory');
    stores.push(store);
    const app = await start({ store: store.store });
    const post = await fetch(`${app.baseUrl}/healthz`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const off = await start({ store: store.store, paths: { health: false } });
    expect((await fetch(`${off.baseUrl}/healthz`)).status).toBe(404);
  });
});
