// The Workers entry for runtime-probe.mjs: runtimes.test.ts bundles it with esbuild and runs
// it on workerd through Miniflare.
import { probe } from './runtime-probe.mjs';

export default {
  async fetch() {
    return Response.json(await probe());
  },
};
