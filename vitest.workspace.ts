// The list of test projects. Vitest 4 dropped workspace files, so vitest.config.ts
// feeds this list to `test.projects`.
import type { TestProjectInlineConfiguration } from 'vitest/config';

const projects: TestProjectInlineConfiguration[] = [
  { extends: true, test: { name: 'core', include: ['packages/core/src/**/*.test.ts'] } },
  { extends: true, test: { name: 'memory', include: ['packages/memory/src/**/*.test.ts'] } },
  { extends: true, test: { name: 'fs', include: ['packages/fs/src/**/*.test.ts'] } },
  { extends: true, test: { name: 'client', include: ['packages/client/src/**/*.test.ts'] } },
  { extends: true, test: { name: 'http', include: ['packages/test-kit/src/**/*.test.ts'] } },
  { extends: true, test: { name: 'examples', include: ['examples/*/test/**/*.test.ts'] } },
  { extends: true, test: { name: 'sharp', include: ['packages/sharp/src/**/*.test.ts'] } },
  { extends: true, test: { name: 's3', include: ['packages/s3/src/**/*.test.ts'] } },
];

export default projects;
