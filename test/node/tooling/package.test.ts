/**
 * The package as npm would publish it passes publint and @arethetypeswrong/cli (the ESM-only profile:
 * the package has no CommonJS build, so node10 and require() resolutions are not asked for). `npm test`
 * builds dist first; this packs it (`npm pack --ignore-scripts`, offline) into a fresh folder under out/
 * and runs both tools' command lines on the tarball, failing with their report on any problem. A small
 * broken package checks that each tool, run the same way, does fail.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const publint = `${root}node_modules/publint/src/cli.js`;
const attw = `${root}node_modules/@arethetypeswrong/cli/dist/index.js`;

interface Run {
  code: number;
  output: string;
}

/** Runs a tool's command line with Node; resolves with its exit code and everything it printed. */
async function tool(cli: string, args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [cli, ...args], { cwd: root, timeout: 50_000, env: { ...process.env, NO_COLOR: '1' } });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

const checkPublint = (target: string) => tool(publint, [target, '--strict', '--level', 'suggestion']);
const checkAttw = (tarball: string) => tool(attw, [tarball, '--profile', 'esm-only', '--no-color', '--no-emoji']);

let dir = '';
let tarball = '';

beforeAll(async () => {
  if (!existsSync(`${root}dist/index.js`)) throw new Error('dist/ is missing: run `npm run build` first');
  mkdirSync(`${root}out`, { recursive: true });
  dir = mkdtempSync(`${root}out/pack-`);
  await exec('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], { cwd: root, timeout: 50_000 });
  const packed = readdirSync(dir).filter((file) => file.endsWith('.tgz'));
  expect(packed).toHaveLength(1);
  tarball = `${dir}/${packed[0]}`;
}, 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('passes publint with no error, warning or suggestion', async () => {
    const result = await checkPublint(tarball);
    expect(result.output).toContain('All good!');
    expect(result.code, result.output).toBe(0);
  }, 60_000);

  it('passes @arethetypeswrong/cli (esm-only profile)', async () => {
    const result = await checkAttw(tarball);
    expect(result.code, result.output).toBe(0); // attw exits 1 on any problem the profile does not ignore
    expect(result.output).toContain('"agentc-realtime/audio"'); // it looked at the entries
  }, 60_000);
});

describe('the checks themselves', () => {
  it('fail on a package with an export that has no types and one whose file is missing', async () => {
    const broken = mkdtempSync(`${root}out/broken-`);
    try {
      writeFileSync(
        `${broken}/package.json`,
        JSON.stringify({
          name: 'broken-package',
          version: '1.0.0',
          type: 'module',
          files: ['*.js', '*.d.ts'],
          exports: { '.': { types: './index.d.ts', default: './index.js' }, './untyped': './untyped.js', './gone': './gone.js' },
        }),
      );
      writeFileSync(`${broken}/index.js`, 'export const x = 1;\n');
      writeFileSync(`${broken}/index.d.ts`, 'export declare const x: number;\n');
      writeFileSync(`${broken}/untyped.js`, 'export const y = 2;\n');
      await exec('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', broken], { cwd: broken, timeout: 50_000 });
      const packed = `${broken}/broken-package-1.0.0.tgz`;
      const [lint, types] = await Promise.all([checkPublint(packed), checkAttw(packed)]);
      expect(lint.output).not.toContain('All good!');
      expect(lint.code).not.toBe(0);
      expect(types.code).not.toBe(0);
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  }, 60_000);
});
