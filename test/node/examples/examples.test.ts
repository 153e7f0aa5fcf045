/**
 * The framework examples (`examples/*`): each is built with Vite as a user would build it, served
 * on 127.0.0.1, pointed at a simulator by `?url=`, and clicked through in headless Chromium:
 * connect, a streamed answer, a long answer cancelled, an agent switch, an error shown. Also: the
 * examples import only the public package and their own files, and their TypeScript type-checks.
 *
 * Needs the built package (`npm run build`): the examples import `agentc-realtime`, which resolves
 * to `dist/` through the package's own `exports`.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright';
import { build, type Rolldown } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findChromium } from '../../../scripts/chromium.mjs';
import { createSimulator } from '../../../src/sim/index.js';
import { FIREHOSE_TOKENS } from '../../../src/sim/scripts.js';
import type { Simulator } from '../../../src/sim/types.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const examplesDir = join(repo, 'examples');
const artifacts = join(repo, 'out', 'artifacts', 'examples');
const EXAMPLES = ['vanilla', 'react', 'vue', 'svelte'] as const;

/**
 * Each example as `vite build` makes it (production), and React once more as a development build,
 * where StrictMode mounts every component twice (effects run, are cleaned up, run again).
 */
const CASES: readonly { readonly name: (typeof EXAMPLES)[number]; readonly mode: 'production' | 'development' }[] = [
  ...EXAMPLES.map((name) => ({ name, mode: 'production' as const })),
  { name: 'react', mode: 'development' },
];

/** What the examples may import besides their own files. */
const ALLOWED_PACKAGES = new Set(['agentc-realtime', 'react', 'react-dom/client', 'vue', 'svelte', 'vite', '@vitejs/plugin-vue', '@sveltejs/vite-plugin-svelte']);

/** How long one wait in the page may take before the test fails saying what it waited for. */
const WAIT = 10_000;

// ---------------------------------------------------------------------------------------------
// lifetimes: everything opened is closed in afterAll, in reverse order, even when a test failed

const closers: (() => Promise<unknown>)[] = [];
let browser: Browser | undefined;

beforeAll(async () => {
  const executablePath = findChromium();
  if (!executablePath) throw new Error('No Chromium found: install it (e.g. apt-get install chromium) or set CHROMIUM_BIN');
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
  closers.push(() => browser!.close());
  await mkdir(artifacts, { recursive: true });
}, 30_000);

afterAll(async () => {
  for (const close of closers.splice(0).reverse()) {
    try {
      await close();
    } catch {
      // keep closing the rest
    }
  }
});

function requireBuiltPackage(): void {
  if (!existsSync(join(repo, 'dist', 'index.js')) || !existsSync(join(repo, 'dist', 'index.d.ts'))) {
    throw new Error('dist/ is missing: run `npm run build` first (the examples import the built package)');
  }
}

// ---------------------------------------------------------------------------------------------
// building and serving

/** Builds an example with its own vite.config.ts; returns the output directory and every bundled module id. */
async function buildExample(name: string, mode: 'production' | 'development'): Promise<{ outDir: string; moduleIds: string[] }> {
  const root = join(examplesDir, name);
  const outDir = join(repo, 'out', 'examples', mode === 'production' ? name : `${name}-${mode}`);
  // Vite reads NODE_ENV (production or not: the JSX flavour, the define) before its mode, and
  // Vitest sets it to "test": set it as `vite build` would have it, for the build only
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = mode;
  let result: Awaited<ReturnType<typeof build>>;
  try {
    result = await build({
      root,
      configFile: join(root, 'vite.config.ts'),
      logLevel: 'silent',
      mode,
      // per checkout: node_modules is shared with other checkouts
      cacheDir: join(repo, 'out', '.vite', `examples-${name}`),
      build: { outDir, emptyOutDir: true },
    });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
  const outputs = (Array.isArray(result) ? result : [result]) as Rolldown.RolldownOutput[];
  const moduleIds = outputs.flatMap((output) => output.output.flatMap((item) => (item.type === 'chunk' ? item.moduleIds : [])));
  return { outDir, moduleIds };
}

const CONTENT_TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.json': 'application/json' };

/** Serves a directory of built files on 127.0.0.1 (index.html for `/`). */
async function serve(dir: string): Promise<string> {
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = resolve(dir, `.${path === '/' ? '/index.html' : path}`);
    if (!file.startsWith(dir + sep)) {
      res.writeHead(403).end();
      return;
    }
    readFile(file).then(
      (body) => res.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' }).end(body),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  closers.push(() => new Promise<void>((done) => server.close(() => done())));
  server.on('connection', (socket) => closers.push(async () => socket.destroy()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function startSimulator(): Promise<Simulator> {
  // deltaMs: a paced stream, so the firehose's 400 deltas take ~10 s and Cancel has time to act
  const sim = await createSimulator({ deltaMs: 25, seed: 7, frames: 'compact' });
  closers.push(() => sim.close());
  return sim;
}

// ---------------------------------------------------------------------------------------------
// the click-through, the same for every example (they share the data-testid hooks)

/** Waits for a selector in the page, failing with what it waited for. */
async function see(page: Page, selector: string, what: string, options: { hasText?: string | RegExp; state?: 'attached' | 'visible' | 'hidden' } = {}): Promise<void> {
  const locator = options.hasText === undefined ? page.locator(selector) : page.locator(selector).filter({ hasText: options.hasText });
  try {
    await locator.first().waitFor({ state: options.state ?? 'visible', timeout: WAIT });
  } catch (error) {
    const status = await page.getByTestId('status').textContent().catch(() => '?');
    const errors = await page.getByTestId('errors').textContent().catch(() => '?');
    const messages = await page
      .locator('[data-testid=messages] li')
      .evaluateAll((items) => items.map((item) => `<li ${[...item.attributes].map((a) => `${a.name}="${a.value}"`).join(' ')}>${(item.textContent ?? '').slice(0, 40)}`))
      .catch(() => []);
    throw new Error(`timed out waiting for ${what} (${selector}); status "${status}", errors "${errors}", messages:\n${messages.join('\n')}`, { cause: error });
  }
}

async function say(page: Page, text: string): Promise<void> {
  await page.getByTestId('input').fill(text);
  await page.getByTestId('send').click();
}

async function clickThrough(page: Page, sim: Simulator, name: string): Promise<void> {
  // connect
  await see(page, '[data-testid=status][data-state=idle]', 'the idle badge before Connect');
  await page.getByTestId('connect').click();
  await see(page, '[data-testid=status][data-state=ready]', 'the ready badge');
  await see(page, '[data-testid=connect]', 'the Connect button to go', { state: 'hidden' });
  expect(sim.control.uiSessions().filter((session) => session.connected)).toHaveLength(1);

  // the agent picker lists the catalogue and shows the current agent
  await see(page, '[data-testid=agent] option[value=firehose]', 'the catalogue in the agent picker', { state: 'attached' });
  await see(page, '[data-testid=agent][data-agent=default]', 'the current agent "default"', { state: 'attached' });
  expect(await page.getByTestId('agent').inputValue()).toBe('default');

  // a streamed answer: seen while streaming (streaming$), then complete in the list (messages$)
  await page.evaluate(() => {
    const flags = window as unknown as { sawStreaming: boolean };
    flags.sawStreaming = false;
    new MutationObserver(() => {
      if (document.querySelector('[data-testid=messages] [data-streaming][data-kind=assistant]')) flags.sawStreaming = true;
    }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  });
  await say(page, `Hello from ${name}`);
  await see(page, '[data-testid=messages] li[data-kind=user]', 'the user message', { hasText: `Hello from ${name}` });
  await see(page, '[data-testid=messages] li[data-kind=assistant][data-stop=stop]:not([data-streaming])', 'the complete answer');
  await see(page, '[data-testid=messages] [data-streaming]', 'no streaming message after the answer', { state: 'hidden' });
  expect(await page.evaluate(() => (window as unknown as { sawStreaming: boolean }).sawStreaming)).toBe(true);
  const answer = await page.locator('[data-testid=messages] li[data-kind=assistant]').last().textContent();
  expect(answer?.trim().length).toBeGreaterThan(20);

  // switch to the firehose, start a long answer, cancel it
  await page.getByTestId('agent').selectOption('firehose');
  await see(page, '[data-testid=agent][data-agent=firehose]', 'the server to confirm agent "firehose"', { state: 'attached' });
  await say(page, 'stream 400');
  await see(page, '[data-testid=messages] li[data-streaming][data-kind=assistant]', 'the firehose streaming', { hasText: 'realtime stream' });
  await page.getByTestId('cancel').click();
  // the real server ends an answer cancelled mid-stream without a completion (no stop reason): the
  // stream stops, the server says so in a notice, and the interaction ends (Cancel goes away)
  await see(page, '[data-testid=cancel]', 'the Cancel button to go once the answer ended', { state: 'hidden' });
  await see(page, '[data-testid=messages] [data-streaming]', 'no streaming message after the cancel', { state: 'hidden' });
  await see(page, '[data-testid=messages] li[data-kind=system]', 'the server notice of the cancel', { hasText: 'cancelled' });
  const afterQuestion = await page.locator('[data-testid=messages] li').evaluateAll((items) => {
    const question = items.map((item) => item.dataset.kind).lastIndexOf('user');
    return items.slice(question + 1).filter((item) => item.dataset.kind === 'assistant').map((item) => ({ text: item.textContent ?? '', stop: item.dataset.stop }));
  });
  const full = Array.from({ length: 400 }, (_, i) => FIREHOSE_TOKENS[i % FIREHOSE_TOKENS.length]).join('');
  expect(afterQuestion.map((m) => m.text).join('')).toContain('realtime stream');
  expect(afterQuestion.map((m) => m.text).join('').length).toBeLessThan(full.length / 2);
  expect(afterQuestion.filter((m) => m.stop === 'stop')).toEqual([]);

  // switch back
  await page.getByTestId('agent').selectOption('default');
  await see(page, '[data-testid=agent][data-agent=default]', 'the server to confirm agent "default"', { state: 'attached' });
  expect(await page.getByTestId('agent').inputValue()).toBe('default');

  // an error on errors$ is shown (a frame that is not valid JSON)
  sim.control.sendMalformed();
  await see(page, '[data-testid=errors] li', 'the protocol error', { hasText: /^protocol: / });
  await see(page, '[data-testid=status][data-state=ready]', 'the connection still ready after a bad frame');
  // once: a subscription left behind by a remount would show it twice
  expect(await page.locator('[data-testid=errors] li').allTextContents()).toEqual([expect.stringMatching(/^protocol: /)]);
}

// ---------------------------------------------------------------------------------------------

describe('examples', () => {
  for (const { name, mode } of CASES) {
    const label = mode === 'production' ? name : `${name} (${mode} build)`;
    it(`${label}: builds with Vite against the built package and passes the click-through in Chromium`, async () => {
      requireBuiltPackage();
      const { outDir, moduleIds } = await buildExample(name, mode);
      // agentc-realtime came from the built package, never from src/
      const inRepo = moduleIds.map((id) => relative(repo, id.replace(/\?.*$/, '')).split(sep).join('/'));
      // (dist/index.js itself is only re-exports, which the bundler skips: the package has no side effects)
      expect(inRepo).toContain('dist/client.js');
      expect(inRepo.filter((id) => id.startsWith('src/'))).toEqual([]);

      const [origin, sim] = await Promise.all([serve(outDir), startSimulator()]);
      const context = await browser!.newContext({ viewport: { width: 900, height: 700 } });
      closers.push(() => context.close());
      const page = await context.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));

      await page.goto(`${origin}/?url=${encodeURIComponent(sim.httpUrl)}`, { timeout: WAIT });
      try {
        await clickThrough(page, sim, name);
      } finally {
        await page.screenshot({ path: join(artifacts, `${mode === 'production' ? name : `${name}-${mode}`}.png`) }).catch(() => {});
      }
      expect(pageErrors).toEqual([]);
      await context.close();
    }, 45_000);
  }

  it('the examples import only the public package, their framework, and their own files', () => {
    const problems: string[] = [];
    const files = readdirSync(examplesDir, { recursive: true, encoding: 'utf8' }).filter((file) => /\.(ts|tsx|vue|svelte)$/.test(file));
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const text = readFileSync(join(examplesDir, file), 'utf8');
      const example = file.split(sep)[0]!;
      for (const [, specifier] of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g)) {
        if (specifier!.startsWith('.')) {
          const target = relative(join(examplesDir, example), resolve(examplesDir, file, '..', specifier!));
          if (target.startsWith('..')) problems.push(`${file}: ${specifier} leaves examples/${example}`);
        } else if (!ALLOWED_PACKAGES.has(specifier!)) {
          problems.push(`${file}: imports ${specifier}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('the TypeScript of the examples type-checks (examples/tsconfig.json)', async () => {
    requireBuiltPackage();
    const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = await promisify(execFile)(process.execPath, [tsc, '--noEmit', '-p', join(examplesDir, 'tsconfig.json')], { cwd: repo }).then(
      () => ({ ok: true, output: '' }),
      (error: { stdout?: string; stderr?: string }) => ({ ok: false, output: `${error.stdout ?? ''}${error.stderr ?? ''}` }),
    );
    expect(result.output).toBe('');
    expect(result.ok).toBe(true);
  }, 60_000);
});
