// Makes sure the browser test project has a Chromium: finds one, or installs Debian's package when
// running as root with apt-get, or stops with one clear sentence saying how to provide it.
import { spawnSync } from 'node:child_process';
import { findChromium } from './chromium.mjs';

const found = findChromium();
if (found) {
  console.log(`chromium: ${found}`);
  process.exit(0);
}
if (process.env.CHROMIUM_BIN) {
  console.error(`CHROMIUM_BIN is set to "${process.env.CHROMIUM_BIN}", which is not an executable file; point it at a Chromium or Chrome binary.`);
  process.exit(1);
}
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
if (isRoot && hasApt) {
  console.log('chromium: not found; installing Debian\'s chromium package with apt-get (about a minute)...');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
  const install = update.status === 0 ? spawnSync('apt-get', ['install', '-y', 'chromium'], { stdio: 'inherit', env }) : update;
  const installed = findChromium();
  if (install.status === 0 && installed) {
    console.log(`chromium: ${installed}`);
    process.exit(0);
  }
  console.error('Installing chromium with apt-get failed; install a Chromium yourself and set CHROMIUM_BIN to its path.');
  process.exit(1);
}
console.error('The browser tests need Chromium: install it (Debian: `sudo apt-get install chromium`) or set CHROMIUM_BIN to a Chromium or Chrome executable, then run `npm test` again.');
process.exit(1);
