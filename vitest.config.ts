import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import projects from './vitest.workspace.js';

const src = (path: string) => fileURLToPath(new URL(`./packages/${path}`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against the sources; the packaging check covers the built output.
    alias: [
      { find: /^@imgstash\/core\/testing$/, replacement: src('core/src/testing/index.ts') },
      { find: /^@imgstash\/core$/, replacement: src('core/src/index.ts') },
      { find: /^@imgstash\/client$/, replacement: src('client/src/index.ts') },
      { find: /^@imgstash\/memory$/, replacement: src('memory/src/index.ts') },
      { find: /^@imgstash\/fs$/, replacement: src('fs/src/index.ts') },
      { find: /^@imgstash\/s3$/, replacement: src('s3/src/index.ts') },
      { find: /^@imgstash\/express$/, replacement: src('express/src/index.ts') },
      { find: /^@imgstash\/hono$/, replacement: src('hono/src/index.ts') },
      { find: /^@imgstash\/sharp$/, replacement: src('sharp/src/index.ts') },
    ],
  },
  test: {
    projects,
    reporters: ['default', './scripts/summary-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
