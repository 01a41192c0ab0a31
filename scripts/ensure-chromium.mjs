// The browser test drives Debian's Chromium through playwright-core; it never downloads
// a browser. On a fresh machine (as root, with apt) this installs it once.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (existsSync(path)) process.exit(0);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = existsSync('/usr/bin/apt-get');
if (!isRoot || !hasApt) {
  console.error(
    `The browser test needs Chromium at ${path}. Install it (Debian/Ubuntu: \`sudo apt-get install -y chromium\`) ` +
      'or set CHROMIUM_PATH to an installed Chromium.',
  );
  process.exit(1);
}
console.log('Installing Chromium from Debian packages (once)...');
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env });
if (!existsSync(path)) {
  console.error(`Chromium was installed but ${path} is missing; set CHROMIUM_PATH.`);
  process.exit(1);
}
