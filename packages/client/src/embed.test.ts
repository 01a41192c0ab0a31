import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build script, without types.
import { clientScriptModule, TARGET } from '../scripts/embed.mjs';

describe('the client bundle core inlines in its upload page', () => {
  it('is the current build of this package (run `pnpm --filter @imgstash/client embed` when it is not)', async () => {
    expect(readFileSync(TARGET, 'utf8')).toBe(await clientScriptModule());
  });
});
