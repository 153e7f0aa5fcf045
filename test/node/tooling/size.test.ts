/**
 * The size budget (issue 14), checked by size only, never by timing: the core entry with all its
 * dependencies, bundled as `bench/size.mjs` bundles it (esbuild: `export *` of dist/index.js, ESM,
 * minified, browser, ES2020) and gzipped (-9), must not exceed CORE_BUDGET. The audio entry is
 * printed, not budgeted. `npm test` builds dist first.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bundleSize, entries, measure } from '../../../bench/size.mjs';

const KB = 1024;
/**
 * The core entry's budget, min+gzip. The goal is 35 KB; this is a ratchet set to what was reached
 * (rounded up to the next 0.5 KB): lower it as cuts land, never raise it.
 *
 * Shortfall: 63.6 KB reached (63.9 KB after the testing kit's tap, the shared machines and the cancelled mark, 28.9 KB over the goal). The dependencies alone cost about 22 KB of the
 * bundle (each one's share, measured by leaving it out: xstate 13.9, RxJS 3.1, valibot 2.7,
 * partysocket 2.6), which leaves the client's own code 13 KB of the 35; today it is about 42 KB.
 * Next cuts, in order of payoff (README, Performance, Bundle size, has the figures): avatar support (machine,
 * commands, actor, ≈ 3 KB) plugged in from its own entry instead of built into every client (an API
 * change); the message helpers out of the core at the next major (2.4 KB; agentc-realtime/messages
 * has them already); the options' validation (2.1 KB: per-field messages, did-you-mean) made
 * smaller; the outbox, connection and conversation machines (2.7, 1.8, 1.4 KB) simplified; upload
 * (1.5 KB) loaded on first use.
 */
const CORE_BUDGET = 64 * KB;

describe('bundle size', () => {
  it('the core entry with all its dependencies is within its budget (min+gzip)', async () => {
    expect(existsSync(fileURLToPath(new URL('../../../dist/index.js', import.meta.url))), 'run `npm run build` first').toBe(true);
    const { core, createClient, audio, audioAdds } = await measure();
    const kb = (bytes: number) => `${(bytes / KB).toFixed(1)} KB`;
    console.log(
      `min+gzip: agentc-realtime ${kb(core.gzip)} (budget ${kb(CORE_BUDGET)}, goal 35.0 KB); createClient only ${kb(createClient.gzip)}; ` +
        `agentc-realtime/audio ${kb(audio.gzip)} alone, adds ${kb(audioAdds.gzip)} to the core (not budgeted)`,
    );
    expect(core.gzip).toBeLessThanOrEqual(CORE_BUDGET);
    // the figures are of real bundles: the tree-shaken one is no larger than everything
    expect(createClient.gzip).toBeGreaterThan(0);
    expect(createClient.gzip).toBeLessThanOrEqual(core.gzip);
  }, 60_000);

  it('the measurement counts the dependencies and sees code added to the entry', async () => {
    const core = await bundleSize(entries.core);
    const alone = await bundleSize(`${entries.core} export const padding = ${JSON.stringify(randomText(20_000))};`);
    // 20 000 incompressible-ish characters cost thousands of gzipped bytes: the check would see them
    expect(alone.gzip - core.gzip).toBeGreaterThan(8_000);
    const xstate = await bundleSize(`export { createActor, setup } from 'xstate';`);
    expect(core.gzip).toBeGreaterThan(xstate.gzip); // xstate is in the core's figure, not left external
  }, 60_000);
});

/** Text gzip cannot shrink much: a seeded pseudo-random run of letters. */
function randomText(length: number): string {
  let seed = 42;
  let text = '';
  for (let i = 0; i < length; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    text += String.fromCharCode(97 + ((seed >>> 16) % 26));
  }
  return text;
}
