// Property-based fuzzing of POST /upload. Bodies start valid (real images, optional fields)
// and are then mutated: bytes flipped or inserted, the body cut short, parts duplicated,
// random header lines, random boundaries and Content-Types, or plain random bytes. Whatever
// arrives, the answer is a 2xx or a 4xx JSON response: never a 5xx, a crash or a hang.
// Most runs go through core's handlers directly (fast); a smaller number through a real
// listener of each framework. A second property checks that how the body is split into
// chunks never changes the result.
import { createHash } from 'node:crypto';
import { createImageHandlers, type ErrorBody, type ImageHandlers, type UploadedImage } from '@imgstash/core';
import { FIXTURES } from '@imgstash/core/testing';
import { createMemoryStore, type MemoryStore } from '@imgstash/memory';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MultipartBody, multipartBody, type Part } from './multipart-body.js';
import { rawRequest, requestHead } from './raw-http.js';
import { FRAMEWORKS, type RunningApp, startApp } from './servers.js';

const MAX_BYTES = 64 * 1024;
/** A run that has not answered by then counts as a hang. */
const HANG_MS = 5000;

type FixtureName = keyof typeof FIXTURES;

/** A valid upload: a real image in `file`, maybe after a few text fields (core wants the file last). */
interface Template {
  fixture: FixtureName;
  filename: string;
  before: { name: string; value: string }[];
  boundary: string;
}

// RFC 2046 boundary characters (bchars), ending in a non-space.
const boundaryArb = fc.stringMatching(/^[0-9A-Za-z'()+_,\-./:=?]{1,69}[0-9A-Za-z'()+_,\-./:=?]$/);
const fieldArb = fc.record({
  name: fc.stringMatching(/^[a-z][a-z0-9_]{0,11}$/).filter((name) => name !== 'file'),
  value: fc.string({ maxLength: 40, unit: 'grapheme' }),
});
const templateArb: fc.Arbitrary<Template> = fc.record({
  fixture: fc.constantFrom(...(Object.keys(FIXTURES) as FixtureName[])),
  filename: fc.oneof(
    fc.stringMatching(/^[\w .-]{0,30}\.(png|jpg|gif|webp|avif)$/),
    fc.constantFrom('写真.png', '🦊 holiday.gif', 'çà et là.jpg'),
  ),
  before: fc.array(fieldArb, { maxLength: 3 }),
  boundary: boundaryArb,
});

function partsOf(t: Template): Part[] {
  const field = ({ name, value }: { name: string; value: string }): Part => ({ name, body: value });
  const fixture = FIXTURES[t.fixture];
  return [
    ...t.before.map(field),
    { name: 'file', filename: t.filename, contentType: fixture.type, body: fixture.bytes },
  ];
}

type Mutation =
  | { kind: 'flip'; edits: [number, number][] }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'truncate'; at: number }
  | { kind: 'duplicate'; index: number }
  | { kind: 'header'; index: number; line: string }
  | { kind: 'boundary'; value: string }
  | { kind: 'contentType'; value: string }
  | { kind: 'random'; bytes: Uint8Array };

const printable = (max: number) => fc.stringMatching(new RegExp(`^[\\x20-\\x7e]{0,${max}}$`));
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('flip' as const),
    edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
  }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate' as const), index: fc.nat() }),
  fc.record({
    kind: fc.constant('header' as const),
    index: fc.nat(),
    line: fc.oneof(printable(80), fc.string({ maxLength: 80, unit: 'binary' })),
  }),
  fc.record({ kind: fc.constant('boundary' as const), value: printable(90) }),
  fc.record({
    kind: fc.constant('contentType' as const),
    value: fc.oneof(
      printable(120),
      printable(40).map((b) => `multipart/form-data; boundary="${b}"`),
      fc.constantFrom(
        'multipart/form-data',
        'multipart/mixed; boundary=x',
        'image/png',
        'MULTIPART/FORM-DATA; boundary=x',
      ),
    ),
  }),
  fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ maxLength: 4096 }) }),
);

/** A request body and its Content-Type, after the mutations. */
interface Mutated {
  body: Uint8Array;
  contentType: string;
}

function mutate(template: Template, mutations: Mutation[]): Mutated {
  const parts = partsOf(template);
  // Part-level mutations first, then the body is built and mutated as bytes.
  for (const m of mutations) {
    if (m.kind === 'duplicate') parts.splice(m.index % (parts.length + 1), 0, parts[m.index % parts.length] as Part);
    if (m.kind === 'header') {
      const part = parts[m.index % parts.length] as Part;
      parts[m.index % parts.length] = { ...part, headers: [...(part.headers ?? []), m.line] };
    }
  }
  const built: MultipartBody = multipartBody(parts, template.boundary);
  let body: Uint8Array = built.body;
  let contentType = built.contentType;
  for (const m of mutations) {
    switch (m.kind) {
      case 'flip': {
        const copy = Uint8Array.from(body);
        for (const [at, value] of m.edits) if (copy.length > 0) copy[at % copy.length] = value;
        body = copy;
        break;
      }
      case 'insert': {
        const at = m.at % (body.length + 1);
        body = Buffer.concat([body.subarray(0, at), m.bytes, body.subarray(at)]);
        break;
      }
      case 'truncate':
        body = body.subarray(0, m.at % (body.length + 1));
        break;
      case 'boundary':
        contentType = `multipart/form-data; boundary=${m.value}`;
        break;
      case 'contentType':
        contentType = m.value;
        break;
      case 'random':
        body = m.bytes;
        break;
    }
  }
  return { body, contentType };
}

const mutatedArb = fc
  .tuple(templateArb, fc.array(mutationArb, { minLength: 1, maxLength: 3 }))
  .map(([template, mutations]) => mutate(template, mutations));

/** Rejects when `promise` has not settled within {@link HANG_MS}: a hang fails the run. */
function withinHangLimit<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${HANG_MS} ms`)), HANG_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** The checks every answer must pass: 2xx or 4xx, JSON, and the store changed only on success. */
function checkAnswer(status: number, contentType: string | null | undefined, text: string, stored: number) {
  expect(status >= 500 || (status >= 300 && status < 400) || status < 200, `status ${status}: ${text}`).toBe(false);
  expect(contentType).toBe('application/json; charset=utf-8');
  const json = JSON.parse(text) as Partial<UploadedImage> & Partial<ErrorBody>;
  if (status === 201) {
    expect(json.id).toMatch(/^[A-Za-z0-9_-]{21}$/);
    expect(stored).toBe(1);
  } else {
    expect(json.error?.code).toEqual(expect.any(String));
    expect(json.error?.message).toEqual(expect.any(String));
    expect(stored).toBe(0);
  }
}

function newHandlers(): { handlers: ImageHandlers; store: MemoryStore } {
  const store = createMemoryStore();
  // Every allowed type, SVG included, so that mutations reach every check.
  const handlers = createImageHandlers({
    store,
    maxBytes: MAX_BYTES,
    allowedTypes: ['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/avif', 'image/svg+xml'],
  });
  return { handlers, store };
}

describe('fuzzing POST /upload through core’s handlers', () => {
  it('answers any mutated multipart body with a 2xx or 4xx JSON response, never a 5xx or a hang', async () => {
    const { handlers, store } = newHandlers();
    await fc.assert(
      fc.asyncProperty(mutatedArb, async ({ body, contentType }) => {
        store.clear();
        const request = new Request('http://fuzz.invalid/upload', {
          method: 'POST',
          headers: { 'content-type': contentType },
          body: body as Uint8Array<ArrayBuffer>,
        });
        const response = await withinHangLimit(handlers.fetch(request), 'core handlers');
        const text = await response.text();
        checkAnswer(response.status, response.headers.get('content-type'), text, store.size);
        if (response.status === 201) {
          // What was stored is exactly what the answer describes.
          const { id, sha256: hash, size } = JSON.parse(text) as UploadedImage;
          const object = await store.get(id);
          const bytes = new Uint8Array(await new Response(object?.body).arrayBuffer());
          expect({ size: bytes.length, sha256: sha256(bytes) }).toEqual({ size, sha256: hash });
        }
      }),
      { numRuns: 200 },
    );
  });

  it('gives the same answer however the body is split into chunks', async () => {
    const { handlers, store } = newHandlers();
    const splitArb = fc.tuple(templateArb, fc.array(fc.nat(), { maxLength: 24 }));
    const send = async (body: ReadableStream<Uint8Array> | Uint8Array, contentType: string) => {
      store.clear();
      const response = await withinHangLimit(
        handlers.fetch(
          new Request('http://fuzz.invalid/upload', {
            method: 'POST',
            headers: { 'content-type': contentType },
            body: body as BodyInit,
            duplex: 'half',
          } as RequestInit),
        ),
        'core handlers (chunked)',
      );
      const json = (await response.json()) as Partial<UploadedImage>;
      return { status: response.status, size: json.size, sha256: json.sha256, contentType: json.contentType };
    };
    await fc.assert(
      fc.asyncProperty(splitArb, async ([template, cuts]) => {
        const { body, contentType } = multipartBody(partsOf(template), template.boundary);
        const whole = await send(Uint8Array.from(body), contentType);
        expect(whole.status).toBe(201);
        expect(whole.sha256).toBe(sha256(FIXTURES[template.fixture].bytes));

        const points = [...new Set(cuts.map((c) => c % (body.length + 1)))].sort((a, b) => a - b);
        const chunks = [0, ...points, body.length]
          .slice(1)
          .map((end, i, ends) => body.subarray(i === 0 ? 0 : (ends[i - 1] as number), end));
        const stream = new ReadableStream<Uint8Array>({
          pull(controller) {
            const next = chunks.shift();
            // Copies, so no chunk shares a buffer with another (as network chunks do not).
            if (next === undefined) controller.close();
            else controller.enqueue(Uint8Array.from(next));
          },
        });
        expect(await send(stream, contentType)).toEqual(whole);
      }),
      { numRuns: 150 },
    );
  });
});

describe('bodies split where the fuzzer found a parser bug', () => {
  it('accepts a body whose chunks split the two dashes of its closing boundary', async () => {
    const { handlers } = newHandlers();
    const { body, contentType } = multipartBody([
      { name: 'file', filename: 'a.png', contentType: 'image/png', body: FIXTURES.png.bytes },
    ]);
    // `…--boundary-` | `-\r\n`, and the same with the dash alone in a chunk of its own.
    for (const cuts of [[body.length - 3], [body.length - 4, body.length - 3]]) {
      const chunks = [0, ...cuts, body.length].slice(1).map((end, i, ends) => body.subarray(i ? ends[i - 1] : 0, end));
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          const next = chunks.shift();
          if (next === undefined) controller.close();
          else controller.enqueue(Uint8Array.from(next));
        },
      });
      const response = await handlers.fetch(
        new Request('http://fuzz.invalid/upload', {
          method: 'POST',
          headers: { 'content-type': contentType },
          body: stream,
          duplex: 'half',
        } as RequestInit),
      );
      expect(response.status, await response.clone().text()).toBe(201);
      expect(((await response.json()) as UploadedImage).sha256).toBe(sha256(FIXTURES.png.bytes));
    }
  });
});

describe.each(FRAMEWORKS)('fuzzing POST /upload through %s on a real listener', (framework) => {
  let app: RunningApp;
  let store: MemoryStore;
  beforeAll(async () => {
    store = createMemoryStore();
    app = await startApp(framework, { store, maxBytes: MAX_BYTES });
  });
  afterAll(() => app?.close());

  it('answers any mutated multipart body with a 2xx or 4xx JSON response, and keeps serving', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedArb, async ({ body, contentType }) => {
        store.clear();
        const head = requestHead('POST', '/upload', { 'Content-Type': contentType, 'Content-Length': body.length });
        const res = await rawRequest(app.port, [head, body], { timeoutMs: HANG_MS });
        checkAnswer(res.status, res.header('content-type'), res.text(), store.size);
      }),
      { numRuns: 30 },
    );
    // Still up: a plain valid upload goes through.
    store.clear();
    const { body, contentType } = multipartBody([
      { name: 'file', filename: 'ok.png', contentType: 'image/png', body: FIXTURES.png.bytes },
    ]);
    const res = await rawRequest(app.port, [
      requestHead('POST', '/upload', { 'Content-Type': contentType, 'Content-Length': body.length }),
      body,
    ]);
    expect(res.status).toBe(201);
  });
});
