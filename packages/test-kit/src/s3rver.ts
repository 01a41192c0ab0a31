/// <reference path="./s3rver-module.d.ts" />
// A real S3-protocol server for the tests: @20minutes/s3rver on a free port, path-style,
// with a temp directory and its buckets configured directly (its CreateBucket rejects
// current SDK signatures). Shared by packages/s3's tests and the HTTP suites here.
//
// s3rver implements neither AbortMultipartUpload (DELETE ?uploadId answers 405) nor
// ListMultipartUploads. So that "an aborted put leaves no pending upload" can be checked
// against it at all, the harness adds two things in front of s3rver's own routes:
//  - AbortMultipartUpload, done the way s3rver keeps uploads: each in-progress upload is a
//    folder `<directory>/<bucket>/._S3rver_uploads/<uploadId>` (see its FilesystemStore,
//    `getResourcePath(bucket, undefined, 'uploads')`); aborting removes that folder and
//    answers 204. It does not check the request's signature.
//  - pendingUploads(), which counts those folders.
// It can also answer the next matching requests with injected faults (a 500, a 503
// SlowDown), so the SDK's real retry path runs against a real server.

import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import S3rver, { type S3rverContext } from '@20minutes/s3rver';
import type { S3Client } from '@aws-sdk/client-s3';

/** The default bucket. */
export const BUCKET = 'imgstash';
/** The credentials s3rver accepts. */
export const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/** An answer to give instead of s3rver's, to the next matching request. */
export interface Fault {
  /** Only requests with this method, e.g. `PUT`. Default: any. */
  method?: string;
  /**
   * Only requests with these query parameters: a value to equal, or `true` for present.
   * `{ partNumber: '2' }` matches the second UploadPart of any multipart upload.
   */
  query?: Record<string, string | true>;
  status: number;
  code: string;
  /** How many matching requests this fault answers. Default 1. */
  times?: number;
}

/** Options for {@link startS3rver}. */
export interface S3rverOptions {
  /** Buckets to create. Default `['imgstash']`; the first is {@link TestServer.bucket}. */
  buckets?: string[];
  /**
   * A bucket CORS configuration (`<CORSConfiguration>` XML) to give every bucket, for browser
   * tests of direct uploads. s3rver answers preflights and adds the CORS headers from it.
   */
  cors?: string;
}

/** A running s3rver. */
export interface TestServer {
  /** `http://127.0.0.1:<port>`; address buckets path-style. */
  endpoint: string;
  /** The first bucket. */
  bucket: string;
  buckets: readonly string[];
  credentials: { accessKeyId: string; secretAccessKey: string };
  /**
   * Connection options for a store or client on this server (path-style, region
   * `us-east-1`), with `extra` on top.
   */
  connection<T extends object = Record<never, never>>(
    extra?: T,
  ): {
    endpoint: string;
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
    forcePathStyle: true;
  } & T;
  /** Where s3rver keeps its files. */
  directory: string;
  /** Multipart uploads started and neither completed nor aborted, in every bucket. */
  pendingUploads(): Promise<number>;
  /** The keys of the objects stored in `bucket` (default: the first bucket). */
  objectKeys(bucket?: string): Promise<string[]>;
  /** Upload ids aborted through AbortMultipartUpload. */
  aborted: string[];
  /** Queues faults; each answers `times` matching requests, in order. */
  inject(...faults: Fault[]): void;
  /** Drops the faults not yet used. */
  clearFaults(): void;
  close(): Promise<void>;
}

const errorXml = (code: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${code}</Message></Error>`;

const UPLOADS = '._S3rver_uploads';
const OBJECT_SUFFIX = '._S3rver_object';

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== UPLOADS) out.push(...(await walk(path)));
    } else out.push(path);
  }
  return out;
}

/**
 * Starts s3rver on 127.0.0.1 with a free port and a fresh temp directory.
 *
 * @example
 * ```ts
 * const s3 = await startS3rver();
 * const store = createS3Store({ bucket: s3.bucket, ...s3.connection() });
 * ```
 */
export async function startS3rver(options: S3rverOptions = {}): Promise<TestServer> {
  const buckets = options.buckets?.length ? [...options.buckets] : [BUCKET];
  const directory = await mkdtemp(join(tmpdir(), 'imgstash-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name, ...(options.cors ? { configs: [options.cors] } : {}) })),
  });
  const faults: (Fault & { left: number })[] = [];
  const aborted: string[] = [];
  const uploadsDir = (bucket: string) => join(directory, bucket, UPLOADS);

  const matches = (fault: Fault, ctx: S3rverContext) =>
    (fault.method === undefined || fault.method === ctx.method) &&
    Object.entries(fault.query ?? {}).every(([name, value]) =>
      value === true ? ctx.query[name] !== undefined : ctx.query[name] === value,
    );

  const injectFaults = async (ctx: S3rverContext, next: () => Promise<void>) => {
    const fault = faults.find((f) => matches(f, ctx));
    if (!fault) return next();
    if (--fault.left <= 0) faults.splice(faults.indexOf(fault), 1);
    ctx.status = fault.status;
    ctx.type = 'application/xml';
    ctx.body = errorXml(fault.code);
  };

  const abortMultipartUpload = async (ctx: S3rverContext, next: () => Promise<void>) => {
    const uploadId = ctx.query.uploadId;
    if (ctx.method !== 'DELETE' || typeof uploadId !== 'string') return next();
    const bucket = ctx.path.split('/')[1] ?? '';
    const dir = join(uploadsDir(bucket), uploadId);
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
  const endpoint = `http://127.0.0.1:${address.port}`;
  return {
    endpoint,
    bucket: buckets[0] as string,
    buckets,
    credentials: { ...CREDENTIALS },
    connection: <T extends object>(extra?: T) => ({
      endpoint,
      region: 'us-east-1',
      credentials: { ...CREDENTIALS },
      forcePathStyle: true as const,
      ...(extra as T),
    }),
    directory,
    aborted,
    async pendingUploads() {
      let count = 0;
      for (const bucket of buckets) count += (await readdir(uploadsDir(bucket)).catch(() => [])).length;
      return count;
    },
    async objectKeys(bucket = buckets[0] as string) {
      const root = join(directory, bucket);
      return (await walk(root))
        .filter((path) => path.endsWith(OBJECT_SUFFIX))
        .map((path) => relative(root, path).slice(0, -OBJECT_SUFFIX.length).split(sep).join('/'))
        .sort();
    },
    inject(...more) {
      faults.push(...more.map((f) => ({ ...f, left: f.times ?? 1 })));
    },
    clearFaults() {
      faults.length = 0;
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
