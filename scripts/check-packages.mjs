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
// The app also installs its own, current `@aws-sdk/client-s3`, as a user who passes their own
// `S3Client` to createS3Store does: @imgstash/s3's ranges must let npm resolve one copy.
run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs, '@aws-sdk/client-s3@latest'], app);
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

// The user's own S3Client: one copy of each AWS SDK package in the tree, the `client` option
// type-checks under strict settings, and the store works on it against a real S3 server.
try {
  const versions = new Map();
  const collect = (deps = {}) => {
    for (const [name, info] of Object.entries(deps)) {
      if (/^@aws-sdk\/(client-s3|lib-storage|s3-request-presigner)$/.test(name)) {
        versions.set(name, new Set([...(versions.get(name) ?? []), info.version]));
      }
      collect(info.dependencies);
    }
  };
  collect(JSON.parse(run('npm', ['ls', '--all', '--json'], app)).dependencies);
  for (const [name, found] of versions) {
    if (found.size !== 1) throw new Error(`${name} is installed at ${[...found].join(' and ')}`);
  }
  const userVersion = [...(versions.get('@aws-sdk/client-s3') ?? [])][0];
  writeFileSync(
    join(app, 'own-client.ts'),
    `import { S3Client } from '@aws-sdk/client-s3';
import { createS3Store } from '@imgstash/s3';
import type { ImageStore } from '@imgstash/core';
export function storeOn(endpoint: string): ImageStore {
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return createS3Store({ bucket: 'imgstash', client });
}
`,
  );
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        exactOptionalPropertyTypes: true,
        noUncheckedIndexedAccess: true,
        verbatimModuleSyntax: false,
        skipLibCheck: true,
        types: [],
        noEmit: true,
      },
      files: ['own-client.ts'],
    }),
  );
  run('node', [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], app);
  const s3rver = join(root, 'packages', 'test-kit', 'node_modules', '@20minutes', 's3rver', 'lib', 's3rver.js');
  const dataDir = mkdtempSync(join(tmpdir(), 'imgstash-pack-s3-'));
  const works = `
    const { default: S3rver } = await import(${JSON.stringify(`file://${s3rver}`)});
    const { S3Client } = await import('@aws-sdk/client-s3');
    const { createS3Store } = await import('@imgstash/s3');
    const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: ${JSON.stringify(dataDir)},
      configureBuckets: [{ name: 'imgstash' }] });
    const { port } = await server.run();
    try {
      const client = new S3Client({ endpoint: 'http://127.0.0.1:' + port, region: 'us-east-1', forcePathStyle: true,
        credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
        requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
      const store = createS3Store({ bucket: 'imgstash', client });
      await store.put('own-client', new Uint8Array([1, 2, 3]), { contentType: 'image/png' });
      const info = await store.stat('own-client');
      if (info?.size !== 3) throw new Error("the store does not work on the user's own S3Client");
      const signed = await fetch(await store.signedUrl('own-client'));
      if (signed.status !== 200) throw new Error("a signed URL from the user's own S3Client answers " + signed.status);
    } finally {
      await server.close();
    }
  `;
  run('node', ['--input-type=module', '-e', works], app);
  rmSync(dataDir, { recursive: true, force: true });
  console.log(
    `✓ one copy of each AWS SDK package; the user's own S3Client ${userVersion} type-checks and works as \`client\``,
  );
} catch (error) {
  console.error(`✗ the user's own S3Client: ${error.message}\n${error.stdout ?? ''}`);
  failed++;
}
rmSync(packs, { recursive: true, force: true });
if (failed > 0) {
  console.error(`${failed} packaging check(s) failed`);
  process.exit(1);
}
