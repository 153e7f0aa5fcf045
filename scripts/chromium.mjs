// Finds a Chromium for the browser test project. Shared by vitest.config.ts and ensure-chromium.mjs.
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Returns the path of a Chromium executable, or undefined when none is found. CHROMIUM_BIN wins. */
export function findChromium() {
  const fromEnv = process.env.CHROMIUM_BIN;
  if (fromEnv) return isExecutable(fromEnv) ? fromEnv : undefined;
  for (const path of CANDIDATES) if (isExecutable(path)) return path;
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      const out = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
      if (out && isExecutable(out)) return out;
    } catch {
      // not on PATH
    }
  }
  return undefined;
}
