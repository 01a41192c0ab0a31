// The image host: an upload page, POST /upload and GET /i/:id, on Express.
// Storage is local disk (./data) unless S3 variables are set; see README.md for the variables
// and docs/deploy/ for Sevalla, other platforms and Docker.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAbortError, isImageStoreError, isValidId, jsonClientErrors, sweepPending } from '@imgstash/core';
import { imageRouter } from '@imgstash/express';
import { createFsStore } from '@imgstash/fs';
import { hasS3Env, s3StoreFromEnv } from '@imgstash/s3';
import { createSharpTransformer } from '@imgstash/sharp';
import express from 'express';
import { pino } from 'pino';

/**
 * The host's variants: a thumbnail the upload page previews, and a large copy in the best
 * format the browser accepts. Made on their first request and stored beside the original.
 */
export const PRESETS = {
  thumb: { width: 320, height: 320, fit: 'inside', format: 'webp' },
  large: { width: 1600, format: 'auto' },
};

/** A start-up refusal: its message is printed as is, and the process exits 1. */
export class ConfigError extends Error {
  name = 'ConfigError';
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

function integer(env, name, { min, max }) {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}`);
  }
  return n;
}

function flag(env, name) {
  const raw = env[name]?.trim().toLowerCase();
  if (!raw || raw === 'false' || raw === '0') return false;
  if (raw === 'true' || raw === '1') return true;
  throw new ConfigError(`${name} must be true, 1, false or 0`);
}

/**
 * Reads the host's settings from the environment, or throws a {@link ConfigError} naming the
 * variable at fault. Values are never echoed.
 *
 * - Listening: `HOST` if set; else every interface when the platform sets `PORT` (as the classic
 *   `app.listen(PORT)` does); else 127.0.0.1:3000 for a laptop.
 * - Links: from `PUBLIC_BASE_URL`; else from forwarded headers when `TRUST_PROXY` is set; else,
 *   on a loopback address, `http://localhost:<port>`; else root-relative (`/i/<id>`), never a
 *   localhost link that a remote client cannot follow.
 */
export function configFromEnv(env = process.env) {
  const host = env.HOST?.trim() || (env.PORT?.trim() ? undefined : '127.0.0.1');
  const port = integer(env, 'PORT', { min: 0, max: 65535 }) ?? 3000;
  const publicBaseUrl = env.PUBLIC_BASE_URL?.trim().replace(/\/+$/, '') || undefined;
  if (publicBaseUrl !== undefined && !/^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/.test(publicBaseUrl)) {
    throw new ConfigError(
      'PUBLIC_BASE_URL must be an absolute http(s) URL without a query, e.g. https://img.example.com',
    );
  }
  return {
    host,
    port,
    local: host !== undefined && LOOPBACK.has(host),
    publicBaseUrl,
    trustProxy: flag(env, 'TRUST_PROXY'),
    maxBytes: integer(env, 'MAX_BYTES', { min: 1, max: Number.MAX_SAFE_INTEGER }),
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', { min: 0, max: 3_600_000 }) ?? 8000,
    apiKeys: apiKeysFromEnv(env),
    uploadSecret: env.IMGSTASH_UPLOAD_SECRET?.trim() || undefined,
  };
}

/** `IMGSTASH_API_KEYS`: comma-separated keys that uploads must carry as `Authorization: Bearer <key>`. */
function apiKeysFromEnv(env) {
  const keys = (env.IMGSTASH_API_KEYS ?? '')
    .split(',')
    .map((key) => key.trim())
    .filter(Boolean);
  if (keys.length === 0) return undefined;
  if (keys.some((key) => key.length < 16 || !/^[A-Za-z0-9\-._~+/]+=*$/.test(key))) {
    throw new ConfigError('IMGSTASH_API_KEYS must list keys of at least 16 characters of A-Z a-z 0-9 - . _ ~ + /');
  }
  return keys;
}

/**
 * The HMAC secret of the local store. From IMGSTASH_SECRET, or made once and kept in the
 * data directory, so links survive restarts.
 */
function localSecret(dataDir, env) {
  if (env.IMGSTASH_SECRET) return env.IMGSTASH_SECRET;
  const file = join(dataDir, '.secret');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    const secret = randomBytes(32).toString('base64url');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
    return secret;
  }
}

/**
 * Picks the store: S3 when any of its variables is set, else the fs store under DATA_DIR.
 * A half-set S3 environment is refused with the names of the missing variables, rather than
 * quietly storing on a disk that the next deploy wipes.
 */
export function storeFromEnv(env = process.env) {
  if (hasS3Env(env)) {
    try {
      return { store: s3StoreFromEnv(env), label: `s3 bucket ${env.S3_BUCKET || env.S3_BUCKET_NAME}` };
    } catch (error) {
      const reason = error.message.replace(/^\[imgstash\] \[s3\] /, '');
      const missing = reason.startsWith('missing');
      throw new ConfigError(
        missing
          ? `S3 storage is half configured: ${reason}. Set them, or unset the S3 variables to store on local disk.`
          : `S3 storage is misconfigured: ${reason}.`,
        { cause: error },
      );
    }
  }
  const dataDir = resolve(env.DATA_DIR ?? './data');
  return { store: createFsStore({ root: dataDir, secret: localSecret(dataDir, env) }), label: `local disk ${dataDir}` };
}

// Values that must never reach a log line, whatever carries them (an SDK error's text, a URL).
function secretsOf(env) {
  const keys = (env.IMGSTASH_API_KEYS ?? '').split(',').map((key) => key.trim());
  return [
    'AWS_SECRET_ACCESS_KEY',
    'AWS_ACCESS_KEY_ID',
    'AWS_SESSION_TOKEN',
    'IMGSTASH_SECRET',
    'IMGSTASH_UPLOAD_SECRET',
  ]
    .map((name) => env[name]?.trim())
    .concat(keys)
    .filter((v) => v && v.length >= 4);
}

// A signed URL's credentials (S3's X-Amz-*, the local stores' sig=) end at &, a quote or a space.
const SIGNED_PARAMS = /(\b(?:X-Amz-(?:Signature|Credential|Security-Token)|sig)=)[^&"\s\\]+/gi;

/** Errors as their name, code, message, stack and cause chain, and no other property. */
function serializeError(error, depth = 0) {
  if (!(error instanceof Error)) return { message: String(error) };
  const out = { type: error.name, message: error.message };
  if (typeof error.code === 'string') out.code = error.code;
  if (error.$metadata?.httpStatusCode) out.status = error.$metadata.httpStatusCode;
  if (error.stack) out.stack = error.stack;
  if (error.cause !== undefined && depth < 4) out.cause = serializeError(error.cause, depth + 1);
  return out;
}

/**
 * The logger: pino, JSON lines on stdout. `LOG_LEVEL` sets the level (default `info`, or
 * `silent` under a test runner). Every line passes a last filter that blanks the configured
 * keys and secrets and the credentials of signed URLs, in case an error's text carries one.
 * Written synchronously to stdout (`destination`), so nothing is lost when the process exits.
 *
 * @param {Record<string, string | undefined>} [env]
 * @param {import('pino').DestinationStream} [destination]
 */
export function createLogger(env = process.env, destination = pino.destination({ dest: 1, sync: true })) {
  const secrets = secretsOf(env).flatMap((v) => [v, JSON.stringify(v).slice(1, -1)]);
  return pino(
    {
      level: env.LOG_LEVEL?.trim() || (process.env.VITEST ? 'silent' : 'info'),
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: { err: serializeError },
      hooks: {
        streamWrite(line) {
          let out = line.replace(SIGNED_PARAMS, '$1[redacted]');
          for (const secret of secrets) out = out.replaceAll(secret, '[redacted]');
          return out;
        },
      },
    },
    destination,
  );
}

const STORE_CALLS = new Set(['put', 'exists', 'signedUrl', 'stat', 'get', 'delete']);

/**
 * The store, with its failures logged with their cause chain. Core turns them into a JSON
 * 502/503 and keeps the cause to itself; this is where an operator sees it.
 */
function withFailureLog(store, logger) {
  const wrapped = new Map();
  return new Proxy(store, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function' || !STORE_CALLS.has(prop)) return value;
      if (!wrapped.has(prop)) {
        wrapped.set(prop, async (...args) => {
          try {
            return await value.apply(target, args);
          } catch (error) {
            const expected = isAbortError(error) || (isImageStoreError(error) && error.status < 500);
            logger[expected ? 'debug' : 'error']({ err: error, call: prop, key: args[0] }, 'store call failed');
            throw error;
          }
        });
      }
      return wrapped.get(prop);
    },
  });
}

/** Builds the Express app. Unknown routes and unexpected errors answer JSON, like core's routes. */
export function createApp({
  store,
  publicBaseUrl,
  trustProxy = false,
  maxBytes,
  apiKeys,
  uploadSecret,
  logger = createLogger({}),
}) {
  const app = express();
  app.disable('x-powered-by');
  // core serves /healthz: a cached store probe with a 2 s deadline. While the server drains,
  // every request, /healthz included, answers 503 before it gets here (see `start`).
  app.use(
    imageRouter({
      store,
      trustProxy,
      title: 'imgstash image host',
      transformer: createSharpTransformer(),
      variants: PRESETS,
      placeholder: 'thumbhash',
      ...(publicBaseUrl === undefined ? {} : { publicBaseUrl }),
      ...(maxBytes === undefined ? {} : { maxBytes }),
      ...(apiKeys === undefined ? {} : { apiKeys }),
      // Direct-to-bucket uploads on S3 need a shared secret; the fs store has its own.
      ...(uploadSecret === undefined ? {} : { directUploads: { secret: uploadSecret } }),
    }),
  );
  app.use((_req, res) => json(res, 404, { error: { code: 'NOT_FOUND', message: 'Not found.' } }));
  app.use(function jsonErrors(error, _req, res, _next) {
    const status = Number(error?.status ?? error?.statusCode);
    const client = status >= 400 && status < 500;
    logger[client ? 'info' : 'error']({ err: error }, 'request failed');
    if (res.headersSent) return res.destroy();
    if (client) return json(res, status, { error: { code: 'INVALID_INPUT', message: 'Bad request.' } });
    json(res, 500, { error: { code: 'INTERNAL_ERROR', message: 'Internal error.' } });
  });
  return app;
}

const json = (res, status, body, headers = {}) => {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
};

/** The path of a request, without its query (signed links carry their credentials there). */
const pathOf = (url = '/') => {
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
};

const numberOf = (value) => {
  const n = Number(value);
  return value !== undefined && Number.isFinite(n) ? n : undefined;
};

/**
 * Notes the two response headers the request log reads (the stable link of an upload, the
 * length) as they are written: adapters pass them to `writeHead`, where `getHeader` misses them.
 */
function noteHeaders(res) {
  const noted = {};
  const writeHead = res.writeHead;
  res.writeHead = function noteAndWriteHead(status, ...rest) {
    const headers = rest.find((arg) => arg !== null && typeof arg === 'object');
    const pairs = Array.isArray(headers)
      ? headers.flatMap((_, i) => (i % 2 === 0 ? [[headers[i], headers[i + 1]]] : []))
      : Object.entries(headers ?? {});
    for (const [name, value] of pairs) {
      const lower = String(name).toLowerCase();
      if (lower === 'location' || lower === 'content-length') noted[lower] = String(value);
    }
    return writeHead.call(this, status, ...rest);
  };
  return (name) => noted[name] ?? res.getHeader(name);
}

/** One log line per request, written when its response closes. Never headers, never a query. */
function logRequest(logger, req, res, startedAt, header, refused = false) {
  const path = pathOf(req.url);
  const status = res.statusCode;
  const line = {
    method: req.method,
    path,
    status,
    durationMs: Math.round((performance.now() - startedAt) * 10) / 10,
  };
  const bytesIn = numberOf(req.headers['content-length']);
  if (bytesIn !== undefined) line.bytesIn = bytesIn;
  const bytesOut = numberOf(header('content-length'));
  if (bytesOut !== undefined) line.bytesOut = bytesOut;
  if (req.method === 'POST' && status === 201) {
    // The id from the stable link /i/<id>: that header is never a signed URL.
    const id = String(header('location') ?? '')
      .split('/')
      .pop();
    if (isValidId(id)) line.uploadId = id;
  }
  if (!res.writableFinished) line.aborted = true;
  // A platform probes /healthz every few seconds: keep the healthy answers out of the way.
  let level = 'info';
  if (status >= 500 && !refused) level = 'warn';
  else if (path === '/healthz' && status === 200) level = 'debug';
  logger[level](line, 'request');
}

/**
 * Starts the server; resolves once it listens. Returns `shutdown(signal)`: `/healthz` and
 * every new request answer 503 at once, requests in flight get `shutdownTimeoutMs` to
 * finish, then the server closes; it resolves `true` when nothing had to be cut off.
 */
export async function start(env = process.env, { logger = createLogger(env) } = {}) {
  const config = configFromEnv(env);
  const { store, label } = storeFromEnv(env);
  const state = { draining: false, inFlight: 0, idle: () => {} };
  // Requests Node's parser refuses (a bad Content-Length, oversized headers) get JSON too.
  const server = jsonClientErrors(createServer());
  await new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolveListen);
  });
  const { address, port } = server.address();
  let { publicBaseUrl } = config;
  if (publicBaseUrl === undefined && !config.trustProxy) {
    if (config.local) publicBaseUrl = `http://localhost:${port}`;
    else {
      logger.warn(
        'PUBLIC_BASE_URL is not set (nor TRUST_PROXY): uploads answer with root-relative links (/i/<id>). ' +
          'Set PUBLIC_BASE_URL to the public origin, e.g. https://img.example.com, for absolute links.',
      );
    }
  }
  const app = createApp({
    store: withFailureLog(store, logger),
    publicBaseUrl,
    trustProxy: config.trustProxy,
    maxBytes: config.maxBytes,
    apiKeys: config.apiKeys,
    uploadSecret: config.uploadSecret,
    logger,
  });
  // Direct uploads that were started and never completed: a bucket's lifecycle rule expires
  // them (docs/direct-uploads.md); on local disk the host sweeps them itself, hourly.
  const sweep = label.startsWith('local disk')
    ? setInterval(() => {
        sweepPending(store, { olderThan: 24 * 3600_000 }).catch((error) => logger.warn({ err: error }, 'sweep failed'));
      }, 3600_000)
    : undefined;
  sweep?.unref();

  server.on('request', (req, res) => {
    const startedAt = performance.now();
    const header = noteHeaders(res);
    // Checked before anything else: once shutdown has begun, health is 503 and nothing new starts.
    if (state.draining) {
      res.once('close', () => logRequest(logger, req, res, startedAt, header, true));
      json(
        res,
        503,
        { error: { code: 'SHUTTING_DOWN', message: 'The server is shutting down; retry on another instance.' } },
        { connection: 'close', 'retry-after': '1' },
      );
      return;
    }
    state.inFlight++;
    res.once('close', () => {
      state.inFlight--;
      logRequest(logger, req, res, startedAt, header);
      if (state.inFlight === 0) state.idle();
    });
    app(req, res);
  });

  let shuttingDown;
  function shutdown(signal = 'shutdown') {
    shuttingDown ??= (async () => {
      state.draining = true;
      if (sweep) clearInterval(sweep);
      logger.info({ signal, inFlight: state.inFlight, timeoutMs: config.shutdownTimeoutMs }, 'draining');
      server.closeIdleConnections();
      const drained = await new Promise((resolveDrain) => {
        if (state.inFlight === 0) return resolveDrain(true);
        const timer = setTimeout(() => resolveDrain(false), config.shutdownTimeoutMs);
        state.idle = () => {
          clearTimeout(timer);
          resolveDrain(true);
        };
      });
      if (!drained) logger.warn({ inFlight: state.inFlight }, 'shutdown timeout: cutting off the requests in flight');
      const closed = new Promise((resolveClose) => server.close(() => resolveClose()));
      server.closeAllConnections();
      await closed;
      return drained;
    })();
    return shuttingDown;
  }

  const url = `${publicBaseUrl ?? `http://localhost:${port}`}/`;
  logger.info({ address, port, url, storage: label }, `imgstash image host listening on ${url} (storage: ${label})`);
  return { server, url, address, port, label, logger, shutdown };
}

/** `node server.js`: starts, and on SIGTERM/SIGINT drains and exits (0 when nothing was cut off). */
export async function main(env = process.env) {
  const logger = createLogger(env);
  let running;
  try {
    running = await start(env, { logger });
  } catch (error) {
    const config = error instanceof ConfigError;
    const message = config ? error.message : `${error.code ?? error.name}: ${error.message}`;
    // A refused setting needs no stack trace; anything else (a port in use) keeps its own.
    logger.fatal(config ? {} : { err: error }, `imgstash image host failed to start: ${message}`);
    // Also on stderr as plain text: the first thing someone reads in a deploy log.
    console.error(`imgstash image host failed to start: ${message}`);
    process.exit(1);
  }
  const onSignal = (signal) => {
    // A second signal (Ctrl-C twice) stops at once.
    process.once(signal, () => process.exit(1));
    running.shutdown(signal).then((clean) => process.exit(clean ? 0 : 1));
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  return running;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
