// `npm run bench:size`: the min+gzip size of each browser entry with all its dependencies, as an
// app's bundler would ship it (esbuild: ESM, minified, browser platform, ES2020, gzip -9), from the
// built dist/ (run `npm run build` first).
//
// - "agentc-realtime" bundles `export *` of the core entry: everything it exports, as an app that uses
//   every export ships it. Its budget (CORE_BUDGET in test/node/tooling/size.test.ts, which measures
//   it the same way and fails over the budget) is what CI enforces.
// - "createClient only" is what an app that imports only `createClient` ships (tree-shaken; the
//   package has no side effects), the figure most apps pay.
// - "agentc-realtime/messages" is the message helpers alone (the core exports them too).
// - "agentc-realtime/audio" is reported apart, alone and as what it adds to the core (the shared
//   dependencies counted once); it has no budget.
//
// `node bench/size.mjs --json` prints the figures as one JSON line in the format every bench shares
// (bench/report.mjs; `bench/run.mjs` gathers them), the table going to stderr.
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { createReport, log } from './report.mjs';

const root = new URL('..', import.meta.url);

/** The entries measured: what an app writes, bundled from the package's root. */
export const entries = {
  core: `export * from './dist/index.js';`,
  createClient: `export { createClient } from './dist/index.js';`,
  messages: `export * from './dist/messages.js';`,
  audio: `export * from './dist/audio/index.js';`,
  coreAndAudio: `export * from './dist/index.js'; export * as audio from './dist/audio/index.js';`,
};

/** Bundles `contents` (ESM source) as an app's bundler would; its minified and gzipped byte counts. */
export async function bundleSize(contents) {
  const result = await build({
    stdin: { contents, resolveDir: fileURLToPath(root), loader: 'js' },
    bundle: true,
    format: 'esm',
    minify: true,
    platform: 'browser',
    target: 'es2020',
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].contents;
  return { min: code.length, gzip: gzipSync(code, { level: 9 }).length };
}

/** Every figure of the table, in bytes. */
export async function measure() {
  const [core, createClient, messages, audio, both] = await Promise.all([
    bundleSize(entries.core),
    bundleSize(entries.createClient),
    bundleSize(entries.messages),
    bundleSize(entries.audio),
    bundleSize(entries.coreAndAudio),
  ]);
  return { core, createClient, messages, audio, audioAdds: { min: both.min - core.min, gzip: both.gzip - core.gzip } };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const figures = await measure();
  const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
  const line = (name, { min, gzip }, note) => log(`  ${name.padEnd(26)}${kb(gzip).padStart(9)}  (min ${kb(min)}${note ? `; ${note}` : ''})`);
  log('bundle size (esbuild, min + gzip -9)');
  line('agentc-realtime', figures.core, 'budget 35 KB; CI ratchet: test/node/tooling/size.test.ts');
  line('  createClient only', figures.createClient, 'tree-shaken');
  line('agentc-realtime/messages', figures.messages, 'alone; the core exports the same helpers');
  line('agentc-realtime/audio', figures.audio, 'alone');
  line('  audio adds to the core', figures.audioAdds);

  const report = createReport('size');
  const sizeFigure = (id, label, bytes, target, note) =>
    report.figure({ id, label, value: bytes.gzip / 1024, unit: 'KB', bytes: bytes.gzip, minified: bytes.min, ...(target ? { target } : {}), ...(note ? { note } : {}) });
  sizeFigure('size.core', 'size: agentc-realtime, min+gzip', figures.core, { on: 'value', op: '<=', value: 35, source: 'README (budget)' });
  sizeFigure('size.coreVsReference', 'size: agentc-realtime vs the old SDK', figures.core, { on: 'value', op: '<=', value: 27_868 / 1024, source: 'reference-sdk.md §8 (old SDK 27,868 B min+gzip)' });
  sizeFigure('size.createClient', 'size: createClient only (tree-shaken), min+gzip', figures.createClient);
  sizeFigure('size.audio', 'size: agentc-realtime/audio alone, min+gzip', figures.audio);
  report.figure({ id: 'size.audioAdds', label: 'size: audio entry added to the core, min+gzip', value: figures.audioAdds.gzip / 1024, unit: 'KB', bytes: figures.audioAdds.gzip });
  report.emit();
}
