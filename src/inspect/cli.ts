#!/usr/bin/env node
/**
 * `agentc-inspect`: start the local viewer ({@link startViewer}) from the command line.
 *
 * ```
 * agentc-inspect [--port 0] [--host 127.0.0.1] [--help]
 * ```
 *
 * Prints the page's URL and the WebSocket URL to give `connectInspector({ url })`, and runs until
 * Ctrl-C.
 *
 * @module
 */
import { isMainModule } from '../sim/main-module.js';
import { parseArgs } from 'node:util';
import { startViewer } from './viewer.js';

const USAGE = `Usage: agentc-inspect [--port N] [--host 127.0.0.1] [--help]

Serves a page that shows a client's actors, states, events and context live. In the app:

  import { connectInspector } from 'agentc-realtime/inspect';
  createClient({ ..., inspect: connectInspector({ url: '<the ws URL printed below>' }) });

  --port N   TCP port (default 0: a free one)
  --host H   address to listen on (default 127.0.0.1; the records show what the app does)`;

async function main(argv: readonly string[]): Promise<number | undefined> {
  let values: { port?: string; host?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ args: [...argv], options: { port: { type: 'string' }, host: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true }));
  } catch (error) {
    process.stderr.write(`agentc-inspect: ${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    process.stderr.write(`agentc-inspect: --port must be a whole number from 0 to 65535, got '${values.port}'.\n`);
    return 2;
  }
  const viewer = await startViewer({ port, host: values.host ?? '127.0.0.1' });
  process.stdout.write([`agentc-inspect listening`, `  Page:      ${viewer.url}`, `  Inspector: ${viewer.wsUrl}  (connectInspector({ url }))`, `Press Ctrl-C to stop.`, ''].join('\n'));
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    viewer.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return undefined;
}


if (isMainModule(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      if (code !== undefined) process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`agentc-inspect: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
