import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { findChromium } from '../../../scripts/chromium.mjs';

const script = new URL('../../../scripts/ensure-chromium.mjs', import.meta.url).pathname;

function run(env: Record<string, string>) {
  return spawnSync(process.execPath, [script], { env: { ...process.env, ...env }, encoding: 'utf8' });
}

describe('scripts/ensure-chromium.mjs', () => {
  it('stops with one clear sentence when CHROMIUM_BIN points at nothing', () => {
    const result = run({ CHROMIUM_BIN: '/nonexistent/chromium' });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(
      'CHROMIUM_BIN is set to "/nonexistent/chromium", which is not an executable file; point it at a Chromium or Chrome binary.',
    );
  });

  it('accepts an executable named by CHROMIUM_BIN and reports it', () => {
    const result = run({ CHROMIUM_BIN: process.execPath }); // any executable file will do for the finder
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(`chromium: ${process.execPath}`);
  });

  it('finds the Chromium the browser project uses on this machine', () => {
    const found = findChromium();
    expect(found).toBeDefined();
    expect(spawnSync(found!, ['--version'], { encoding: 'utf8' }).stdout).toMatch(/Chrom/);
  });
});
