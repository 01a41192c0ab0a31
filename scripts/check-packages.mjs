// Checks what users actually install: each package is packed with pnpm (which rewrites
// workspace: ranges), linted with publint and attw, then every tarball is installed with
// npm into a throwaway app that imports it through ESM and CommonJS.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const packs = mkdtempSync(join(tmpdir(), 'imgstash-packs-'));
const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
const bin = (name) => join(root, 'node_modules', '.bin', name);

const packages = readdirSync(join(root, 'packages'))
  .map((dir) => {
    const cwd = join(root, 'packages', dir);
    const manifest = JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8'));
    return { cwd, name: manifest.name, private: manifest.private === true };
  })
  .filter((p) => !p.private);

let failed = 0;
const tarballs = [];
for (const { cwd, name } of packages) {
  const out = run('pnpm', ['pack', '--pack-destination', packs, '--json'], cwd);
  const tarball = JSON.parse(out).filename ?? JSON.parse(out)[0]?.filename;
  tarballs.push(tarball);
  const manifest = run('tar', ['-xOzf', tarball, 'package/package.json'], packs);
  if (manifest.includes('workspace:')) {
    console.error(`✗ ${name}: packed package.json still has a workspace: range`);
    failed++;
  }
  // Core runs on every runtime: its bundles must not import Node built-ins (it may only ask
  // for node:crypto at run time, through process.getBuiltinModule, where that exists).
  if (name === '@imgstash/core') {
    for (const file of ['index.js', 'index.cjs', 'testing.js', 'testing.cjs']) {
      const code = run('tar', ['-xOzf', tarball, `package/dist/${file}`], packs);
      if (/\bfrom\s*["']node:|\bimport\s*\(\s*["']node:|\brequire\(\s*["']node:/.test(code)) {
        console.error(`✗ ${name}: dist/${file} imports a node: built-in`);
        failed++;
      }
    }
    console.log(`✓ ${name} imports no node: built-ins`);
  }
  for (const [tool, args] of [
    ['publint', ['run', tarball, '--strict']],
    ['attw', [tarball, '--profile', 'node16', '--format', 'table-flipped']],
  ]) {
    try {
      run(bin(tool), args, cwd);
      console.log(`✓ ${tool} ${name}`);
    } catch (error) {
      console.error(`✗ ${tool} ${name}\n${error.stdout ?? ''}`);
      failed++;
    }
  }
}

// Install the tarballs with npm, as an outside app would, and load each package both ways.
const app = join(packs, 'app');
mkdirSync(app);
writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'pack-smoke', private: true }));
run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs], app);
const smoke = `
  const names = ${JSON.stringify(packages.map((p) => p.name))};
  const esm = await Promise.all(names.map((n) => import(n)));
  const { createRequire } = await import('node:module');
  const require = createRequire(import.meta.url);
  const cjs = names.map((n) => require(n));
  for (const [i, n] of names.entries()) {
    if (Object.keys(esm[i]).length === 0 || Object.keys(cjs[i]).length === 0) throw new Error(n + ' exports nothing');
  }
  const { createMemoryStore } = await import('@imgstash/memory');
  const store = createMemoryStore();
  await store.put('smoke', new Uint8Array([1, 2, 3]), { contentType: 'image/png' });
  if (!(await store.exists('smoke'))) throw new Error('memory store does not work');
  const { FIXTURES } = await import('@imgstash/core/testing');
  require('@imgstash/core/testing');
  // sharp's native binary and the ESM-only thumbhash must load from the CommonJS build too.
  const { createSharpTransformer } = require('@imgstash/sharp');
  const variant = await createSharpTransformer().transform(FIXTURES.png.bytes, {
    width: 16, fit: 'inside', format: 'webp', maxPixels: 1e6, signal: new AbortController().signal,
  });
  if (variant.contentType !== 'image/webp' || variant.width !== 16) throw new Error('@imgstash/sharp does not transform');
  console.log('✓ npm-installed tarballs load through ESM and CommonJS');
`;
try {
  console.log(run('node', ['--input-type=module', '-e', smoke], app).trim());
} catch {
  failed++;
}
rmSync(packs, { recursive: true, force: true });
if (failed > 0) {
  console.error(`${failed} packaging check(s) failed`);
  process.exit(1);
}
