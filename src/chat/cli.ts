#!/usr/bin/env node
/**
 * `agentc-chat`: chat with an Agent C agent in the terminal.
 *
 * ```
 * agentc-chat [--url <api base>] [--username u --password p | --token t] [--agent key] [--say "text"] [--help]
 * ```
 *
 * Without `--url` it starts an embedded simulator. With `--say` it sends one text, prints the answer
 * and exits (0 when the answer ended normally); otherwise it is an interactive chat: answers stream
 * as they arrive, thoughts and tool calls dimmed, connection changes and outcomes as short notices,
 * and slash commands (`/help`). Built on the public API only (`createClient`, `ws`, the simulator).
 *
 * The argument parsing ({@link parseChatArgs}) is pure and exported for tests; the program runs
 * only when this file is executed directly (also through the npm bin symlink).
 *
 * @module
 */
import { createInterface, type Interface } from 'node:readline';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import type { AuthOptions, ConnectionState, RealtimeClient, SendTextResult } from '../index.js';
import { ClientError, createClient } from '../index.js';
import type { ServerEvent } from '../protocol.js';
import { isMainModule } from '../sim/main-module.js';
import { argumentError, SERVER_OPTIONS, serverArgs } from '../cli/server-args.js';
import type { Simulator } from '../sim/types.js';

/** Usage text printed by `--help`. */
export const CHAT_USAGE = `Usage: agentc-chat [options]

Chat with an Agent C agent in the terminal.

Options:
  --url <api base>      the server, e.g. http://127.0.0.1:8000   (env AGENTC_URL;
                        default: an embedded simulator)
  --username <name>     log in with these credentials           (env AGENTC_USERNAME; default admin)
  --password <password>                                         (env AGENTC_PASSWORD; default changeme)
  --token <jwt>         or use this token                       (env AGENTC_TOKEN)
  --agent <key>         the agent of the new chat session       (default: the server's default)
  --say <text>          send this text, print the answer, exit (0 when the answer ended normally)
  --help                show this help

In the chat, type a message and Enter. Commands:
  /cancel              stop the answer in flight (or press Ctrl-C; twice to quit)
  /agent [key]         list the agents, or switch to one
  /sessions            list your saved chat sessions
  /new                 start a new chat session
  /quit                leave (or Ctrl-D)
  /help                show these commands`;

const COMMANDS = CHAT_USAGE.slice(CHAT_USAGE.indexOf('  /cancel'));

/** The options the command line sets. */
export interface ChatCliOptions {
  /** `undefined`: run an embedded simulator. */
  readonly url: string | undefined;
  readonly auth: AuthOptions;
  readonly agent: string | undefined;
  /** `--say`: one text, then exit. */
  readonly say: string | undefined;
}

/** Outcome of {@link parseChatArgs}. */
export type ChatParseResult = { readonly ok: true; readonly help: boolean; readonly options: ChatCliOptions } | { readonly ok: false; readonly error: string };

/** Parses the arguments (without `node` and the script) and the environment. Pure: no output, no exit. */
export function parseChatArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = {}): ChatParseResult {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        ...SERVER_OPTIONS,
        agent: { type: 'string' },
        say: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    return { ok: false, error: argumentError(error) };
  }
  const server = serverArgs(values, env);
  if (!server.ok) return server;
  const { url, auth } = server;
  if (values.agent !== undefined && values.agent.trim() === '') return { ok: false, error: '--agent must not be empty.' };
  if (values.say !== undefined && values.say.trim() === '') return { ok: false, error: '--say must not be empty.' };
  return { ok: true, help: values.help === true, options: { url, auth, agent: values.agent?.trim(), say: values.say } };
}

/** One line for an error: a `ClientError`'s reason and message, never a stack. */
export function describeChatError(error: unknown): string {
  if (error instanceof ClientError) return `${error.reason}: ${error.message}`;
  if (error instanceof Error) return error.message;
  return String(error);
}

// ---------------------------------------------------------------------------------------------
// output

/** Writes the chat to a terminal (or a pipe): streamed text as it comes, the rest as short notices. */
class Screen {
  /** What was written last: a streamed kind, or `line` after a complete line. */
  private kind: 'line' | 'text' | 'thought' | 'tool' = 'line';

  constructor(
    private readonly out: NodeJS.WriteStream,
    /** Where thoughts, tool calls and notices go (stderr with `--say`, so that stdout holds only the answer). */
    private readonly side: NodeJS.WriteStream,
    private readonly color: boolean,
  ) {}

  private dim(text: string): string {
    return this.color ? `\x1b[2m${text}\x1b[22m` : text;
  }

  private endLine(): void {
    if (this.kind !== 'line') {
      (this.kind === 'text' ? this.out : this.side).write('\n');
      this.kind = 'line';
    }
  }

  /** Streamed answer text. */
  text(content: string, sub: boolean): void {
    if (this.kind !== 'text') this.endLine();
    this.out.write(sub ? this.dim(content) : content);
    this.kind = 'text';
  }

  /** A streamed thought, dimmed. */
  thought(content: string): void {
    if (this.kind !== 'thought') {
      this.endLine();
      this.side.write(this.dim('(thinking) '));
    }
    this.side.write(this.dim(content));
    this.kind = 'thought';
  }

  /** A tool call, dimmed, on its own line. */
  tool(line: string): void {
    this.endLine();
    this.side.write(`${this.dim(`[tool] ${line}`)}\n`);
  }

  /** A short notice on its own line (`· …`). */
  notice(line: string): void {
    this.endLine();
    this.side.write(`${this.dim(`· ${line}`)}\n`);
  }

  /** Output of a command, on stdout. */
  print(lines: string): void {
    this.endLine();
    this.out.write(`${lines}\n`);
  }

  /** Ends a streamed line, if any. */
  flush(): void {
    this.endLine();
  }
}

/** The arguments of a tool call, in short. */
function toolArguments(call: { input?: unknown; arguments?: unknown }): string {
  const raw = call.input ?? call.arguments;
  const text = typeof raw === 'string' ? raw : raw === undefined || raw === null ? '' : JSON.stringify(raw);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Shows the streamed output of the client's events on the screen. */
function showEvents(client: RealtimeClient, screen: Screen): void {
  client.events$.subscribe((event: ServerEvent) => {
    switch (event.type) {
      case 'text_delta':
        screen.text(event.content, event.parent_session_id !== null && event.parent_session_id !== undefined);
        return;
      case 'thought_delta':
        screen.thought(event.content);
        return;
      case 'tool_call':
        if (event.active) for (const call of event.tool_calls) screen.tool(`${call.name}(${toolArguments(call)})`);
        return;
      case 'system_message':
        screen.notice(`${event.severity ?? 'error'}: ${event.content}`);
        return;
      default:
    }
  });
}

/** One line saying how an answer ended. */
function outcomeLine(result: SendTextResult): string {
  if (result.outcome === 'command') return 'command sent';
  const tokens = result.outputTokens > 0 ? `, ${result.outputTokens} tokens` : '';
  if (result.outcome === 'done') return `done (${result.stopReason ?? result.rawStopReason ?? 'stop'}${tokens})`;
  return `${result.outcome}${result.reason ? `: ${result.reason}` : ''}`;
}

// ---------------------------------------------------------------------------------------------
// the program

interface Session {
  readonly client: RealtimeClient;
  readonly simulator: Simulator | undefined;
  readonly url: string;
}

async function open(options: ChatCliOptions, screen: Screen): Promise<Session> {
  let simulator: Simulator | undefined;
  let url = options.url;
  if (url === undefined) {
    // loaded only here: a chat with a server does not load the simulator
    const { createSimulator } = await import('../sim/index.js');
    simulator = await createSimulator({ deltaMs: 10, frames: 'compact' });
    url = simulator.httpUrl;
  }
  const client = createClient({ url, auth: options.auth, WebSocket, ...(options.agent !== undefined ? { agentKey: options.agent } : {}) });
  showEvents(client, screen);
  return { client, simulator, url };
}

/** Failures of a first connection that waiting will not mend: the server cannot be reached, or refuses us. */
const FATAL_AT_START = new Set(['network', 'auth_failed', 'auth_required', 'refused']);

/**
 * Connects; rejects at the first error that says the server cannot be reached or refuses us (the
 * client itself would keep retrying until `connectionTimeout`), else with `connect()`'s own reason.
 */
function connect(client: RealtimeClient): Promise<void> {
  let watch: { unsubscribe(): void } | undefined;
  return new Promise<void>((resolve, reject) => {
    watch = client.errors$.subscribe((error) => {
      if (FATAL_AT_START.has(error.reason)) reject(error);
    });
    client.connect().then(resolve, reject);
  }).finally(() => watch?.unsubscribe());
}

async function close(session: Session | undefined): Promise<void> {
  session?.client.dispose();
  await session?.simulator?.close();
}

/** `--say`: one text, its answer on stdout, notices on stderr. */
async function say(options: ChatCliOptions & { say: string }): Promise<number> {
  const screen = new Screen(process.stdout, process.stderr, process.stderr.isTTY === true);
  let session: Session | undefined;
  try {
    session = await open(options, screen);
    try {
      await connect(session.client);
    } catch (error) {
      process.stderr.write(`agentc-chat: could not connect to ${session.url}: ${describeChatError(error)}\n`);
      return 1;
    }
    const result = await session.client.sendText(options.say);
    screen.flush();
    if (result.outcome === 'done' || result.outcome === 'command') return 0;
    process.stderr.write(`agentc-chat: the answer ended ${outcomeLine(result)}\n`);
    return 1;
  } catch (error) {
    screen.flush();
    process.stderr.write(`agentc-chat: ${session ? '' : 'could not start: '}${describeChatError(error)}\n`);
    return 1;
  } finally {
    await close(session);
  }
}

/** The interactive chat. */
async function chat(options: ChatCliOptions): Promise<number> {
  const color = process.stdout.isTTY === true;
  const screen = new Screen(process.stdout, process.stdout, color);
  let session: Session;
  try {
    session = await open(options, screen);
  } catch (error) {
    process.stderr.write(`agentc-chat: could not start: ${describeChatError(error)}\n`);
    return 1;
  }
  const { client } = session;
  try {
    await connect(client);
  } catch (error) {
    process.stderr.write(`agentc-chat: could not connect to ${session.url}: ${describeChatError(error)}\n`);
    await close(session);
    return 1;
  }

  let agentKey: string | null = null;
  let sessionId: string | null = null;
  client.currentSession$.subscribe((current) => {
    sessionId = current?.session_id ?? null;
    const key = current?.agent_config?.key ?? null;
    if (key !== null && key !== agentKey) {
      agentKey = key;
      screen.notice(`agent ${current?.agent_config?.name ?? key} (${key})`);
    }
  });
  let connection: ConnectionState = 'ready';
  client.connection$.subscribe((status) => {
    if (status.state === connection) return;
    connection = status.state;
    const why = status.lastError && (status.state === 'reconnecting' || status.state === 'failed') ? ` (${status.lastError.reason})` : '';
    screen.notice(`connection ${status.state}${why}`);
  });
  screen.notice(`connected to ${options.url ?? `an embedded simulator (${session.url})`}; /help lists the commands`);

  let answer: Promise<void> | null = null;
  let interrupts = 0;
  let quitting = false;
  let finished!: (code: number) => void;
  const done = new Promise<number>((resolve) => (finished = resolve));
  const input: Interface = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY === true && color, prompt: '> ' });
  const prompt = () => {
    screen.flush();
    if (input.terminal && !quitting) input.prompt();
  };

  const send = (text: string) => {
    if (answer) {
      screen.notice('an answer is still streaming: /cancel it, or wait');
      return;
    }
    interrupts = 0;
    answer = client
      .sendText(text)
      .then(
        (result) => screen.notice(outcomeLine(result)),
        (error: unknown) => screen.notice(`not sent: ${describeChatError(error)}`),
      )
      .finally(() => {
        answer = null;
        prompt();
      });
  };

  const cancel = async () => {
    if (!answer) {
      screen.notice('nothing to cancel');
      return;
    }
    screen.notice('cancelling');
    await client.cancel();
  };

  const commands: Record<string, (arg: string) => Promise<void> | void> = {
    help: () => screen.print(COMMANDS),
    cancel,
    agent: async (key) => {
      if (key) {
        const config = await client.setAgent(key);
        if (config.key === agentKey) return;
        agentKey = config.key;
        screen.notice(`agent ${config.name} (${config.key})`);
        return;
      }
      const agents = await client.refreshAgents();
      screen.print(agents.map((agent) => `${agent.key === agentKey ? '*' : ' '} ${agent.key.padEnd(20)} ${agent.name}`).join('\n'));
    },
    sessions: async () => {
      const page = await client.listSessions({ limit: 20 });
      const rows = page.chat_sessions.map(
        (entry) => `${entry.session_id === sessionId ? '*' : ' '} ${entry.session_id}  ${entry.session_name ?? '(unnamed)'}  ${entry.agent_key ?? ''}  ${entry.updated_at ?? ''}`.trimEnd(),
      );
      screen.print(rows.length > 0 ? rows.join('\n') : 'no saved chat sessions yet');
    },
    new: async () => {
      const created = await client.newSession();
      screen.notice(`new chat session ${created.session_id}`);
    },
    quit: () => finish(0),
  };

  const finish = (code: number) => {
    if (quitting) return;
    quitting = true;
    input.close();
    finished(code);
  };

  // lines are handled one after the other; a message only waits until it is handed to the client
  let queue = Promise.resolve();
  input.on('line', (line) => {
    queue = queue.then(async () => {
      if (quitting) return;
      const text = line.trim();
      if (text === '') return prompt();
      if (!text.startsWith('/')) return send(text);
      const [name = '', ...rest] = text.slice(1).split(/\s+/);
      const command = commands[name];
      if (!command) {
        screen.notice(`unknown command /${name}; /help lists the commands`);
        return prompt();
      }
      try {
        await command(rest.join(' '));
      } catch (error) {
        screen.notice(`/${name} failed: ${describeChatError(error)}`);
      }
      if (!answer) prompt();
    });
  });
  // end of input (Ctrl-D, or a pipe that ran out): let the answer in flight finish, then leave
  input.on('close', () => {
    void queue.then(() => answer).then(() => finish(0));
  });
  const interrupt = () => {
    if (answer && interrupts === 0) {
      interrupts++;
      screen.notice('cancelling (Ctrl-C again to quit)');
      client.cancel().catch((error: unknown) => screen.notice(`cancel failed: ${describeChatError(error)}`));
      return;
    }
    finish(130);
  };
  input.on('SIGINT', interrupt);
  process.on('SIGINT', interrupt);
  prompt();

  const code = await done;
  process.off('SIGINT', interrupt);
  screen.flush();
  await close(session);
  return code;
}

async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseChatArgs(argv, process.env);
  if (!parsed.ok) {
    process.stderr.write(`agentc-chat: ${parsed.error}\nRun agentc-chat --help for usage.\n`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(`${CHAT_USAGE}\n`);
    return 0;
  }
  const { options } = parsed;
  return options.say !== undefined ? say({ ...options, say: options.say }) : chat(options);
}

if (isMainModule(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
      // the client is disposed and the simulator closed; this only guards against a handle left open
      setTimeout(() => process.exit(code), 1000).unref();
    },
    (error: unknown) => {
      process.stderr.write(`agentc-chat: ${describeChatError(error)}\n`);
      process.exitCode = 1;
      setTimeout(() => process.exit(1), 1000).unref();
    },
  );
}
