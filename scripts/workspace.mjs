// Helpers for the root scripts that run or bundle the image host.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The packages the image host imports, which must be built before it runs. */
const HOST_PACKAGES = ['core', 'express', 'fs', 's3'];

/**
 * Runs pnpm with `args` from the repository root: the pnpm that runs this script when there is
 * one (pnpm sets npm_execpath), else the pinned one through npx. Exits on failure.
 */
export function pnpm(args) {
  const execPath = process.env.npm_execpath;
  const [command, argv] =
    execPath && /pnpm/.test(execPath)
      ? /\.[cm]?js$/.test(execPath)
        ? [process.execPath, [execPath, ...args]]
        : [execPath, args]
      : ['npx', ['--yes', 'pnpm@12.4.2', ...args]];
  const result = spawnSync(command, argv, { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`pnpm ${args.join(' ')} failed`);
    process.exit(result.status ?? 1);
  }
}

/** Builds the packages unless the image host's are built already (a fresh clone has none). */
export function ensureBuilt() {
  const missing = HOST_PACKAGES.filter((name) => !existsSync(`${ROOT}packages/${name}/dist/index.js`));
  if (missing.length === 0) return;
  console.error(`Building the packages first (${missing.join(', ')} not built yet)...`);
  pnpm(['run', 'build']);
}
