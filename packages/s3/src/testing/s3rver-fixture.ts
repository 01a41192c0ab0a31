// A real S3-protocol server for the tests: @20minutes/s3rver on a free port, with a temp
// directory and one bucket, `imgstash`, configured directly (its CreateBucket rejects
// current SDK signatures).
//
// s3rver implements neither AbortMultipartUpload (DELETE ?uploadId answers 405) nor
// ListMultipartUploads. So that "an aborted put leaves no pending upload" can be checked
// against it at all, the fixture adds two things in front of s3rver's own routes:
//  - AbortMultipartUpload, done the way s3rver keeps uploads: each in-progress upload is a
//    folder `<directory>/<bucket>/._S3rver_uploads/<uploadId>` (see its FilesystemStore,
//    `getResourcePath(bucket, undefined, 'uploads')`); aborting removes that folder and
//    answers 204. It does not check the request's signature.
//  - pendingUploads(), which counts those folders.
// It can also answer the next requests with injected faults (a 500, a 503 SlowDown), so the
// SDK's real retry path runs against a real server.

import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver, { type S3rverContext } from '@20minutes/s3rver';
import type { S3Client } from '@aws-sdk/client-s3';

export const BUCKET = 'imgstash';
export const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/** An answer to give instead of s3rver's, to the next matching request. */
export interface Fault {
  /** Only requests with this method, e.g. `PUT`. Default: any. */
  method?: string;
  status: number;
  code: string;
}

export interface TestServer {
  endpoint: string;
  directory: string;
  /** Multipart uploads started and neither completed nor aborted. */
  pendingUploads(): Promise<number>;
  /** Upload ids aborted through AbortMultipartUpload. */
  aborted: string[];
  /** Queues faults; each answers one matching request, in order. */
  inject(...faults: Fault[]): void;
  close(): Promise<void>;
}

const errorXml = (code: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${code}</Message></Error>`;

export async function startS3rver(): Promise<TestServer> {
  const directory = await mkdtemp(join(tmpdir(), 'imgstash-s3rver-'));
  const uploadsDir = join(directory, BUCKET, '._S3rver_uploads');
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: BUCKET }],
  });
  const faults: Fault[] = [];
  const aborted: string[] = [];

  const injectFaults = async (ctx: S3rverContext, next: () => Promise<void>) => {
    const index = faults.findIndex((f) => f.method === undefined || f.method === ctx.method);
    if (index === -1) return next();
    const [fault] = faults.splice(index, 1) as [Fault];
    ctx.status = fault.status;
    ctx.type = 'application/xml';
    ctx.body = errorXml(fault.code);
  };

  const abortMultipartUpload = async (ctx: S3rverContext, next: () => Promise<void>) => {
    const uploadId = ctx.query.uploadId;
    if (ctx.method !== 'DELETE' || typeof uploadId !== 'string') return next();
    const dir = join(uploadsDir, uploadId);
    if (!/^[a-f0-9]{32}$/.test(uploadId) || !(await stat(dir).catch(() => undefined))) {
      ctx.status = 404;
      ctx.type = 'application/xml';
      ctx.body = errorXml('NoSuchUpload');
      return;
    }
    await rm(dir, { recursive: true, force: true });
    aborted.push(uploadId);
    ctx.status = 204;
  };

  server.middleware.unshift(injectFaults, abortMultipartUpload);
  const address = await server.run();
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    directory,
    aborted,
    async pendingUploads() {
      return (await readdir(uploadsDir).catch(() => [])).length;
    },
    inject(...more) {
      faults.push(...more);
    },
    async close() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** One request as it left the client, signed, for each attempt. */
export interface RecordedRequest {
  command: string;
  method: string;
  path: string;
  query: Record<string, unknown>;
  headers: Record<string, string>;
}

/** Records every request `client` sends, after signing and per retry attempt. */
export function recordRequests(client: S3Client): RecordedRequest[] {
  const log: RecordedRequest[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const request = args.request as Partial<RecordedRequest> & { headers?: Record<string, string> };
      log.push({
        command: String(context.commandName),
        method: String(request.method),
        path: String(request.path),
        query: { ...(request.query ?? {}) },
        headers: { ...(request.headers ?? {}) },
      });
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: 'imgstashRecorder' },
  );
  return log;
}

/** A local port with nothing listening on it: bound, then released. */
export async function closedPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
