// `node bench/upload-cpu-ab.mjs <old-core-dir> <old-memory-dir>`: CPU per MiB of core's upload
// route (multipart parse, sniff, checks, strip, hash, put into the memory store) for another
// build of core (e.g. the previous release, built in a git worktree) and this one, alternated
// in fresh processes on the same 9 MiB PNG in 64 KiB chunks. Prints each run and the ratio of
// the medians. Build both first (`pnpm build` here; `npx tsup` in the other tree's core and memory).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { noisePng } from './lib/images.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const [oldCore, oldMemory] = process.argv.slice(2).map((p) => resolve(p));
if (!oldCore || !oldMemory) throw new Error('usage: node bench/upload-cpu-ab.mjs <old-core-dir> <old-memory-dir>');

if (process.env.AB_CHILD) {
  const core = await import(join(process.env.AB_CORE, 'dist/index.js'));
  const { createMemoryStore } = await import(join(process.env.AB_MEMORY, 'dist/index.js'));
  const png = readFileSync(process.env.AB_IMAGE);
  const boundary = '----imgstashab';
  const body = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`,
    ),
    png,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const store = createMemoryStore({ secret: 's'.repeat(32) });
  const handlers = core.createImageHandlers({ store });
  const headers = new Headers({
    'content-type': `multipart/form-data; boundary=${boundary}`,
    'content-length': String(body.length),
  });
  async function* chunks() {
    for (let i = 0; i < body.length; i += 65536) yield body.subarray(i, Math.min(body.length, i + 65536));
  }
  const once = async () => {
    const res = await handlers.upload({ method: 'POST', url: 'http://ab.invalid/upload', headers, body: chunks() });
    if (res.status !== 201) throw new Error(await res.text());
    store.clear();
  };
  for (let i = 0; i < 5; i++) await once();
  const rounds = 30;
  const before = process.cpuUsage();
  for (let i = 0; i < rounds; i++) await once();
  const used = process.cpuUsage(before);
  process.stdout.write(String((used.user + used.system) / 1000 / ((png.length * rounds) / 1048576)));
  process.exit(0);
}

const image = await noisePng(9);
const sides = {
  previous: [oldCore, oldMemory],
  current: [join(here, '../packages/core'), join(here, '../packages/memory')],
};
const runs = { previous: [], current: [] };
for (let round = 0; round < 5; round++) {
  for (const [name, [core, memory]] of Object.entries(sides)) {
    const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), oldCore, oldMemory], {
      env: { ...process.env, AB_CHILD: '1', AB_CORE: core, AB_MEMORY: memory, AB_IMAGE: image },
    });
    runs[name].push(Number(out));
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [name, xs] of Object.entries(runs))
  console.log(`${name}: ${xs.map((x) => x.toFixed(3)).join(', ')} ms/MiB (median ${median(xs).toFixed(3)})`);
console.log(`current / previous: ${((median(runs.current) / median(runs.previous) - 1) * 100).toFixed(1)}%`);
