// Requests Node's own HTTP parser refuses never reach a router. With core's
// jsonClientErrors() on the server they still get imgstash's JSON error, with Node's status,
// and the server keeps serving. Raw sockets, because fetch cannot send such requests.
import { jsonClientErrors } from '@imgstash/core';
import { FIXTURES } from '@imgstash/core/testing';
import { createMemoryStore } from '@imgstash/memory';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileUpload } from './multipart-body.js';
import { type RawResponse, rawRequest, requestHead } from './raw-http.js';
import { FRAMEWORKS, type RunningApp, startApp } from './servers.js';

function expectJson(res: RawResponse, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.header('content-type')).toMatch(/^application\/json/);
  expect(res.complete).toBe(true);
  const body = res.json<{ error: { code: string; message: string } }>();
  expect(body.error.code).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(0);
}

describe.each(FRAMEWORKS)('%s with jsonClientErrors', (framework) => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp(framework, { store: createMemoryStore() });
    jsonClientErrors(app.server);
  });
  afterAll(() => app?.close());

  const stillServing = async () => {
    const res = await fetch(`${app.baseUrl}/i/${'A'.repeat(21)}`);
    expect(res.status).toBe(404);
  };

  it('answers a non-numeric Content-Length with a JSON 400', async () => {
    const { body, contentType } = fileUpload(FIXTURES.png.bytes);
    const head = requestHead('POST', '/upload', { 'Content-Type': contentType, 'Content-Length': '12ab' });
    expectJson(await rawRequest(app.port, [head, body]), 400, 'INVALID_INPUT');
    await stillServing();
  });

  it('answers both Content-Length and Transfer-Encoding with a JSON 400', async () => {
    const head = requestHead('POST', '/upload', { 'Content-Length': 5, 'Transfer-Encoding': 'chunked' });
    expectJson(await rawRequest(app.port, [head, '0\r\n\r\n']), 400, 'INVALID_INPUT');
    await stillServing();
  });

  it('answers a malformed request line with a JSON 400', async () => {
    expectJson(await rawRequest(app.port, ['GET /i/x HTTP/1.1 extra\r\n\r\n']), 400, 'INVALID_INPUT');
    await stillServing();
  });

  it('answers headers over the limit with a JSON 431', async () => {
    const head = requestHead('GET', '/', { 'X-Filler': 'x'.repeat(20 * 1024) });
    expectJson(await rawRequest(app.port, [head]), 431, 'INVALID_INPUT');
    await stillServing();
  });
});
