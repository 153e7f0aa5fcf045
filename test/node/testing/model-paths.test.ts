/**
 * The model paths run as a user runs them: a module that imports `agentc-realtime/testing` (the
 * built package, through its `exports`: the module is written under `out/` inside the package so
 * that the self-reference resolves) against a simulator, and the `agentc-model-paths` command run
 * as a subprocess against a simulator's URL — one line per path, exit 0 when none failed, 1 when
 * one did.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createModelPaths } from '../../../src/testing/index.js';
import { cleanup, startSim } from '../integration/harness.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { bin: Record<string, string> };
const paths = createModelPaths();

afterEach(cleanup);

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs node with `args` in the package root; resolves with the exit code and output (a kill by the timeout fails the test). */
function node(args: readonly string[], timeout = 60_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...args], { cwd: root, timeout, maxBuffer: 4 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? ((error as { code?: unknown }).code as number | null) : 0;
      resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
    });
  });
}

/** The result lines of the command: status, id, rest. */
function resultLines(stdout: string) {
  return stdout
    .split('\n')
    .map((line) => /^(passed|skipped|failed)\s+(\S+)\s+(.*)$/.exec(line))
    .filter((match) => match !== null)
    .map((match) => ({ status: match[1]!, id: match[2]!, rest: match[3]! }));
}

describe('agentc-realtime/testing, as a user runs it', () => {
  it('a module importing the built package runs every path green against a simulator', async () => {
    const dir = `${root}out/model-paths/`;
    mkdirSync(dir, { recursive: true });
    const file = `${dir}run-paths.mjs`;
    writeFileSync(
      file,
      `import { createSimulator } from 'agentc-realtime/sim';
import { createModelPaths } from 'agentc-realtime/testing';

const simulator = await createSimulator({ deltaMs: 2 });
const results = [];
for (const path of createModelPaths()) {
  const result = await path.run({ simulator });
  results.push({ id: path.id, description: path.description, status: result.status, reason: result.reason });
}
await simulator.close();
console.log(JSON.stringify(results));
`,
    );
    const run = await node([file], 120_000);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const results = JSON.parse(run.stdout) as { id: string; description: string; status: string; reason: string | null }[];
    expect(results.map((result) => result.description)).toEqual(paths.map((path) => path.description));
    expect(results.filter((result) => result.status !== 'passed')).toEqual([]);
  }, 150_000);

  it(`the agentc-model-paths command runs every path against --url: socket losses through its proxy, restarts and revocations skipped`, async () => {
    expect(pkg.bin['agentc-model-paths']).toBe('dist/testing/cli.js');
    expect(readFileSync(`${root}dist/testing/cli.js`, 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
    const sim = await startSim({ deltaMs: 2 });
    const run = await node([`${root}${pkg.bin['agentc-model-paths']}`, '--url', sim.httpUrl]);
    expect(run.stderr).toBe('');
    expect(run.code, run.stdout).toBe(0);
    const lines = resultLines(run.stdout);
    expect(lines.map((line) => line.id)).toEqual(paths.map((path) => path.id));
    for (const [index, line] of lines.entries()) {
      const path = paths[index]!;
      if (path.needs.length === 0) {
        expect(line, line.rest).toMatchObject({ status: 'passed', rest: path.description });
      } else {
        expect(line.status).toBe('skipped');
        expect(line.rest).toBe(`${path.description} — ${path.needs[0] === 'restart' ? 'needs a server restart' : 'needs the server to revoke every token'}, which a server at a URL cannot be told to do`);
      }
    }
    // the paths that lose the socket ran (through the proxy), and the simulator saw the reconnections
    const passed = lines.filter((line) => line.status === 'passed');
    expect(passed.filter((line) => line.rest.includes('DROP_CONNECTION')).length).toBeGreaterThanOrEqual(8);
    const reconnecting = paths.filter((path) => path.needs.length === 0 && /DROP_CONNECTION → .*RECONNECTED/.test(path.description)).length;
    expect(reconnecting).toBeGreaterThanOrEqual(2);
    expect(new Set(sim.control.frames.map((frame) => frame.connection)).size).toBeGreaterThanOrEqual(passed.length + reconnecting);
    const skipped = paths.filter((path) => path.needs.length > 0).length;
    expect(run.stdout).toContain(`${paths.length - skipped} passed, ${skipped} skipped, 0 failed`);
  }, 90_000);

  it('a path that does not hold fails, says why, and the command exits 1', async () => {
    // an "agent that fails" that answers normally: the ANSWER_FAILS paths must fail, the others pass
    const sim = await startSim({ deltaMs: 2 });
    const run = await node([`${root}dist/testing/cli.js`, '--url', sim.httpUrl, '--failing-agent', 'firehose', '--failing-text', 'stream 20', '--only', 'ANSWER_FAILS']);
    expect(run.code, run.stdout).toBe(1);
    const lines = resultLines(run.stdout);
    const chosen = paths.filter((path) => path.description.includes('ANSWER_FAILS'));
    expect(lines.map((line) => line.id)).toEqual(chosen.map((path) => path.id));
    const runnable = chosen.filter((path) => path.needs.length === 0);
    expect(runnable.length).toBeGreaterThan(3);
    for (const line of lines.filter((line) => line.status !== 'skipped')) {
      expect(line.status).toBe('failed');
      expect(line.rest).toMatch(/ — step \d+ \(ANSWER_FAILS → ended\.failed\): expected the last sendText to resolve 'failed'; the client shows .*last outcome done/);
    }
    expect(run.stdout).toContain(`0 passed, ${chosen.length - runnable.length} skipped, ${runnable.length} failed`);
  }, 90_000);

  it('without --url it runs against an embedded simulator; bad arguments exit 2 with one line', async () => {
    const embedded = await node([`${root}dist/testing/cli.js`, '--only', 'REVOKE_AND_DROP']);
    expect(embedded.code, embedded.stdout).toBe(0);
    expect(embedded.stdout).toMatch(/against an embedded simulator/);
    const lines = resultLines(embedded.stdout);
    expect(lines.length).toBe(paths.filter((path) => path.description.includes('REVOKE_AND_DROP')).length);
    expect(lines.every((line) => line.status === 'passed')).toBe(true);

    const bad = await node([`${root}dist/testing/cli.js`, '--url', 'localhost:8000']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')[0]).toBe("agentc-model-paths: --url must be an http(s) or ws(s) URL such as http://127.0.0.1:8000, got 'localhost:8000'.");
  }, 60_000);
});
