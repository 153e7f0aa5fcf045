/**
 * The API reference builds from TSDoc without a warning: typedoc runs over the public entry points
 * (typedoc.json) with warnings as errors, so an undocumented public export, a `{@link}` that does
 * not resolve, or a missing module comment fails here. `npm run docs` writes the HTML to out/api/;
 * this test emits nothing.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));

describe('API reference (typedoc)', () => {
  it('covers every public entry point of package.json', () => {
    const config = JSON.parse(readFileSync(`${root}typedoc.json`, 'utf8')) as { entryPoints: string[]; treatWarningsAsErrors: boolean };
    const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { exports: Record<string, unknown> };
    // each entry with types maps to its source: ./dist/x.d.ts → src/x.ts
    // (the worklet's export is a file to load, not a module to import: its declaration declares nothing)
    const sources = Object.entries(pkg.exports)
      .filter(([key]) => !key.endsWith('.js'))
      .map(([, entry]) => entry)
      .flatMap((entry) => (typeof entry === 'object' && entry !== null && 'types' in entry ? [(entry as { types: string }).types] : []))
      .map((types) => types.replace(/^\.\/dist\//, 'src/').replace(/\.d\.ts$/, '.ts'));
    expect([...config.entryPoints].sort()).toEqual([...sources].sort());
    expect(config.treatWarningsAsErrors).toBe(true);
  });

  it('builds with no warning: every public export documented, no broken {@link}', async () => {
    const typedoc = `${root}node_modules/typedoc/bin/typedoc`;
    const result = await run(process.execPath, [typedoc, '--emit', 'none'], { cwd: root, timeout: 170_000 }).then(
      ({ stdout, stderr }) => ({ code: 0, output: stdout + stderr }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? 1, output: `${error.stdout ?? ''}${error.stderr ?? ''}` }),
    );
    // eslint-disable-next-line no-control-regex
    const plain = result.output.replace(/\x1b\[[0-9;]*m/g, '');
    expect(plain.split('\n').filter((line) => /\[(warning|error)\]/.test(line))).toEqual([]);
    expect(result.code).toBe(0);
  }, 180_000);
});
