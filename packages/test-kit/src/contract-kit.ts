// Helpers of the HTTP contract suites (http-contract.test.ts, links.test.ts): the stores
// they run against, uploads through fetch + FormData, requests through node:http (exact
// Host header, raw paths that fetch would normalise), and the JSON error check.
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { request as nodeRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ErrorBody, LocallyServedStore } from '@imgstash/core';
import { createFsStore } from '@imgstash/fs';
import { createMemoryStore, type MemoryStore } from '@imgstash/memory';
import { expect } from 'vitest';
import { probeStore, type StoreProbe } from './store-probe.js';

/** The stores every upload and redirect test runs against. */
export const STORE_KINDS = ['memory', 'fs'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

/** The HMAC secret of the local stores' `/files/` links. */
export const SECRET = 'contract-suite-secret-of-32-bytes-or-more';

/** A store wrapped in a counting proxy, and a view of what it holds. */
export interface TestStore {
  kind: StoreKind;
  probe: StoreProbe<LocallyServedStore>;
  /** The store to hand to the handlers (the counting proxy). */
  store: LocallyServedStore;
  /** What the store holds: the object count (memory), or every file under the root (fs). */
  contents(): Promise<string[]>;
  dispose(): Promise<void>;
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else out.push(path);
  }
  return out.sort();
}

/** A memory store, or an fs store in a fresh temp dir, behind a counting proxy. */
export async function createTestStore(kind: StoreKind): Promise<TestStore> {
  let memory: MemoryStore | undefined;
  let root: string | undefined;
  if (kind === 'memory') memory = createMemoryStore({ secret: SECRET });
  else root = await mkdtemp(join(tmpdir(), 'imgstash-contract-'));
  const probe = probeStore<LocallyServedStore>(memory ?? createFsStore({ root: root as string, secret: SECRET }));
  return {
    kind,
    probe,
    store: probe.store,
    async contents() {
      // `.tmp` and `.meta` are listed too: a leftover temp file or sidecar counts.
      return memory ? [`${memory.size} object(s)`] : filesUnder(root as string);
    },
    async dispose() {
      if (root) await rm(root, { recursive: true, force: true });
    },
  };
}

/** Lowercase hex SHA-256, as the upload answer carries it. */
export const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Options of {@link uploadFile}. */
export interface UploadFileOptions {
  filename?: string;
  /** The Content-Type the part claims. */
  type?: string;
  /** The form field. Default `file`. */
  field?: string;
  /** Where to post, relative to the base URL. Default `/upload`. */
  path?: string;
}

/** Posts `bytes` as a browser would: fetch + FormData, one file part. */
export function uploadFile(baseUrl: string, bytes: Uint8Array | string, options: UploadFileOptions = {}) {
  const form = new FormData();
  const blob = new Blob([bytes as Uint8Array<ArrayBuffer>], { type: options.type ?? 'application/octet-stream' });
  form.append(options.field ?? 'file', blob, options.filename ?? 'image');
  return fetch(`${baseUrl}${options.path ?? '/upload'}`, { method: 'POST', body: form });
}

/** The bytes and Content-Type fetch would send for `form`. */
export async function encodeForm(form: FormData): Promise<{ body: Buffer; contentType: string }> {
  const encoded = new Response(form);
  return {
    body: Buffer.from(await encoded.arrayBuffer()),
    contentType: encoded.headers.get('content-type') as string,
  };
}

/** A response, read whole. */
export interface Reply {
  status: number;
  headers: Headers;
  body: Buffer;
  text(): string;
  json<T = unknown>(): T;
}

/** Reads a fetch response whole. */
export async function readReply(response: Response): Promise<Reply> {
  const body = Buffer.from(await response.arrayBuffer());
  return {
    status: response.status,
    headers: response.headers,
    body,
    text: () => body.toString('utf8'),
    json: <T>() => JSON.parse(body.toString('utf8')) as T,
  };
}

/**
 * One request through node:http to `127.0.0.1:port`: the path is sent exactly as given
 * (fetch would resolve `..` and `%2e%2e`), and a `host` header replaces the real one.
 */
export function send(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string | number> = {},
  body?: Uint8Array,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = nodeRequest({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const bytes = Buffer.concat(chunks);
        const out = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          for (const v of Array.isArray(value) ? value : [value ?? '']) out.append(name, v);
        }
        resolve({
          status: res.statusCode ?? 0,
          headers: out,
          body: bytes,
          text: () => bytes.toString('utf8'),
          json: <T>() => JSON.parse(bytes.toString('utf8')) as T,
        });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

// What an error body must never show: stack frames, source or module paths, temp dirs.
const INTERNALS = /\n\s+at |\bat [^\s]+ \(|node_modules|\.[cm]?[jt]s\b|\/tmp\/|\/var\/|\/srv\/|\/home\/|[A-Z]:\\/;

/**
 * Asserts a clean JSON error: the status, `{ error: { code, message } }` and nothing else,
 * `nosniff`, and no internals (stack traces, paths, nor any of `secrets`) in the body.
 */
export function expectJsonError(reply: Reply, status: number, code: string, secrets: readonly string[] = []) {
  expect(reply.status, reply.text()).toBe(status);
  expect(reply.headers.get('content-type')).toBe('application/json; charset=utf-8');
  expect(reply.headers.get('x-content-type-options')).toBe('nosniff');
  const body = reply.json<ErrorBody>();
  expect(body).toEqual({ error: { code, message: expect.any(String) } });
  expect(body.error.message.length).toBeGreaterThan(0);
  expect(reply.text()).not.toMatch(INTERNALS);
  for (const secret of secrets) expect(reply.text()).not.toContain(secret);
}
