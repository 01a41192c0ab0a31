// s3rver ships no types; this is the part the test harness (./s3rver.ts) uses.
declare module '@20minutes/s3rver' {
  import type { AddressInfo } from 'node:net';

  export interface S3rverContext {
    method: string;
    path: string;
    query: Record<string, string | string[] | undefined>;
    status: number;
    type: string;
    body: unknown;
    get(header: string): string;
  }

  export type S3rverMiddleware = (ctx: S3rverContext, next: () => Promise<void>) => unknown;

  export interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory?: string;
    configureBuckets?: { name: string; configs?: (string | Uint8Array)[] }[];
    resetOnClose?: boolean;
    vhostBuckets?: boolean;
  }

  export default class S3rver {
    constructor(options?: S3rverOptions);
    /** Koa's middleware list; s3rver extends Koa. */
    middleware: S3rverMiddleware[];
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
  }
}
