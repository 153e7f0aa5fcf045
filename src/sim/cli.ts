#!/usr/bin/env node
/**
 * `agentc-sim`: start the Agent C Realtime simulator from the command line.
 *
 * ```
 * agentc-sim [--port 8000] [--host 127.0.0.1] [--profile agentc|full] [--seed N]
 *            [--token-ttl 8d] [--delta-ms N] [--no-heygen] [--realistic-timing]
 *            [--frames realistic|compact] [fault flags] [--help]
 * ```
 *
 * The argument parsing ({@link parseCliArgs}, {@link parseDuration}) is pure and exported for tests;
 * the program itself runs only when this file is executed directly (also through the npm bin symlink).
 *
 * @module
 */
import { isMainModule } from './main-module.js';
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import type { Simulator, SimulatorControl, SimulatorFrames, SimulatorProfile } from './types.js';

/** The options the command line sets; every one has a value (the defaults filled in). */
export interface CliOptions {
  /** TCP port; 0 picks a free one. @default 8000 */
  readonly port: number;
  /** @default '127.0.0.1' */
  readonly host: string;
  /** @default 'agentc' */
  readonly profile: SimulatorProfile;
  /** @default 1 */
  readonly seed: number;
  /** Token lifetime in ms; `undefined` leaves the simulator's default (8 days). */
  readonly tokenTtlMs: number | undefined;
  /** Pause between streamed deltas, in ms. @default 30 (human-paced, for demos) */
  readonly deltaMs: number;
  /** `false` with `--no-heygen`. @default true */
  readonly heygen: boolean;
  /** `true` with `--realistic-timing`. @default false */
  readonly realisticTiming: boolean;
  /** `--frames realistic|compact`. @default 'realistic' */
  readonly frames: SimulatorFrames;
  /** Faults armed at start (`--latency`, `--jitter`, `--drop-after`, `--drop-at`, `--fail-refresh`, `--stall`). */
  readonly faults: StartupFaults;
}

/** Faults the command line arms before the first client connects. */
export interface StartupFaults {
  readonly latencyMs?: number;
  readonly jitterMs?: number;
  readonly dropAfterFrames?: number;
  readonly dropAtEvent?: string;
  readonly failRefreshStatus?: number;
  readonly stalls: readonly (readonly [type: string, ms: number])[];
}

/** Outcome of {@link parseCliArgs}: the options, or one line saying what is wrong. */
export type CliParseResult =
  | { readonly ok: true; readonly options: CliOptions; readonly help: boolean }
  | { readonly ok: false; readonly error: string };

/** The commands typed on stdin while the simulator runs. */
export const COMMAND_HELP = `  drop                 kill every socket now, as a network loss would (1006)
  halfopen | heal      stop answering without closing, or undo it
  malformed            send a frame that is not JSON
  restart [s]          close every socket (1012) and forget every UI session; down for s seconds
  expire | revoke      every token issued so far is expired, or invalid
  latency <ms> [jitter]   delay frames the server sends (0 to stop)
  stall <type> <ms>    slow the handler of a client event type down (0 to stop)
  fail-refresh <status|off>   make refresh_token fail, or work again
  clear                undo every fault
  sessions             list the UI sessions
  help                 show these commands`;

/** Usage text printed by `--help`. */
export const USAGE = `Usage: agentc-sim [options]

Runs a local simulator of the Agent C Realtime server (HTTP API and WebSocket).

Options:
  --port <n>           TCP port to listen on; 0 picks a free one        (default 8000)
  --host <addr>        interface to listen on                           (default 127.0.0.1)
  --profile <name>     agentc: the real server, quirks included;
                       full: plus voice input and TTS audio output      (default agentc)
  --seed <n>           seed of every random choice (ids, scripted text) (default 1)
  --token-ttl <time>   lifetime of issued tokens: 500ms, 30s, 15m, 2h, 8d
                       or a plain number of milliseconds                (default 8d)
  --delta-ms <n>       pause between streamed deltas in ms; 0 = as fast
                       as the socket takes them                         (default 30)
  --no-heygen          run without a (fake) HeyGen account
  --realistic-timing   the real server's handler times: login ~200 ms,
                       get_agents ~500 ms, text_input to the user message
                       ~75 ms on the first turn after start, ~5 ms later
  --frames <size>      realistic: catalogues and prompts at the real sizes
                       (a ~216 KB init burst, ~75 KB per turn); compact:
                       only the simulator's own agents and tools  (default realistic)
  --help               show this help

Faults armed at start:
  --latency <ms>       delay every frame the server sends
  --jitter <ms>        random extra delay, +/- (frames keep their order)
  --drop-after <n>     kill the next socket after it was sent n frames
  --drop-at <type>     kill the next socket that is about to send an event of this type
  --fail-refresh <status>  make GET /api/rt/refresh_token fail with this HTTP status
  --stall <type>=<ms>  make the handler of this client event type take longer (repeatable)

While it runs, type a command and Enter (faults on every socket):
${COMMAND_HELP}

Log in with admin / changeme (POST /api/rt/login).`;

const DEFAULT_PORT = 8000;
const DEFAULT_HOST = '127.0.0.1';
const DEFAULT_SEED = 1;
const DEFAULT_DELTA_MS = 30;

const DURATION_UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * Parse a duration: a number with one of the units `ms`, `s`, `m`, `h`, `d` (`500ms`, `30s`,
 * `1.5h`, `8d`), or a plain number of milliseconds (`250`).
 * @returns whole milliseconds (rounded), or `undefined` when the text is not such a duration.
 */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match) return undefined;
  const value = Number(match[1]) * (DURATION_UNITS[match[2] ?? 'ms'] ?? 1);
  return Number.isFinite(value) && value <= Number.MAX_SAFE_INTEGER ? Math.round(value) : undefined;
}

/** A whole number written in decimal digits (an optional leading minus when `signed`). */
function parseInteger(text: string, signed: boolean): number | undefined {
  const trimmed = text.trim();
  if (!(signed ? /^-?\d+$/ : /^\d+$/).test(trimmed)) return undefined;
  const value = Number(trimmed);
  return Number.isSafeInteger(value) ? value : undefined;
}

/** One line from a `parseArgs` error, whose messages run over several sentences and lines. */
function describeParseError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const option = /'(-[^' ]+)/.exec(message)?.[1];
  if (option !== undefined && message.includes('argument is ambiguous')) {
    return `Option '${option}' is missing its value (write ${option}=<value> for a value that starts with a dash).`;
  }
  const first = (message.split(/\n|(?<=\.) /)[0] ?? message).trim();
  return first.endsWith('.') ? first : `${first}.`;
}

/** `parseArgs` with the options of the command; throws on unknown flags and missing values. */
function parseRaw(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      profile: { type: 'string' },
      seed: { type: 'string' },
      'token-ttl': { type: 'string' },
      'delta-ms': { type: 'string' },
      'no-heygen': { type: 'boolean' },
      'realistic-timing': { type: 'boolean' },
      frames: { type: 'string' },
      latency: { type: 'string' },
      jitter: { type: 'string' },
      'drop-after': { type: 'string' },
      'drop-at': { type: 'string' },
      'fail-refresh': { type: 'string' },
      stall: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/**
 * Parse the command-line arguments (without the `node` and script entries of `process.argv`).
 * Pure: no output, no exit.
 */
export function parseCliArgs(argv: readonly string[]): CliParseResult {
  let values: ReturnType<typeof parseRaw>['values'];
  try {
    ({ values } = parseRaw(argv));
  } catch (error) {
    return { ok: false, error: describeParseError(error) };
  }

  let port = DEFAULT_PORT;
  if (values.port !== undefined) {
    const parsed = parseInteger(values.port, false);
    if (parsed === undefined || parsed > 65_535) {
      return { ok: false, error: `--port must be a whole number from 0 to 65535, got '${values.port}'.` };
    }
    port = parsed;
  }

  let host = DEFAULT_HOST;
  if (values.host !== undefined) {
    if (values.host.trim() === '') return { ok: false, error: '--host must not be empty.' };
    host = values.host.trim();
  }

  let profile: SimulatorProfile = 'agentc';
  if (values.profile !== undefined) {
    if (values.profile !== 'agentc' && values.profile !== 'full') {
      return { ok: false, error: `--profile must be 'agentc' or 'full', got '${values.profile}'.` };
    }
    profile = values.profile;
  }

  let seed = DEFAULT_SEED;
  if (values.seed !== undefined) {
    const parsed = parseInteger(values.seed, true);
    if (parsed === undefined) return { ok: false, error: `--seed must be a whole number, got '${values.seed}'.` };
    seed = parsed;
  }

  let tokenTtlMs: number | undefined;
  if (values['token-ttl'] !== undefined) {
    const parsed = parseDuration(values['token-ttl']);
    if (parsed === undefined || parsed <= 0) {
      return {
        ok: false,
        error: `--token-ttl must be a positive duration such as 500ms, 30s, 15m, 2h, 8d or a number of milliseconds, got '${values['token-ttl']}'.`,
      };
    }
    tokenTtlMs = parsed;
  }

  let deltaMs = DEFAULT_DELTA_MS;
  if (values['delta-ms'] !== undefined) {
    const parsed = parseInteger(values['delta-ms'], false);
    if (parsed === undefined) {
      return { ok: false, error: `--delta-ms must be a whole number of milliseconds (0 or more), got '${values['delta-ms']}'.` };
    }
    deltaMs = parsed;
  }

  let frames: SimulatorFrames = 'realistic';
  if (values.frames !== undefined) {
    if (values.frames !== 'realistic' && values.frames !== 'compact') {
      return { ok: false, error: `--frames must be 'realistic' or 'compact', got '${values.frames}'.` };
    }
    frames = values.frames;
  }

  const count = (flag: string, text: string | undefined): number | string | undefined => {
    if (text === undefined) return undefined;
    const parsed = parseInteger(text, false);
    return parsed === undefined ? `--${flag} must be a whole number (0 or more), got '${text}'.` : parsed;
  };
  const latencyMs = count('latency', values.latency);
  const jitterMs = count('jitter', values.jitter);
  const dropAfterFrames = count('drop-after', values['drop-after']);
  const failRefreshStatus = count('fail-refresh', values['fail-refresh']);
  for (const value of [latencyMs, jitterMs, dropAfterFrames, failRefreshStatus]) {
    if (typeof value === 'string') return { ok: false, error: value };
  }
  if (typeof failRefreshStatus === 'number' && (failRefreshStatus < 400 || failRefreshStatus > 599)) {
    return { ok: false, error: `--fail-refresh must be an HTTP error status from 400 to 599, got '${failRefreshStatus}'.` };
  }
  const dropAtEvent = values['drop-at']?.trim();
  if (dropAtEvent === '') return { ok: false, error: '--drop-at must name an event type, e.g. agent_list.' };
  const stalls: [string, number][] = [];
  for (const item of values.stall ?? []) {
    const match = /^([a-z_]+)=(\d+)$/.exec(item.trim());
    if (!match) return { ok: false, error: `--stall must look like <type>=<ms>, e.g. ping=5000, got '${item}'.` };
    stalls.push([match[1]!, Number(match[2])]);
  }
  const faults: StartupFaults = {
    stalls,
    ...(typeof latencyMs === 'number' ? { latencyMs } : {}),
    ...(typeof jitterMs === 'number' ? { jitterMs } : {}),
    ...(typeof dropAfterFrames === 'number' ? { dropAfterFrames } : {}),
    ...(dropAtEvent !== undefined ? { dropAtEvent } : {}),
    ...(typeof failRefreshStatus === 'number' ? { failRefreshStatus } : {}),
  };

  return {
    ok: true,
    help: values.help === true,
    options: { port, host, profile, seed, tokenTtlMs, deltaMs, heygen: values['no-heygen'] !== true, realisticTiming: values['realistic-timing'] === true, frames, faults },
  };
}

/** Arms the faults of the command line. */
export function applyStartupFaults(control: SimulatorControl, faults: StartupFaults): void {
  if (faults.latencyMs !== undefined || faults.jitterMs !== undefined) control.setLatency(faults.latencyMs ?? 0, faults.jitterMs ?? 0);
  if (faults.dropAfterFrames !== undefined) control.dropAfterFrames(faults.dropAfterFrames);
  if (faults.dropAtEvent !== undefined) control.dropAtEvent(faults.dropAtEvent);
  if (faults.failRefreshStatus !== undefined) control.failRefresh(faults.failRefreshStatus);
  for (const [type, ms] of faults.stalls) control.stall(type, ms);
}

/** Runs one command typed on stdin; returns the line to print. */
export function runCommand(control: SimulatorControl, line: string): string {
  const [command = '', ...args] = line.trim().split(/\s+/);
  const number = (text: string | undefined) => (text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined);
  switch (command) {
    case '':
      return '';
    case 'help':
      return COMMAND_HELP;
    case 'drop':
      return `dropped ${control.dropSocket()} socket(s)`;
    case 'halfopen':
      control.halfOpen(true);
      return 'every socket is half-open (type heal to undo)';
    case 'heal':
      control.halfOpen(false);
      return 'sockets answer again';
    case 'malformed':
      control.sendMalformed();
      return 'sent a malformed frame';
    case 'restart': {
      const seconds = args[0] === undefined ? 0 : number(args[0]);
      if (seconds === undefined) return 'usage: restart [seconds down]';
      control.restart({ downMs: seconds * 1000 });
      return seconds > 0 ? `restarted: every UI session forgotten, connections refused for ${seconds} s` : 'restarted: every UI session forgotten';
    }
    case 'expire':
      control.expireTokens();
      return 'every token issued so far is expired';
    case 'revoke':
      control.revokeTokens();
      return 'every token issued so far is invalid';
    case 'latency': {
      const ms = number(args[0]);
      const jitter = args[1] === undefined ? 0 : number(args[1]);
      if (ms === undefined || jitter === undefined) return 'usage: latency <ms> [jitter]';
      control.setLatency(ms, jitter);
      return `latency ${ms} ms, jitter ${jitter} ms`;
    }
    case 'stall': {
      const ms = number(args[1]);
      if (!args[0] || ms === undefined) return 'usage: stall <type> <ms>';
      control.stall(args[0], ms);
      return ms > 0 ? `${args[0]} handlers take ${ms} ms longer` : `${args[0]} handlers are back to normal`;
    }
    case 'fail-refresh': {
      if (args[0] === 'off') {
        control.failRefresh(false);
        return 'refresh_token works again';
      }
      const status = number(args[0]);
      if (status === undefined || status < 400 || status > 599) return 'usage: fail-refresh <400-599|off>';
      control.failRefresh(status);
      return `refresh_token answers ${status}`;
    }
    case 'clear':
      control.clearFaults();
      return 'every fault undone';
    case 'sessions': {
      const sessions = control.uiSessions();
      if (sessions.length === 0) return 'no UI sessions';
      return sessions
        .map((s) => `${s.uiSessionId}  user ${s.userId}  chat ${s.chatSessionId}  ${s.connected ? 'connected' : 'detached'}${s.interactionRunning ? '  answering' : ''}`)
        .join('\n');
    }
    default:
      return `unknown command '${command}'; type help`;
  }
}

/** Whether a start failure means the port is taken (the code may sit on the error or its cause). */
function isAddressInUse(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e !== null && typeof e === 'object' && depth < 5; depth++) {
    if ((e as { code?: unknown }).code === 'EADDRINUSE') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return error instanceof Error && /EADDRINUSE/.test(error.message);
}

/** Run the program; resolves with an exit code for early exits, or never settles while serving. */
async function main(argv: readonly string[]): Promise<number | undefined> {
  const parsed = parseCliArgs(argv);
  if (!parsed.ok) {
    process.stderr.write(`agentc-sim: ${parsed.error}\nRun agentc-sim --help for usage.\n`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const { options } = parsed;

  let sim: Simulator;
  try {
    // Loaded only here, so that importing this module for its parsers does not load the server.
    const { createSimulator } = await import('./index.js');
    sim = await createSimulator({
      port: options.port,
      host: options.host,
      profile: options.profile,
      seed: options.seed,
      deltaMs: options.deltaMs,
      heygen: options.heygen,
      realisticTiming: options.realisticTiming,
      frames: options.frames,
      ...(options.tokenTtlMs !== undefined ? { tokenTtlMs: options.tokenTtlMs } : {}),
    });
  } catch (error) {
    if (isAddressInUse(error)) {
      process.stderr.write(`Port ${options.port} is already in use; pick another with --port.\n`);
    } else {
      process.stderr.write(`agentc-sim: ${error instanceof Error ? error.message : String(error)}\n`);
    }
    return 1;
  }

  process.stdout.write(
    [
      `Agent C simulator (profile ${options.profile}) listening`,
      `  API base:  ${sim.httpUrl}`,
      `  Socket:    ${sim.wsUrl}`,
      `  Login:     admin / changeme  (POST /api/rt/login)`,
      `Press Ctrl-C to stop.`,
      '',
    ].join('\n'),
  );

  applyStartupFaults(sim.control, options.faults);
  // Commands typed while it runs; stdin ending (not a terminal) just stops listening.
  const input = createInterface({ input: process.stdin, terminal: false });
  input.on('line', (line) => {
    const reply = runCommand(sim.control, line);
    if (reply) process.stdout.write(`${reply}\n`);
  });

  let stoppingSince: number | undefined;
  const stop = (): void => {
    if (stoppingSince !== undefined) {
      // Ctrl-C reaches us twice at once under npx/npm (from the terminal and forwarded by npm):
      // only a second press, a moment later, means "do not wait for the sockets any more".
      if (Date.now() - stoppingSince > 250) process.exit(130);
      return;
    }
    stoppingSince = Date.now();
    process.stdout.write('Stopping…\n');
    sim.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`agentc-sim: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return undefined;
}


/** Exit with `code` once the output is flushed, and at the latest after a second (a failed start may leave handles open). */
function exitSoon(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), 1000).unref();
}

if (isMainModule(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      if (code !== undefined) exitSoon(code);
    },
    (error: unknown) => {
      process.stderr.write(`agentc-sim: ${error instanceof Error ? error.message : String(error)}\n`);
      exitSoon(1);
    },
  );
}
