// `pnpm start`: the image host, in this process. Builds the packages first on a fresh clone,
// so `pnpm install && pnpm start` works; a builder that ran `pnpm run build` skips that.
// For graceful shutdown on a platform, start `node examples/image-host/server.js` instead:
// pnpm does not pass SIGTERM on to the script it runs (see docs/deploy/paas.md).
import { ensureBuilt, ROOT } from './workspace.mjs';

ensureBuilt();
// DATA_DIR's default (./data) is relative to the example, as with `node server.js` there.
process.chdir(`${ROOT}examples/image-host`);
const { main } = await import('../examples/image-host/server.js');
await main();
