import { defineConfig, type Options } from 'tsup';

/** The one build config every package uses: ESM + CJS + .d.ts, Node 20 target. */
export function packageConfig(entry: Record<string, string>, overrides: Options = {}): ReturnType<typeof defineConfig> {
  return defineConfig({
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    platform: 'neutral',
    treeshake: true,
    splitting: false,
    ...overrides,
  });
}
