// `npm run stately`: writes stately/ from the machines' source (src/machines/*.machine.ts), which
// keeps the states' descriptions that the shipped build leaves out (scripts/strip-descriptions.mjs).
// esbuild compiles them into out/ (their dependencies stay imports of node_modules), then this imports them.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { statelyFiles } from './stately.mjs';

const root = new URL('../', import.meta.url);
const machines = ['client', 'auth', 'connection', 'turn', 'interaction', 'conversation', 'outbox', 'voice', 'capture', 'playback', 'voice-input', 'avatar'];
const camel = (name) => name.replace(/-(\w)/g, (_, letter) => letter.toUpperCase());
const outfile = fileURLToPath(new URL('out/stately/machines.mjs', root));
await build({
  stdin: {
    contents: machines.map((name) => `export { ${camel(name)}Machine } from './src/machines/${name}.machine.ts';`).join('\n'),
    resolveDir: fileURLToPath(root),
    loader: 'ts',
  },
  bundle: true,
  format: 'esm',
  platform: 'node',
  packages: 'external',
  outfile,
  logLevel: 'warning',
});
const built = await import(pathToFileURL(outfile).href);

const dir = new URL('stately/', root);
mkdirSync(dir, { recursive: true });
for (const [file, content] of Object.entries(statelyFiles(machines.map((name) => built[`${camel(name)}Machine`])))) {
  writeFileSync(new URL(file, dir), content);
  console.log(`stately/${file}`);
}
