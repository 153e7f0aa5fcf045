#!/usr/bin/env node
/**
 * `agentc-model-paths`: run the conversation model's paths against a server and print one line per
 * path (`passed`, `skipped` with the reason, `failed` with what the client showed instead).
 *
 * ```
 * agentc-model-paths [--url <api base>] [--username u --password p | --token t]
 *                    [--agent firehose] [--text "stream 400"] [--failing-agent failing]
 *                    [--failing-text "please fail"] [--only <text>] [--answer-timeout ms] [--help]
 * ```
 *
 * Without `--url` the paths run against an embedded simulator. Exits 0 when no path failed, 1 when
 * one did, 2 for a usage error. The argument parsing ({@link parseModelPathsArgs}) is pure and
 * exported for tests; the program runs only when this file is executed directly.
 *
 * @module
 */
import { parseArgs } from 'node:util';
import type { AuthOptions } from '../options.js';
import { isMainModule } from '../sim/main-module.js';
import { argumentError, SERVER_OPTIONS, serverArgs } from '../cli/server-args.js';
import type { Simulator } from '../sim/types.js';
import { createModelPaths, type ModelPathsOptions, type ModelTarget } from './paths.js';

/** Usage text printed by `--help`. */
export const MODEL_PATHS_USAGE = `Usage: agentc-model-paths [options]

Runs the paths of the agentc-realtime conversation model (every state, every transition) against
a server with a real client, checking connection$, turn$, interaction$ and sendText's outcome after
every step. Prints one line per path: passed, skipped (and why) or failed (and what went wrong).

Options:
  --url <api base>         your server, e.g. http://127.0.0.1:8000 (default: an embedded simulator)
  --username <name>        log in with these credentials           (env AGENTC_USERNAME; default admin)
  --password <password>                                            (env AGENTC_PASSWORD; default changeme)
  --token <jwt>            or use this token                       (env AGENTC_TOKEN)
  --agent <key>            the agent whose long answers are cancelled,
                           interrupted and cut                     (default firehose)
  --text <text>            what is sent to it; the answer must stream for
                           half a second or more                   (default "stream 400")
  --failing-agent <key>    an agent whose answer fails             (default failing)
  --failing-text <text>    what is sent to it                      (default "please fail")
  --only <text>            run only the paths whose description contains this text
  --answer-timeout <ms>    how long an answer may take to end      (default 10000)
  --help                   show this help

Against a URL, a socket loss goes through a loopback fault proxy; the paths that need the server
to restart or to revoke every token are skipped. Exit status: 0 when no path failed, 1 otherwise.`;

/** The options the command line sets. */
export interface ModelPathsCliOptions {
  /** `undefined`: run an embedded simulator. */
  readonly url: string | undefined;
  readonly auth: AuthOptions;
  readonly paths: ModelPathsOptions;
  /** Only the paths whose description contains this text. */
  readonly only: string | undefined;
}

/** Outcome of {@link parseModelPathsArgs}. */
export type ModelPathsParseResult =
  | { readonly ok: true; readonly help: boolean; readonly options: ModelPathsCliOptions }
  | { readonly ok: false; readonly error: string };

/** Parses the arguments (without `node` and the script) and the environment. Pure: no output, no exit. */
export function parseModelPathsArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = {}): ModelPathsParseResult {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        ...SERVER_OPTIONS,
        agent: { type: 'string' },
        text: { type: 'string' },
        'failing-agent': { type: 'string' },
        'failing-text': { type: 'string' },
        only: { type: 'string' },
        'answer-timeout': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    return { ok: false, error: argumentError(error) };
  }
  const server = serverArgs(values, env);
  if (!server.ok) return server;
  const { url, auth } = server;
  let answerTimeout: number | undefined;
  if (values['answer-timeout'] !== undefined) {
    answerTimeout = Number(values['answer-timeout']);
    if (!/^\d+$/.test(values['answer-timeout']) || answerTimeout <= 0) {
      return { ok: false, error: `--answer-timeout must be a positive number of milliseconds, got '${values['answer-timeout']}'.` };
    }
  }
  for (const [flag, value] of [
    ['agent', values.agent],
    ['text', values.text],
    ['failing-agent', values['failing-agent']],
    ['failing-text', values['failing-text']],
  ] as const) {
    if (value !== undefined && value.trim() === '') return { ok: false, error: `--${flag} must not be empty.` };
  }
  return {
    ok: true,
    help: values.help === true,
    options: {
      url,
      auth,
      only: values.only,
      paths: {
        ...(values.agent !== undefined ? { answeringAgent: values.agent } : {}),
        ...(values.text !== undefined ? { longText: values.text } : {}),
        ...(values['failing-agent'] !== undefined ? { failingAgent: values['failing-agent'] } : {}),
        ...(values['failing-text'] !== undefined ? { failingText: values['failing-text'] } : {}),
        ...(answerTimeout !== undefined ? { answerTimeout } : {}),
      },
    },
  };
}

async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseModelPathsArgs(argv, process.env);
  if (!parsed.ok) {
    process.stderr.write(`agentc-model-paths: ${parsed.error}\nRun agentc-model-paths --help for usage.\n`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(`${MODEL_PATHS_USAGE}\n`);
    return 0;
  }
  const { options } = parsed;
  const paths = createModelPaths(options.paths).filter((path) => options.only === undefined || path.description.includes(options.only));
  if (paths.length === 0) {
    process.stderr.write(`agentc-model-paths: no path's description contains '${options.only}'.\n`);
    return 2;
  }

  let simulator: Simulator | undefined;
  let target: ModelTarget;
  if (options.url === undefined) {
    // loaded only here: a run against a URL does not load the simulator
    const { createSimulator } = await import('../sim/index.js');
    // 2 ms between deltas: "stream 400" lasts about a second, long enough to cancel
    simulator = await createSimulator({ deltaMs: 2, frames: 'compact' });
    target = { simulator, auth: options.auth };
    process.stdout.write(`Running ${paths.length} model paths against an embedded simulator (${simulator.httpUrl})\n`);
  } else {
    target = { url: options.url, auth: options.auth };
    process.stdout.write(`Running ${paths.length} model paths against ${options.url}\n`);
  }

  const counts = { passed: 0, skipped: 0, failed: 0 };
  try {
    for (const path of paths) {
      const result = await path.run(target);
      counts[result.status]++;
      const why = result.reason === null ? '' : ` — ${result.reason}`;
      process.stdout.write(`${result.status.padEnd(7)} ${path.id.padEnd(11)} ${path.description}${why}\n`);
    }
  } finally {
    await simulator?.close();
  }
  process.stdout.write(`${counts.passed} passed, ${counts.skipped} skipped, ${counts.failed} failed\n`);
  return counts.failed > 0 ? 1 : 0;
}

if (isMainModule(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
      // every client is disposed and every proxy closed; this only guards against a handle left open
      setTimeout(() => process.exit(code), 1000).unref();
    },
    (error: unknown) => {
      process.stderr.write(`agentc-model-paths: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
      setTimeout(() => process.exit(1), 1000).unref();
    },
  );
}
