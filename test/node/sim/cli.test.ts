import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyStartupFaults, parseCliArgs, parseDuration, runCommand } from '../../../src/sim/cli.js';
import { createSimulator } from '../../../src/sim/index.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const cli = fileURLToPath(new URL('../../../dist/sim/cli.js', import.meta.url));

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['15m', 900_000],
    ['2h', 7_200_000],
    ['8d', 691_200_000],
    ['1.5h', 5_400_000],
    ['250', 250],
    ['0', 0],
    [' 10s ', 10_000],
  ])('%j is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 'abc', '10x', '-5s', 's', '1e3', '5 s', '8D', '1..2s', '10sec', 'Infinity', '9'.repeat(20) + 'd'])(
    'rejects %j',
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );
});

describe('parseCliArgs', () => {
  it('fills in the defaults', () => {
    expect(parseCliArgs([])).toEqual({
      ok: true,
      help: false,
      options: {
        port: 8000,
        host: '127.0.0.1',
        profile: 'agentc',
        seed: 1,
        tokenTtlMs: undefined,
        deltaMs: 30,
        heygen: true,
        realisticTiming: false,
        frames: 'realistic',
        faults: { stalls: [] },
      },
    });
  });

  it('takes every option, in both --flag value and --flag=value form', () => {
    expect(
      parseCliArgs([
        '--port=0',
        '--host',
        '0.0.0.0',
        '--profile',
        'full',
        '--seed=-42',
        '--token-ttl',
        '15m',
        '--delta-ms=0',
        '--no-heygen',
        '--realistic-timing',
        '--frames',
        'compact',
      ]),
    ).toEqual({
      ok: true,
      help: false,
      options: {
        port: 0,
        host: '0.0.0.0',
        profile: 'full',
        seed: -42,
        tokenTtlMs: 900_000,
        deltaMs: 0,
        heygen: false,
        realisticTiming: true,
        frames: 'compact',
        faults: { stalls: [] },
      },
    });
  });

  it('takes the fault flags', () => {
    const parsed = parseCliArgs([
      '--latency', '200', '--jitter=50', '--drop-after', '12', '--drop-at', 'agent_list',
      '--fail-refresh', '503', '--stall', 'ping=5000', '--stall=get_voices=100',
    ]);
    expect(parsed).toMatchObject({
      ok: true,
      options: {
        faults: {
          latencyMs: 200,
          jitterMs: 50,
          dropAfterFrames: 12,
          dropAtEvent: 'agent_list',
          failRefreshStatus: 503,
          stalls: [['ping', 5000], ['get_voices', 100]],
        },
      },
    });
  });

  it.each([
    [['--latency', 'soon'], "--latency must be a whole number (0 or more), got 'soon'."],
    [['--fail-refresh', '200'], "--fail-refresh must be an HTTP error status from 400 to 599, got '200'."],
    [['--stall', 'ping'], "--stall must look like <type>=<ms>, e.g. ping=5000, got 'ping'."],
    [['--drop-at', ' '], '--drop-at must name an event type, e.g. agent_list.'],
    [['--frames', 'huge'], "--frames must be 'realistic' or 'compact', got 'huge'."],
  ])('rejects bad fault flags %j', (argv, error) => {
    expect(parseCliArgs(argv)).toEqual({ ok: false, error });
  });

  it('recognises --help (and -h)', () => {
    expect(parseCliArgs(['--help'])).toMatchObject({ ok: true, help: true });
    expect(parseCliArgs(['-h', '--port', '9000'])).toMatchObject({ ok: true, help: true, options: { port: 9000 } });
  });

  it.each([
    [['--bogus'], /Unknown option '--bogus'/],
    [['--heygen'], /Unknown option '--heygen'/],
    [['extra'], /Unexpected argument 'extra'/],
    [['--port'], /^Option '--port <value>' argument missing\.$/],
    [['-x'], /^Unknown option '-x'\.$/],
    [['--port', 'abc'], /--port must be a whole number from 0 to 65535, got 'abc'/],
    [['--port', '70000'], /--port must be a whole number/],
    [['--port', '-1'], /^Option '--port' is missing its value \(write --port=<value> for a value that starts with a dash\)\.$/],
    [['--port=-1'], /--port must be a whole number/],
    [['--seed', '-3'], /Option '--seed' is missing its value/],
    [['--port', '80.5'], /--port must be a whole number/],
    [['--host', ''], /--host must not be empty/],
    [['--profile', 'nope'], /--profile must be 'agentc' or 'full', got 'nope'/],
    [['--seed', '1.5'], /--seed must be a whole number/],
    [['--token-ttl', '8 days'], /--token-ttl must be a positive duration/],
    [['--token-ttl', '0s'], /--token-ttl must be a positive duration/],
    [['--delta-ms', 'fast'], /--delta-ms must be a whole number/],
    [['--no-heygen=yes'], /no-heygen/],
  ])('rejects %j with one clear line', (argv, message) => {
    const result = parseCliArgs(argv);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatch(message);
    expect(result.error).not.toContain('\n');
  });
});

/** Whether dist/sim holds a build of every src/sim module at least as new as its source. */
function isBuildFresh(): boolean {
  const srcDir = new URL('../../../src/sim/', import.meta.url);
  for (const name of readdirSync(srcDir)) {
    if (!name.endsWith('.ts') || name.endsWith('.d.ts')) continue;
    const built = new URL(`../../../dist/sim/${name.replace(/\.ts$/, '.js')}`, import.meta.url);
    if (!existsSync(built) || statSync(built).mtimeMs < statSync(new URL(name, srcDir)).mtimeMs) return false;
  }
  return existsSync(cli);
}

/** Run the built CLI to completion (for invocations that exit on their own). */
function runCli(args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout: 10_000 });
}

describe('fault commands and flags, against a real simulator', () => {
  async function withSim<T>(fn: (sim: Awaited<ReturnType<typeof createSimulator>>) => Promise<T>): Promise<T> {
    const sim = await createSimulator({ deltaMs: 0 });
    try {
      return await fn(sim);
    } finally {
      await sim.close();
    }
  }
  const refresh = (sim: { httpUrl: string; control: { issueToken(): string } }) =>
    fetch(`${sim.httpUrl}/api/rt/refresh_token`, { headers: { authorization: `Bearer ${sim.control.issueToken()}` } });

  it('fail-refresh <status> / off changes what refresh_token answers', async () => {
    await withSim(async (sim) => {
      expect(runCommand(sim.control, 'fail-refresh 503')).toBe('refresh_token answers 503');
      expect((await refresh(sim)).status).toBe(503);
      expect(runCommand(sim.control, 'fail-refresh off')).toBe('refresh_token works again');
      expect((await refresh(sim)).status).toBe(200);
    });
  });

  it('expire makes earlier tokens fail at refresh_token; clear undoes the refresh fault', async () => {
    await withSim(async (sim) => {
      const token = sim.control.issueToken();
      expect(runCommand(sim.control, 'expire')).toBe('every token issued so far is expired');
      const answer = await fetch(`${sim.httpUrl}/api/rt/refresh_token`, { headers: { authorization: `Bearer ${token}` } });
      expect(answer.status).toBe(401);
      runCommand(sim.control, 'fail-refresh 500');
      expect(runCommand(sim.control, 'clear')).toBe('every fault undone');
      expect((await refresh(sim)).status).toBe(200);
    });
  });

  it('answers usage for malformed commands and names unknown ones', async () => {
    await withSim(async (sim) => {
      expect(runCommand(sim.control, 'latency soon')).toBe('usage: latency <ms> [jitter]');
      expect(runCommand(sim.control, 'stall ping')).toBe('usage: stall <type> <ms>');
      expect(runCommand(sim.control, 'fail-refresh 200')).toBe('usage: fail-refresh <400-599|off>');
      expect(runCommand(sim.control, 'explode')).toBe("unknown command 'explode'; type help");
      expect(runCommand(sim.control, 'sessions')).toBe('no UI sessions');
      expect(runCommand(sim.control, 'drop')).toBe('dropped 0 socket(s)');
    });
  });

  it('startup faults arm the simulator: --fail-refresh and --drop-at', async () => {
    await withSim(async (sim) => {
      const parsed = parseCliArgs(['--fail-refresh', '502', '--drop-at', 'voice_list']);
      if (!parsed.ok) throw new Error(parsed.error);
      applyStartupFaults(sim.control, parsed.options.faults);
      expect((await refresh(sim)).status).toBe(502);
      const { WebSocket } = await import('ws');
      const socket = new WebSocket(`${sim.wsUrl}?token=${sim.control.issueToken()}`);
      const types: string[] = [];
      socket.on('message', (data) => types.push((JSON.parse(String(data)) as { type: string }).type));
      const code = await new Promise<number>((resolve) => socket.on('close', (c) => resolve(c)));
      expect(code).toBe(1006);
      expect(types).toEqual(['ui_session_id_changed', 'chat_user_data', 'avatar_list']);
    });
  });
});

describe('agentc-sim (built)', () => {
  beforeAll(() => {
    // `npm test` builds dist first; a bare `vitest run` may not have, or may find it older than src.
    if (isBuildFresh()) return;
    const tsc = fileURLToPath(new URL('../../../node_modules/typescript/bin/tsc', import.meta.url));
    const build = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, encoding: 'utf8' });
    // Type errors elsewhere still emit; only a missing program is fatal here.
    if (!existsSync(cli)) throw new Error(`building dist failed:\n${build.stdout}${build.stderr}`);
  }, 120_000);

  it('--help prints the usage and exits 0', () => {
    const result = runCli(['--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Usage: agentc-sim/);
    expect(result.stdout).toContain('--token-ttl');
    expect(result.stderr).toBe('');
  });

  it('runs through a symlink, as an npm bin does', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentc-sim-'));
    try {
      const link = join(dir, 'agentc-sim');
      symlinkSync(cli, link);
      const result = spawnSync(process.execPath, [link, '--help'], { encoding: 'utf8', timeout: 10_000 });
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/^Usage: agentc-sim/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('does nothing when imported rather than run', () => {
    const script = `await import(${JSON.stringify(pathToFileURL(cli).href)}); process.stdout.write('imported');`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 10_000 });
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('imported');
  });

  it('--profile nope exits 2 with a clear error', () => {
    const result = runCli(['--profile', 'nope']);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      "agentc-sim: --profile must be 'agentc' or 'full', got 'nope'.\nRun agentc-sim --help for usage.\n",
    );
  });

  it('an unknown flag exits 2', () => {
    const result = runCli(['--frobnicate']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^agentc-sim: Unknown option '--frobnicate'\.\nRun agentc-sim --help for usage\.\n$/);
  });

  it('starts on the port the OS picks, accepts the development login, and stops on SIGINT', async () => {
    const child = spawn(process.execPath, [cli, '--port', '0', '--seed', '3'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.on('exit', (code, signal) => resolve({ code, signal }));
    });
    const deadline = setTimeout(() => child.kill('SIGKILL'), 9_000);
    try {
      const apiBase = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk: string) => {
          stdout += chunk;
          const match = /^ {2}API base: {2}(http:\/\/\S+)$/m.exec(stdout);
          if (match && stdout.includes('Press Ctrl-C to stop.\n')) resolve(match[1]!);
        });
        child.stderr.on('data', (chunk: string) => (stderr += chunk));
        void exited.then(({ code }) => reject(new Error(`agentc-sim exited early (${code}): ${stderr}${stdout}`)));
      });

      const url = new URL(apiBase);
      expect(url.hostname).toBe('127.0.0.1');
      expect(Number(url.port)).toBeGreaterThan(0); // the real port, not the 0 it was given
      expect(stdout).toBe(
        [
          'Agent C simulator (profile agentc) listening',
          `  API base:  ${apiBase}`,
          `  Socket:    ws://127.0.0.1:${url.port}/api/rt/ws`,
          '  Login:     admin / changeme  (POST /api/rt/login)',
          'Press Ctrl-C to stop.',
          '',
        ].join('\n'),
      );

      const response = await fetch(`${apiBase}/api/rt/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: 'changeme' }),
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { agent_c_token?: unknown };
      expect(typeof body.agent_c_token).toBe('string');
      expect(body.agent_c_token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);

      child.kill('SIGINT');
      const { code, signal } = await exited;
      expect({ code, signal, stderr }).toEqual({ code: 0, signal: null, stderr: '' });
      expect(stdout).toMatch(/\nStopping…\n$/);
    } finally {
      clearTimeout(deadline);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, 10_000);

  it('says so when the port is taken, and exits 1', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const address = blocker.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [cli, '--port', String(port)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
        child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
        const timer = setTimeout(() => child.kill('SIGKILL'), 8_000);
        child.on('exit', (code) => {
          clearTimeout(timer);
          resolve({ code, stdout, stderr });
        });
      });
      expect(result).toEqual({ code: 1, stdout: '', stderr: `Port ${port} is already in use; pick another with --port.\n` });
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  }, 10_000);
});
