// `npm run bench:size`: the min+gzip size of each browser entry with all its dependencies, as an
// app's bundler would ship it (esbuild: ESM, minified, browser platform, ES2020). The core entry's
// budget is 35 KB; the audio entry is reported apart (an app that uses it ships both, and the
// shared dependencies once: the "audio adds" line).
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

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
console.log('bundle size (esbuild, min + gzip)');
console.log(`  agentc-realtime          ${kb(core.gzip).padStart(9)}  (min ${kb(core.min)}; budget 35 KB)`);
console.log(`  agentc-realtime/audio    ${kb(audio.gzip).padStart(9)}  (min ${kb(audio.min)}; alone)`);
console.log(`  audio adds to the core   ${kb(both.gzip - core.gzip).padStart(9)}`);
