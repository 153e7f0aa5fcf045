// `npm run bench:size`: the min+gzip size of each browser entry with all its dependencies, as an
// app's bundler would ship it (esbuild: ESM, minified, browser platform, ES2020). The core entry's
// budget is 35 KB; the audio entry is reported apart (an app that uses it ships both, and the
// shared dependencies once: the "audio adds" line).
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { createReport, log } from './report.mjs';

async function size(contents) {
  const result = await build({
    stdin: { contents, resolveDir: new URL('..', import.meta.url).pathname, loader: 'js' },
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

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
const core = await size(`export * from './dist/index.js';`);
const audio = await size(`export * from './dist/audio/index.js';`);
const both = await size(`export * from './dist/index.js'; export * as audio from './dist/audio/index.js';`);
log('bundle size (esbuild, min + gzip)');
log(`  agentc-realtime          ${kb(core.gzip).padStart(9)}  (min ${kb(core.min)}; budget 35 KB)`);
log(`  agentc-realtime/audio    ${kb(audio.gzip).padStart(9)}  (min ${kb(audio.min)}; alone)`);
log(`  audio adds to the core   ${kb(both.gzip - core.gzip).padStart(9)}`);

const report = createReport('size');
const sizeFigure = (id, label, bytes, target, note) => report.figure({ id, label, value: bytes.gzip / 1024, unit: 'KB', bytes: bytes.gzip, minified: bytes.min, target, note });
sizeFigure('size.core', 'size: agentc-realtime, min+gzip', core, { on: 'value', op: '<=', value: 35, source: 'README (budget)' });
sizeFigure('size.coreVsReference', 'size: agentc-realtime vs the old SDK', core, { on: 'value', op: '<=', value: 27_868 / 1024, source: 'reference-sdk.md §8 (old SDK 27,868 B min+gzip)' });
sizeFigure('size.audio', 'size: agentc-realtime/audio alone, min+gzip', audio);
report.figure({ id: 'size.audioAdds', label: 'size: audio entry added to the core, min+gzip', value: (both.gzip - core.gzip) / 1024, unit: 'KB', bytes: both.gzip - core.gzip });
report.emit();
