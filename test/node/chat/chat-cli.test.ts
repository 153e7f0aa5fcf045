/**
 * `agentc-chat`, the built command run as a subprocess as a user runs it: `--say` against the
 * embedded simulator and against a simulator at `--url`, the interactive chat driven through stdin
 * (a message, `/agent`, `/sessions`, `/new`, `/cancel` during a long answer, `/quit`), Ctrl-C, and
 * a `--url` where nothing listens.
 */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, startSim } from '../integration/harness.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { bin: Record<string, string> };
const cli = `${root}${pkg.bin['agentc-chat']}`;
const children: ChildProcessWithoutNullStreams[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await cleanup();
});

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(args: readonly string[], timeout = 30_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { cwd: root, timeout, env: { ...process.env, AGENTC_URL: '', AGENTC_TOKEN: '' } }, (error, stdout, stderr) => {
      const code = error ? (error as { code?: unknown }).code : 0;
      resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
    });
  });
}

/** The text the simulator streamed in `text_delta` frames, in order. */
function streamedText(sim: Awaited<ReturnType<typeof startSim>>): string {
  return sim.control.frames
    .filter((frame) => frame.direction === 'out' && frame.text?.includes('"text_delta"'))
    .map((frame) => (JSON.parse(frame.text!) as { content: string }).content)
    .join('');
}

/** An interactive chat: write lines, wait for output. */
function interactive(args: readonly string[]) {
  const child = spawn(process.execPath, [cli, ...args], { cwd: root, env: { ...process.env, AGENTC_URL: '', AGENTC_TOKEN: '' } });
  children.push(child);
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (const listener of [...listeners]) listener();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    exited,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    /** The output since `from` once it matches `pattern`. */
    waitFor(pattern: RegExp, from: number, ms = 10_000): Promise<string> {
      return new Promise((resolve, reject) => {
        const check = () => {
          const seen = stdout.slice(from);
          if (!pattern.test(seen)) return;
          done();
          resolve(seen);
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out after ${ms} ms waiting for ${pattern} in the output since #${from}: ${JSON.stringify(stdout.slice(from).slice(-1500))}; stderr ${JSON.stringify(stderr)}`));
        }, ms);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    /** Writes a line and waits for `pattern` in what follows. */
    async say(line: string, pattern: RegExp, ms?: number): Promise<string> {
      const from = stdout.length;
      child.stdin.write(`${line}\n`);
      return this.waitFor(pattern, from, ms);
    },
  };
}

describe('agentc-chat', () => {
  it('is the package bin, an executable script with --help', async () => {
    expect(pkg.bin['agentc-chat']).toBe('dist/chat/cli.js');
    expect(readFileSync(cli, 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['/cancel', '/agent', '/sessions', '/new', '/quit', '--say', '--url']) expect(help.stdout).toContain(command);
  });

  it('--say hello prints the answer from the embedded simulator and exits 0', async () => {
    const result = await run(['--say', 'hello']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    // the simulator's plain agent answers in markdown, naming what it was asked
    expect(result.stdout).toMatch(/hello/);
    expect(result.stdout.trim().split(/\s+/).length).toBeGreaterThan(10);
    expect(result.stdout.endsWith('\n')).toBe(true);
  }, 40_000);

  it('--say against --url prints exactly the text the server streamed, on stdout only', async () => {
    const sim = await startSim({ deltaMs: 1 });
    const result = await run(['--url', sim.httpUrl, '--say', 'hello there', '--agent', 'thinker']);
    expect(result.code, result.stderr).toBe(0);
    const text = streamedText(sim);
    expect(text.length).toBeGreaterThan(20);
    expect(result.stdout).toBe(`${text}\n`);
    // the thinker thought first: its thought went to stderr, not into the answer
    expect(sim.control.frames.some((frame) => frame.text?.includes('"thought_delta"'))).toBe(true);
    expect(result.stderr).toMatch(/\(thinking\) /);
  }, 40_000);

  it('an answer that fails ends with one line on stderr saying why, and exit 1', async () => {
    const sim = await startSim({ deltaMs: 1 });
    const result = await run(['--url', sim.httpUrl, '--say', 'hello', '--agent', 'failing']);
    expect(result.code).toBe(1);
    // the server's notice, then the outcome
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines.at(-1)).toMatch(/^agentc-chat: the answer ended failed: Exception .+/);
    expect(lines.slice(0, -1).every((line) => line.startsWith('· '))).toBe(true);
  }, 40_000);

  it('chats interactively: a message, /agent, /sessions, /new, /cancel during a long answer, /quit', async () => {
    const sim = await startSim({ deltaMs: 2, frames: 'compact' });
    const chat = interactive(['--url', sim.httpUrl]);
    await chat.waitFor(/· connected to http:\/\/127\.0\.0\.1:\d+; \/help lists the commands\n/, 0);

    const answer = await chat.say('hello', /· done \(stop, \d+ tokens\)\n/);
    expect(answer).toContain(streamedText(sim));

    const agents = await chat.say('/agent', /firehose/);
    expect(agents).toMatch(/^\* default +Domo$/m);
    expect(agents).toMatch(/^ {2}firehose +Firehose$/m);

    const firstSession = sim.control.uiSessions()[0]!.chatSessionId;
    const sessions = await chat.say('/sessions', new RegExp(firstSession));
    expect(sessions).toMatch(new RegExp(`^\\* ${firstSession} `, 'm'));

    const created = await chat.say('/new', /· new chat session (\S+)\n/);
    const newId = /· new chat session (\S+)\n/.exec(created)![1]!;
    expect(newId).not.toBe(firstSession);
    expect(sim.control.uiSessions()[0]!.chatSessionId).toBe(newId);

    await chat.say('/agent firehose', /· agent Firehose \(firehose\)\n/);
    const from = chat.stdout.length;
    chat.child.stdin.write('stream 5000\n');
    await chat.waitFor(/token after token/, from);
    const cancelled = await chat.say('/cancel', /· cancelled\n/);
    expect(cancelled).toMatch(/· cancelling\n/);
    // the answer stopped well before its 5000 deltas
    expect(sim.control.frames.filter((frame) => frame.text?.includes('"text_delta"')).length).toBeLessThan(4000);

    await chat.say('/nope', /· unknown command \/nope; \/help lists the commands\n/);
    chat.child.stdin.write('/quit\n');
    expect(await chat.exited).toBe(0);
    expect(chat.stderr).toBe('');
    expect(chat.stdout).not.toMatch(/\n\s+at /); // no stack trace anywhere
  }, 60_000);

  it('Ctrl-C cancels the answer in flight; a second Ctrl-C quits', async () => {
    const sim = await startSim({ deltaMs: 2, frames: 'compact' });
    const chat = interactive(['--url', sim.httpUrl, '--agent', 'firehose']);
    await chat.waitFor(/· connected to /, 0);
    const from = chat.stdout.length;
    chat.child.stdin.write('stream 5000\n');
    await chat.waitFor(/token after token/, from);
    chat.child.kill('SIGINT');
    await chat.waitFor(/· cancelling \(Ctrl-C again to quit\)\n[\s\S]*· cancelled\n/, from);
    chat.child.kill('SIGINT');
    expect(await chat.exited).toBe(130);
  }, 60_000);

  it('shows the changes of the connection as notices: a lost socket, then ready again', async () => {
    const sim = await startSim({ frames: 'compact' });
    const chat = interactive(['--url', sim.httpUrl]);
    await chat.waitFor(/· connected to /, 0);
    const from = chat.stdout.length;
    expect(sim.control.dropSocket()).toBe(1);
    const seen = await chat.waitFor(/· connection reconnecting \(network\)\n[\s\S]*· connection ready\n/, from, 15_000);
    expect(seen).toMatch(/· connection initializing\n/);
    expect(seen).not.toMatch(/\n\s+at /);
    // and it still chats
    await chat.say('hello', /· done \(stop, \d+ tokens\)\n/);
    chat.child.stdin.end('/quit\n');
    expect(await chat.exited).toBe(0);
  }, 40_000);

  it('the end of input lets the answer finish, then exits 0', async () => {
    const sim = await startSim({ deltaMs: 1, frames: 'compact' });
    const chat = interactive(['--url', sim.httpUrl]);
    chat.child.stdin.end('hello\n');
    expect(await chat.exited).toBe(0);
    expect(chat.stdout).toContain(streamedText(sim));
    expect(chat.stdout).toMatch(/· done \(stop, \d+ tokens\)\n$/);
  }, 40_000);

  it('a --url where nothing listens: one clear line and exit 1, without waiting for the connection timeout', async () => {
    // a port that was free a moment ago
    const server = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    for (const args of [['--say', 'hello'], []]) {
      // the client's connection timeout is 10 s: the run must end before it
      const result = await run(['--url', `http://127.0.0.1:${port}`, ...args], 9_000);
      expect(result.code, JSON.stringify(result)).toBe(1);
      expect(result.stderr).toBe(`agentc-chat: could not connect to http://127.0.0.1:${port}: network: Could not reach the login route: fetch failed\n`);
    }
  }, 40_000);

  it('bad arguments: one line, exit 2', async () => {
    const result = await run(['--url', 'nowhere']);
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n')[0]).toBe("agentc-chat: --url must be an http(s) or ws(s) URL such as http://127.0.0.1:8000, got 'nowhere'.");
  });
});
