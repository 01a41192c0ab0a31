// `pnpm bench:hang`: how long the image routes take to answer when the storage hangs. The S3
// store points at a TCP server that accepts connections and never answers; every setting is a
// default (the SDK's 30 s per attempt, imgstash's deadlines), so this is what a user gets.
// Prints the status and the time to answer of an upload of a 9 KB PNG and of the redirect of an
// id this process has never seen, for Express and Hono. Takes about 2 × (30 s + 10 s).
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { serve } from '@hono/node-server';
import { createId } from '@imgstash/core';
import { imageRouter } from '@imgstash/express';
import { imageRoutes } from '@imgstash/hono';
import { createS3Store } from '@imgstash/s3';
import express from 'express';
import sharp from 'sharp';

const sockets = new Set();
const blackHole = createServer((socket) => {
  sockets.add(socket);
  socket.on('error', () => {});
});
await new Promise((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
const endpoint = `http://127.0.0.1:${blackHole.address().port}`;

const png = await sharp({
  create: { width: 96, height: 96, channels: 3, noise: { type: 'gaussian', mean: 128, sigma: 60 } },
})
  .png()
  .toBuffer();

function store() {
  return createS3Store({
    bucket: 'images',
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'k', secretAccessKey: 's' },
  });
}

async function listen(framework) {
  if (framework === 'hono') {
    const server = serve({ fetch: imageRoutes({ store: store() }).fetch, port: 0, hostname: '127.0.0.1' });
    if (!server.listening) await once(server, 'listening');
    return server;
  }
  const app = express();
  app.use(imageRouter({ store: store() }));
  const server = createHttpServer(app);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

async function timed(run) {
  const started = performance.now();
  const res = await run();
  const body = await res.text();
  return { status: res.status, seconds: (performance.now() - started) / 1000, body };
}

const rows = [];
for (const framework of ['express', 'hono']) {
  const server = await listen(framework);
  const base = `http://127.0.0.1:${server.address().port}`;
  const form = new FormData();
  form.append('file', new Blob([png], { type: 'image/png' }), 'photo.png');
  const [upload, redirect] = await Promise.all([
    timed(() => fetch(`${base}/upload`, { method: 'POST', body: form })),
    timed(() => fetch(`${base}/i/${createId()}`, { redirect: 'manual' })),
  ]);
  rows.push({ framework, case: `POST /upload (${png.length} B PNG)`, ...upload });
  rows.push({ framework, case: 'GET /i/<unseen id>', ...redirect });
  server.closeAllConnections?.();
  server.close();
}
console.log('| framework | request | status | answered after |');
console.log('| --- | --- | --- | --- |');
for (const row of rows) {
  const code = JSON.parse(row.body).error?.code ?? '';
  console.log(`| ${row.framework} | ${row.case} | ${row.status} ${code} | ${row.seconds.toFixed(2)} s |`);
}
for (const socket of sockets) socket.destroy();
blackHole.close();
