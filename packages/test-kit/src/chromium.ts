// Debian's Chromium for the browser tests, driven by playwright-core: never a downloaded
// browser, and no network beyond loopback.
import { type Browser, chromium } from 'playwright-core';

/** The Chromium binary: `CHROMIUM_PATH`, else Debian's. */
export const CHROMIUM: string = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Headless, sandbox-free (root in CI), and quiet: no update, sync or background requests. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Launches {@link CHROMIUM} with {@link CHROMIUM_ARGS}. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS] });
}
