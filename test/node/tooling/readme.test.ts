/**
 * The README's Node examples run as written: each `ts` block that starts with
 * `import { createClient } from 'agentc-realtime'` and takes `WebSocket` from `ws` is copied into a
 * module inside the package (so `agentc-realtime` resolves to the built package through its
 * `exports`, as it would for a user), pointed at a simulator instead of `http://127.0.0.1:8000`,
 * and run with Node. It must print what the README's comments promise and exit by itself.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, startSim } from '../integration/harness.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const readme = readFileSync(`${root}README.md`, 'utf8');

/** The `ts` code blocks that follow a heading or a paragraph containing `marker`. */
function example(marker: string): string {
  const at = readme.indexOf(marker);
  if (at < 0) throw new Error(`README: no "${marker}"`);
  const start = readme.indexOf('```ts\n', at);
  const end = readme.indexOf('\n```', start + 6);
  return readme.slice(start + 6, end);
}

async function runExample(name: string, code: string, base: string): Promise<string> {
  expect(code).toContain("'http://127.0.0.1:8000'");
  const dir = `${root}out/readme-examples/`;
  mkdirSync(dir, { recursive: true });
  const file = `${dir}${name}.mjs`;
  writeFileSync(file, code.replaceAll("'http://127.0.0.1:8000'", `'${base}'`));
  // exits by itself, or the timeout kills it and the test fails
  const { stdout } = await run(process.execPath, [file], { cwd: root, timeout: 20_000 });
  return stdout;
}

afterEach(cleanup);

describe('README examples (Node)', () => {
  it('the Node 20 quick start connects, lists voices and exits', async () => {
    const sim = await startSim();
    const code = example('Node 20 (pass `WebSocket`');
    expect(code).toMatch(/^import \{ createClient \} from 'agentc-realtime';/);
    const stdout = await runExample('quick-start', code, sim.httpUrl);
    const lines = stdout.trim().split('\n');
    expect(lines).toContain('connection ready');
    expect(lines).toContain('user_turn_start');
    expect(lines).toContain('voice_list'); // the answer to get_voices
  }, 30_000);

  it('"Chat in 15 lines" chats, switches to the firehose agent, cancels, and exits', async () => {
    const sim = await startSim({ deltaMs: 1 });
    const code = example('### Chat in 15 lines');
    expect(code.split('\n').filter((line) => line.trim() !== '').length).toBeLessThanOrEqual(15); // lines of code
    const stdout = await runExample('chat', code, sim.httpUrl);
    const lines = stdout.split(/[\r\n]/).map((line) => line.trim());
    expect(lines.some((line) => /^stop \d+$/.test(line)), stdout).toBe(true); // stopReason, outputTokens
    expect(lines).toContain('cancelled');
    expect(stdout).toContain("'user'"); // messages$ listed the user's message
  }, 30_000);
});
