// An early refusal can be read by every client: after a 413/415/400/401/403 the server reads
// and discards the rest of the request within bounds before it answers (core's refusalDrain,
// defined once for every adapter), and cuts off what goes past them. Node's own `fetch`
// (undici) reads an answer only once it has sent its body, so it is the client that shows it.
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { type ErrorBody, type ImageHandlerOptions, ImageStoreError, type UploadedImage } from '@imgstash/core';
import { FIXTURES } from '@imgstash/core/testing';
import { createMemoryStore, type MemoryStore } from '@imgstash/memory';
import { afterEach, describe, expect, it } from 'vitest';
import { multipartBody } from './multipart-body.js';
import { requestHead } from './raw-http.js';
import { FRAMEWORKS, type RunningApp, startApp } from './servers.js';

const MiB = 1024 * 1024;

/** Writes HTTP chunks of `size` bytes until the server closes the connection or `limit` bytes are out. */
async function sendUntilClosed(
  socket: Socket,
  size: number,
  limit: number,
): Promise<{ sent: number; received: string }> {
  let received = '';
  let closed = false;
  socket.on('data', (data: Buffer) => {
    received += data.toString('latin1');
  });
  socket.on('error', () => {
    closed = true;
  });
  socket.on('close', () => {
    closed = true;
  });
  const chunk = Buffer.concat([Buffer.from(`${size.toString(16)}\r\n`), Buffer.alloc(size, 0x61), Buffer.from('\r\n')]);
  let sent = 0;
  while (!closed && sent < limit) {
    if (!socket.write(chunk)) {
      await new Promise<void>((resolve) => {
        const go = () => {
          socket.off('drain', go);
          socket.off('close', go);
          resolve();
        };
        socket.on('drain', go);
        socket.on('close', go);
      });
    }
    sent += size;
  }
  if (!closed) await new Promise((resolve) => socket.once('close', resolve));
  return { sent, received };
}

describe.each(FRAMEWORKS)('%s', (framework) => {
  const apps: RunningApp[] = [];
  let store: MemoryStore;
  async function start(extra: Omit<ImageHandlerOptions, 'store'> = {}) {
    store = createMemoryStore({ secret: 's'.repeat(32) });
    const app = await startApp(framework, { store, ...extra });
    apps.push(app);
    return app;
  }
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  it('answers fetch + FormData a readable 413 JSON for 30 MiB over a 10 MiB limit, and stores nothing', async () => {
    const app = await start();
    const big = new Uint8Array(30 * MiB);
    big.set(FIXTURES.png.bytes);
    const form = new FormData();
    form.append('file', new Blob([big], { type: 'image/png' }), 'big.png');
    const res = await fetch(`${app.baseUrl}/upload`, { method: 'POST', body: form });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(((await res.json()) as ErrorBody).error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(store.size).toBe(0);
  });

  it('answers fetch a readable 415 for 7 MiB of text refused after its first bytes, and stores nothing', async () => {
    const app = await start();
    const form = new FormData();
    form.append('file', new Blob(['<html>not an image</html>'.repeat(300_000)], { type: 'image/png' }), 'page.png');
    const res = await fetch(`${app.baseUrl}/upload`, { method: 'POST', body: form });
    expect(res.status).toBe(415);
    expect(((await res.json()) as ErrorBody).error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(store.size).toBe(0);
  });

  it('answers fetch a readable 401 when authorize refuses a 12 MiB upload before reading it', async () => {
    const app = await start({
      authorize: () => {
        throw new ImageStoreError('UNAUTHORIZED', 'no key', { publicMessage: 'Send your key.' });
      },
    });
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(12 * MiB)], { type: 'image/png' }), 'x.png');
    const res = await fetch(`${app.baseUrl}/upload`, { method: 'POST', body: form });
    expect(res.status).toBe(401);
    expect(((await res.json()) as ErrorBody).error).toEqual({ code: 'UNAUTHORIZED', message: 'Send your key.' });
  });

  it('drains a refusal, answers it, and keeps the connection for the next request', async () => {
    const app = await start();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const post = (payload: { body: Buffer; contentType: string }) =>
      new Promise<{ status: number; body: string; reused: boolean }>((resolve, reject) => {
        const req = request(
          `${app.baseUrl}/upload`,
          {
            method: 'POST',
            agent,
            headers: { 'content-type': payload.contentType, 'content-length': payload.body.length },
          },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              text += chunk;
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, reused: req.reusedSocket }));
          },
        );
        req.on('error', reject);
        req.end(payload.body);
      });
    const text = multipartBody([
      {
        name: 'file',
        filename: 'notes.png',
        contentType: 'image/png',
        body: 'plain text, not a PNG\n'.repeat(400_000),
      },
    ]);
    const refused = await post(text);
    expect(refused.status).toBe(415);
    // The same connection serves a real upload next: the refused body was read to its end.
    const stored = await post(
      multipartBody([{ name: 'file', filename: 'a.png', contentType: 'image/png', body: FIXTURES.png.bytes }]),
    );
    agent.destroy();
    expect(stored.status, stored.body).toBe(201);
    expect(stored.reused).toBe(true);
    expect((JSON.parse(stored.body) as UploadedImage).size).toBe(FIXTURES.png.bytes.length);
    expect(store.size).toBe(1);
  });

  it('cuts off a 1 GiB chunked body once the drain bound is passed, and stores nothing', async () => {
    const app = await start();
    const socket = connect({ port: app.port, host: '127.0.0.1' });
    socket.on('error', () => {});
    await once(socket, 'connect');
    const boundary = 'cutoff';
    socket.write(
      requestHead('POST', '/upload', {
        'Content-Type': `multipart/form-data; boundary=${boundary}`,
        'Transfer-Encoding': 'chunked',
      }),
    );
    const opening = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`;
    socket.write(`${opening.length.toString(16)}\r\n${opening}\r\n`);
    const { sent, received } = await sendUntilClosed(socket, 256 * 1024, 1024 * MiB);
    // The server stopped reading past its 64 MiB bound, long before the client's 1 GiB.
    expect(sent).toBeLessThan(1024 * MiB);
    expect(sent).toBeGreaterThan(64 * MiB);
    if (received) {
      expect(received).toMatch(/^HTTP\/1\.1 415 /);
      expect(received.toLowerCase()).toContain('connection: close');
    }
    expect(store.size).toBe(0);
  });

  it('cuts off a client that trickles past the drain timeout, and keeps serving others', async () => {
    const app = await start({ refusalDrain: { timeout: 300 } });
    const socket = connect({ port: app.port, host: '127.0.0.1' });
    await once(socket, 'connect');
    socket.on('error', () => {});
    let received = '';
    socket.on('data', (data: Buffer) => {
      received += data.toString('latin1');
    });
    socket.write(requestHead('POST', '/upload', { 'Content-Type': 'text/plain', 'Content-Length': 1_000_000 }));
    const trickle = setInterval(() => socket.write('x'), 50);
    await once(socket, 'close');
    clearInterval(trickle);
    expect(received).toMatch(/^HTTP\/1\.1 415 /);
    expect(received.toLowerCase()).toContain('connection: close');
    const res = await fetch(`${app.baseUrl}/i/V1StGXR8_Z5jdHi6B-myT`);
    expect(res.status).toBe(404);
  });
});
