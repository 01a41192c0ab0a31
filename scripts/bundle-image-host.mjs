// `pnpm bundle:image-host <dir>`: a standalone copy of the image host in <dir>, with its
// production dependencies and the built workspace packages copied in (pnpm deploy --prod).
// It runs with `node server.js` and nothing else: no pnpm, no repository. The Dockerfile's
// last stage is this directory.
import { existsSync, lstatSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { ensureBuilt, pnpm } from './workspace.mjs';

const target = process.argv[2];
if (!target) {
  console.error('usage: pnpm bundle:image-host <dir>');
  process.exit(2);
}
const dir = resolve(process.env.INIT_CWD ?? process.cwd(), target);
if (existsSync(dir) && readdirSync(dir).length > 0) {
  console.error(`${dir} is not empty; give a new or empty directory`);
  process.exit(2);
}

ensureBuilt();
pnpm(['--filter', '@imgstash/example-image-host', 'deploy', '--prod', dir]);
// pnpm leaves its lockfile and workspace file behind; they name this machine's paths and
// nothing at run time reads them.
for (const file of ['pnpm-lock.yaml', 'pnpm-workspace.yaml']) rmSync(join(dir, file), { force: true });

/** Every symlink in the bundle must point inside it, or the bundle is not standalone. */
function escapingLinks(folder) {
  const out = [];
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isSymbolicLink()) {
      const link = readlinkSync(path);
      const to = isAbsolute(link) ? link : resolve(dirname(path), link);
      const inside = relative(dir, to);
      if (inside.startsWith('..') || isAbsolute(inside)) out.push(`${path} -> ${link}`);
    } else if (entry.isDirectory()) out.push(...escapingLinks(path));
  }
  return out;
}
const escaping = escapingLinks(dir);
if (escaping.length > 0) {
  console.error(`the bundle links outside itself:\n${escaping.join('\n')}`);
  process.exit(1);
}
if (!lstatSync(join(dir, 'server.js')).isFile()) process.exit(1);
console.error(`image host bundled in ${dir}: run it with \`node server.js\` there`);
