import { fileURLToPath } from 'node:url';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
import { findChromium } from './scripts/chromium.mjs';
import { viewerAttribute } from './test/browser/commands.js';
import { writeSineWav } from './test/browser/fake-mic-wav.js';

// `npm test` runs scripts/ensure-chromium.mjs first, which finds or installs Chromium (or explains how).
const chromium = findChromium() ?? '/usr/bin/chromium';

// Chromium's fake microphone plays this file in a loop: a 440 Hz sine at amplitude 0.5 (test/browser/audio).
const fakeMic = writeSineWav(fileURLToPath(new URL('./node_modules/.cache/agentc-realtime', import.meta.url)));

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          environment: 'node',
          include: ['test/node/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        // per checkout (not node_modules/.vite): checkouts that share node_modules do not re-optimise each other's deps
        cacheDir: fileURLToPath(new URL('./out/.vite', import.meta.url)),
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          globalSetup: ['test/browser/global-setup.ts'],
          testTimeout: 20_000,
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            commands: { viewerAttribute },
            provider: playwright({
              launchOptions: {
                executablePath: chromium,
                args: [
                  '--no-sandbox',
                  '--disable-gpu',
                  '--no-first-run',
                  '--disable-background-networking',
                  '--disable-component-update',
                  '--disable-sync',
                  '--autoplay-policy=no-user-gesture-required',
                  '--use-fake-ui-for-media-stream',
                  '--use-fake-device-for-media-stream',
                  `--use-file-for-fake-audio-capture=${fakeMic}`,
                ],
              },
            }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
});
