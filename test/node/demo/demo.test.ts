/**
 * The demo behind `npm start`: the server (demo/server.mjs) is spawned as `npm start` runs it, its
 * printed URL parsed, and headless Chromium (the `playwright` library) drives the page: a message
 * and its streamed answer, a long answer cancelled, a dropped socket and a refused token recovered
 * from, then Ctrl-C. With `--url` the same page talks to a separately started simulator, and the
 * fault buttons say they need the built-in one. Screenshots go to out/artifacts/demo/.
 *
 * Needs `npm run build` first (`npm test` does it): the page and the simulator use dist/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseDemoArgs } from '../../../demo/options.mjs';
import { findChromium } from '../../../scripts/chromium.mjs';
import { writeSineWav } from '../../browser/fake-mic-wav.js';
import { createSimulator } from '../../../src/sim/index.js';
import type { Simulator } from '../../../src/sim/types.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ARTIFACTS = fileURLToPath(new URL('../../../out/artifacts/demo/', import.meta.url));
const WAIT = 15_000;
const POLL = { timeout: WAIT, interval: 50 };

interface Demo {
  readonly child: ChildProcess;
  readonly url: string;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<number | null>;
}

const children: ChildProcess[] = [];
const browsers: Browser[] = [];
const simulators: Simulator[] = [];

/** Stops a child (SIGTERM, then SIGKILL) and resolves once it has exited. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(killer);
}

async function cleanUp(): Promise<void> {
  await Promise.allSettled(browsers.splice(0).map((browser) => browser.close()));
  await Promise.allSettled(children.splice(0).map(stop));
  await Promise.allSettled(simulators.splice(0).map((sim) => sim.close()));
}

/** Spawns the demo as `npm start -- …args` runs it, and waits for the URL it prints. */
function spawnDemo(args: readonly string[]): Promise<Demo> & { child: ChildProcess } {
  const child = spawn(process.execPath, ['demo/server.mjs', ...args], { cwd: ROOT, env: { ...process.env, CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<Demo>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`The demo printed no URL within ${WAIT} ms.\nstdout: ${out}\nstderr: ${err}`)), WAIT);
    child.stdout!.on('data', () => {
      const match = /^agentc-realtime demo: (http:\/\/\S+)$/m.exec(out);
      if (!match || !out.includes('Ctrl-C to stop')) return; // the last line printed at start
      clearTimeout(timer);
      resolve({ child, url: match[1]!, stdout: () => out, stderr: () => err, exited });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`The demo exited (${code}) before printing its URL.\nstdout: ${out}\nstderr: ${err}`));
    });
  });
  return Object.assign(ready, { child });
}

/** Chromium's flags for a fake microphone that plays `wav` in a loop (as vitest.config.ts sets them). */
const fakeMicrophone = (wav: string) => ['--autoplay-policy=no-user-gesture-required', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${wav}`];

async function openPage(url: string, extraArgs: readonly string[] = []): Promise<{ page: Page; pageErrors: string[] }> {
  const executablePath = findChromium();
  if (!executablePath) throw new Error('No Chromium found (set CHROMIUM_BIN, or run node scripts/ensure-chromium.mjs)');
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', ...extraArgs] });
  browsers.push(browser);
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(url);
  return { page, pageErrors };
}

const screenshot = (page: Page, name: string) => page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });
const byTestId = (id: string) => `[data-testid="${id}"]`;

/** The connection states and auth states the page's timeline listed from index `from` on. */
const timelineFrom = (page: Page, from: number) =>
  page.$$eval(`${byTestId('timeline')} li`, (items, start) => items.slice(start).map((li) => ({ connection: li.getAttribute('data-connection'), auth: li.getAttribute('data-auth') })), from);

/** Waits until the page's timeline, from index `from`, has `states` in this order (others may come between). */
async function waitForSequence(page: Page, from: number, states: readonly string[], key: 'connection' | 'auth' = 'connection'): Promise<void> {
  await page.waitForFunction(
    ({ start, wanted, attribute }) => {
      const seen = [...document.querySelectorAll('[data-testid="timeline"] li')].slice(start).map((li) => li.getAttribute(`data-${attribute}`));
      let next = 0;
      for (const state of seen) if (state === wanted[next]) next++;
      return next === wanted.length;
    },
    { start: from, wanted: states, attribute: key },
    { timeout: WAIT },
  );
}

const timelineLength = (page: Page) => page.locator(`${byTestId('timeline')} li`).count();

/** Sends a message through the composer. */
async function send(page: Page, text: string): Promise<void> {
  await page.fill(byTestId('message-input'), text);
  await page.click(byTestId('send'));
}

/** Waits for the committed answer whose text contains `text` and whose end is known; returns how it ended. */
async function answerContaining(page: Page, text: string): Promise<{ outcome: string | null; stopReason: string | null; complete: string | null }> {
  const answer = page.locator(`${byTestId('message')}[data-kind="assistant"][data-outcome]`, { hasText: text }).last();
  await answer.waitFor({ timeout: WAIT });
  return { outcome: await answer.getAttribute('data-outcome'), stopReason: await answer.getAttribute('data-stop-reason'), complete: await answer.getAttribute('data-complete') };
}

beforeAll(() => {
  for (const path of ['dist/index.js', 'dist/sim/index.js', 'dist/audio/capture.worklet.js']) {
    if (!existsSync(`${ROOT}${path}`)) throw new Error(`${path} is missing: run "npm run build" first (npm test does)`);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
});
afterEach(cleanUp);
afterAll(cleanUp);

describe('npm start (the built-in simulator)', () => {
  it('serves the page: a streamed answer, a cancelled one, a drop and a refused token recovered from; Ctrl-C closes everything', { timeout: 120_000 }, async () => {
    const demo = await spawnDemo(['--port', '0', '--no-open']);
    const simUrl = /simulator \(full profile\): (http:\/\/\S+)/.exec(demo.stdout())?.[1];
    expect(simUrl, demo.stdout()).toBeDefined();
    const { page, pageErrors } = await openPage(demo.url);

    await page.locator(`${byTestId('connection-state')}[data-state="ready"]`).waitFor({ timeout: WAIT });
    await page.locator(`${byTestId('agent-picker')} option`).first().waitFor({ state: 'attached', timeout: WAIT });
    await screenshot(page, '01-ready');

    // a message, and its answer seen growing (every streamed text length is recorded), then ending
    await page.evaluate(() => {
      const lengths: number[] = [];
      (window as unknown as { lengths: number[] }).lengths = lengths;
      new MutationObserver(() => {
        const streaming = document.querySelector('[data-testid="streaming"][data-kind="assistant"]');
        if (streaming && streaming.textContent!.length !== lengths.at(-1)) lengths.push(streaming.textContent!.length);
      }).observe(document.querySelector('[data-testid="messages"]')!, { childList: true, subtree: true, characterData: true });
    });
    await send(page, 'Hello from the demo test');
    await expect.poll(() => page.locator(`${byTestId('message')}[data-kind="user"]`, { hasText: 'Hello from the demo test' }).count(), POLL).toBe(1);
    expect(await answerContaining(page, 'You asked about “Hello from the demo test”')).toEqual({ outcome: 'done', stopReason: 'stop', complete: 'true' });
    await page.locator(byTestId('streaming')).waitFor({ state: 'detached', timeout: WAIT });
    const lengths = await page.evaluate(() => (window as unknown as { lengths: number[] }).lengths);
    expect(lengths.length).toBeGreaterThan(1); // it grew delta by delta, not in one piece
    expect(lengths.every((length, i) => i === 0 || length > lengths[i - 1]!)).toBe(true);
    await screenshot(page, '02-answer');

    // a long answer, cancelled while it streams: it ends cancelled and Cancel is off again
    await send(page, 'SLOW 200 tell me a long story');
    await page.locator(`${byTestId('streaming')}[data-kind="assistant"]`, { hasText: 'the bridge keeps' }).waitFor({ timeout: WAIT });
    await expect.poll(() => page.locator(byTestId('cancel')).isEnabled(), POLL).toBe(true);
    await screenshot(page, '03-streaming');
    await page.click(byTestId('cancel'));
    // the server sends no stop reason for a cancel: sendText's outcome says it, and the page shows it
    expect((await answerContaining(page, 'the bridge keeps')).outcome).toBe('cancelled');
    await expect.poll(() => page.locator(`${byTestId('message')}[data-outcome="cancelled"] .meta`).last().textContent(), POLL).toBe('answer cancelled');
    await expect.poll(() => page.locator(byTestId('cancel')).isEnabled(), POLL).toBe(false);
    await expect.poll(() => page.locator(byTestId('streaming')).count(), POLL).toBe(0);
    await screenshot(page, '04-cancelled');

    // another site cannot press the buttons: without the page's header the server refuses
    const forged = await fetch(new URL('/faults/drop', demo.url), { method: 'POST' });
    expect(forged.status).toBe(403);

    // drop: reconnecting, then ready again
    let from = await timelineLength(page);
    await page.click(byTestId('fault-drop'));
    await expect.poll(() => page.locator(byTestId('fault-result')).getAttribute('data-ok'), POLL).toBe('true');
    await expect.poll(() => page.locator(byTestId('fault-result')).textContent(), POLL).toContain('Dropped 1 socket');
    await waitForSequence(page, from, ['reconnecting', 'ready']);
    await screenshot(page, '05-dropped-and-back');

    // the token is refused (revoked, and the socket dropped): the client logs in again and is ready
    for (const shown of await page.locator(byTestId('error-toast')).all()) await shown.click(); // dismissed: only new problems show
    from = await timelineLength(page);
    await page.click(byTestId('fault-refuse-token'));
    await expect.poll(() => page.locator(byTestId('fault-result')).getAttribute('data-fault'), POLL).toBe('refuse-token');
    await expect.poll(() => page.locator(byTestId('fault-result')).getAttribute('data-ok'), POLL).toBe('true');
    await waitForSequence(page, from, ['reconnecting', 'ready']);
    await waitForSequence(page, from, ['valid', 'loggingIn', 'valid'], 'auth');
    const after = await timelineFrom(page, from);
    expect(after.at(-1)).toMatchObject({ connection: 'ready', auth: 'valid' });
    // the refused reconnect is reported, visibly
    await expect.poll(() => page.locator(byTestId('error-toast')).allTextContents(), POLL).toEqual(expect.arrayContaining([expect.stringMatching(/handshake/i)]));
    // and the chat works on the new login
    await send(page, 'Still there after a new login?');
    expect((await answerContaining(page, 'You asked about “Still there after a new login?”')).outcome).toBe('done');
    await screenshot(page, '06-token-refused-and-back');

    // the statechart view lists the machines' current states
    await expect.poll(() => page.locator(`${byTestId('states')} tr[data-actor="connection"]`).getAttribute('data-state'), POLL).toMatch(/ready/);
    expect(pageErrors).toEqual([]);

    // Ctrl-C: the process ends and takes the simulator with it
    demo.child.kill('SIGINT');
    expect(await demo.exited).toBe(0);
    await expect(fetch(demo.url)).rejects.toThrow();
    await expect(fetch(`${simUrl}/api/rt/login`, { method: 'POST' })).rejects.toThrow();
  });

  it('push-to-talk: the level meter moves while held, the simulator answers the utterance, and the answer is spoken', { timeout: 60_000 }, async () => {
    const demo = await spawnDemo(['--port', '0', '--no-open']);
    const { page, pageErrors } = await openPage(demo.url, fakeMicrophone(writeSineWav(`${ROOT}out/demo-mic`)));
    await page.locator(`${byTestId('connection-state')}[data-state="ready"]`).waitFor({ timeout: WAIT });

    // a voice that speaks (the simulator's full profile sends PCM speech for it)
    await page.locator(`${byTestId('voice-picker')} option[value="alloy"]`).waitFor({ state: 'attached', timeout: WAIT });
    await page.selectOption(byTestId('voice-picker'), 'alloy');
    const voiceState = page.locator(byTestId('voice-state'));
    await expect.poll(() => voiceState.getAttribute('data-voice'), POLL).toBe('alloy'); // the server confirmed it

    await page.locator(byTestId('ptt')).hover();
    await page.mouse.down();
    await expect.poll(() => voiceState.getAttribute('data-input'), POLL).toBe('recording');
    await expect.poll(async () => Number(await voiceState.getAttribute('data-chunks-sent')), POLL).toBeGreaterThanOrEqual(4); // 4 × 200 ms sent
    // the fake microphone's sine at half scale is loud on the meter (-60..0 dBFS)
    expect(Number(await page.locator(byTestId('level')).getAttribute('data-level'))).toBeGreaterThan(0.5);
    await screenshot(page, '08-push-to-talk-held');
    await page.mouse.up();

    // the utterance became a user turn; its answer arrives as text and as speech
    await page.locator(`${byTestId('message')}[data-kind="user"]`, { hasText: 'Voice message (' }).waitFor({ timeout: WAIT });
    await page.locator(`${byTestId('message')}[data-kind="assistant"][data-complete="true"]`, { hasText: 'You asked about “Voice message (' }).waitFor({ timeout: WAIT });
    await expect.poll(() => voiceState.getAttribute('data-output'), POLL).toBe('playing');
    await screenshot(page, '09-spoken-answer');
    expect(pageErrors).toEqual([]);
  });

  it('the avatar panel starts an avatar on the fake HeyGen, sees its stream ready, and stops it', { timeout: 60_000 }, async () => {
    const demo = await spawnDemo(['--port', '0', '--no-open']);
    const { page, pageErrors } = await openPage(demo.url);
    await page.locator(`${byTestId('connection-state')}[data-state="ready"]`).waitFor({ timeout: WAIT });
    const avatar = page.locator(byTestId('avatar'));
    expect(await avatar.getAttribute('data-state')).toBe('none');
    await expect.poll(() => page.locator(byTestId('avatar-start')).isEnabled(), POLL).toBe(true);
    await page.click(byTestId('avatar-start'));
    await expect.poll(() => avatar.getAttribute('data-state'), POLL).toBe('connected');
    await expect.poll(() => page.locator(byTestId('avatar-state')).textContent(), POLL).toMatch(/^connected · session .+ · listening$/); // the stream is ready
    await screenshot(page, '10-avatar');
    await page.click(byTestId('avatar-stop'));
    await expect.poll(() => avatar.getAttribute('data-state'), POLL).toBe('none');
    expect(pageErrors).toEqual([]);
  });

  it('says clearly when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const demo = spawnDemo(['--port', String(port), '--no-open']);
      demo.catch(() => undefined);
      const code = await new Promise<number | null>((resolve) => demo.child.once('exit', resolve));
      expect(code).toBe(1);
      await expect(demo).rejects.toThrow(new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use.*--port 0 picks a free one`));
    } finally {
      blocker.close();
    }
  });
});

describe('npm start -- --url (a server started elsewhere)', () => {
  it('points the page at that server; the fault buttons say they need the built-in simulator', { timeout: 60_000 }, async () => {
    const sim = await createSimulator({ port: 0 });
    simulators.push(sim);
    const demo = await spawnDemo(['--port', '0', '--no-open', '--url', sim.httpUrl]);
    expect(demo.stdout()).toContain(`server: ${sim.httpUrl}`);

    const config = (await (await fetch(new URL('/config.json', demo.url))).json()) as { apiUrl: string; simulator: boolean; faults: string[] };
    expect(config).toMatchObject({ apiUrl: sim.httpUrl, simulator: false, faults: [] });
    const refused = await fetch(new URL('/faults/drop', demo.url), { method: 'POST', headers: { 'x-agentc-demo': '1' } });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { message: string }).message).toMatch(/needs the built-in simulator.*without --url/);

    const { page, pageErrors } = await openPage(demo.url);
    await page.locator(`${byTestId('connection-state')}[data-state="ready"]`).waitFor({ timeout: WAIT });
    // the page's client is the one UI session of that simulator
    expect(sim.control.uiSessions().filter((session) => session.connected)).toHaveLength(1);
    await send(page, 'Hello over --url');
    expect((await answerContaining(page, 'You asked about “Hello over --url”')).outcome).toBe('done');

    await expect.poll(() => page.locator(byTestId('fault-result')).textContent(), POLL).toContain('need the built-in simulator');
    await page.click(byTestId('fault-drop'));
    await expect.poll(() => page.locator(byTestId('fault-result')).getAttribute('data-ok'), POLL).toBe('false');
    await expect.poll(() => page.locator(byTestId('fault-result')).textContent(), POLL).toContain(`this demo talks to a real server (${sim.httpUrl})`);
    // nothing was dropped: still ready, still one connected UI session
    await expect.poll(() => page.locator(byTestId('connection-state')).getAttribute('data-state'), POLL).toBe('ready');
    expect(sim.control.uiSessions().filter((session) => session.connected)).toHaveLength(1);
    await screenshot(page, '07-url-faults-refused');
    expect(pageErrors).toEqual([]);
  });
});

describe('the demo command line', () => {
  it('defaults to 127.0.0.1:5173, the simulator, and opening a browser', () => {
    expect(parseDemoArgs([], {})).toEqual({
      ok: true,
      help: false,
      options: { port: 5173, host: '127.0.0.1', url: null, username: 'admin', password: 'changeme', deltaMs: 30, open: true },
    });
  });

  it('reads --port, --host, --url, --no-open and the credentials (flags over AGENTC_* variables)', () => {
    const parsed = parseDemoArgs(['--port', '0', '--host', '::1', '--url', 'https://agentc.local:8000/', '--no-open', '--password', 'pw'], { AGENTC_USERNAME: 'me', AGENTC_PASSWORD: 'env' });
    expect(parsed).toEqual({ ok: true, help: false, options: { port: 0, host: '::1', url: 'https://agentc.local:8000', username: 'me', password: 'pw', deltaMs: 30, open: false } });
  });

  it('refuses what it cannot use, saying which option and why', () => {
    const error = (argv: string[]) => {
      const parsed = parseDemoArgs(argv, {});
      return parsed.ok ? null : parsed.error;
    };
    expect(error(['--port', 'abc'])).toMatch(/^--port: expected a port number/);
    expect(error(['--port', '70000'])).toMatch(/^--port/);
    expect(error(['--url', 'not a url'])).toMatch(/^--url: expected the server's API base/);
    expect(error(['--url', 'ws://host:8000'])).toMatch(/^--url: expected an http:\/\/ or https:\/\//);
    expect(error(['--url', 'http://host', '--delta-ms', '5'])).toMatch(/does not go with --url/);
    expect(error(['--profile', 'full'])).toMatch(/'--profile'.*npm run sim -- --help/); // the simulator's own flags
  });
});
