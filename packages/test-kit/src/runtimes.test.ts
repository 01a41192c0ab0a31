// The Hono routes, core and the memory store on Bun, Deno and workerd, not only Node: each
// runtime (installed from npm as test-kit devDependencies) runs runtime-probe.mjs, which
// uploads a real PNG with a Unicode name, follows the redirect to the signed /files link, and
// sends an HTML file declared as PNG, all through `app.request()`. For workerd the probe is
// bundled with esbuild, as Wrangler would, and run through Miniflare.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { FIXTURES } from '@imgstash/core/testing';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name: string) => join(root, 'node_modules', '.bin', name);

/** Runs the probe as a script and parses the JSON line it prints. */
async function script(command: string, args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(command, args, {
    cwd: root,
    timeout: 60_000,
    env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' },
  });
  return JSON.parse(stdout.trim().split('\n').pop() as string);
}

/** Bundles the probe as a Worker and asks it once, on workerd. */
async function worker(): Promise<Record<string, unknown>> {
  const bundle = await build({
    entryPoints: [join(root, 'src', 'runtime-probe-worker.mjs')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions: ['workerd', 'worker', 'browser'],
    logLevel: 'silent',
  });
  const mf = new Miniflare({
    modules: true,
    script: bundle.outputFiles[0]?.text ?? '',
    compatibilityDate: '2025-01-01',
  });
  try {
    const response = await mf.dispatchFetch('http://probe.invalid/');
    return (await response.json()) as Record<string, unknown>;
  } finally {
    await mf.dispose();
  }
}

const RUNTIMES: { name: string; probe: () => Promise<Record<string, unknown>> }[] = [
  { name: 'bun', probe: () => script(bin('bun'), ['src/runtime-probe.mjs']) },
  // Deno resolves the bare imports from node_modules, as package.json is there.
  { name: 'deno', probe: () => script(bin('deno'), ['run', '--allow-read', '--allow-env', 'src/runtime-probe.mjs']) },
  { name: 'workerd', probe: worker },
];

describe.each(RUNTIMES)('on $name', ({ name, probe }) => {
  it('uploads, redirects to a signed link that serves the same bytes, and refuses HTML', async () => {
    const seen = await probe();
    expect(seen).toMatchObject({
      runtime: name,
      upload: 201,
      sha256: createHash('sha256').update(FIXTURES.png.bytes).digest('hex'),
      filename: 'café 🌅.png',
      redirect: 302,
      file: 200,
      contentType: 'image/png',
      identical: true,
      refused: 415,
      refusedCode: 'UNSUPPORTED_MEDIA_TYPE',
    });
    expect(String(seen.location)).toMatch(
      /^http:\/\/probe\.invalid\/files\/[A-Za-z0-9_-]{21}\?expires=\d+&sig=[A-Za-z0-9_-]{43}$/,
    );
    expect(seen.disposition).toBe('inline; filename="caf_ __.png"; filename*=UTF-8\'\'caf%C3%A9%20%F0%9F%8C%85.png');
  }, 90_000);
});
