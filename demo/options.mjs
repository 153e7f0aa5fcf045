/**
 * The demo server's command line, parsed without side effects (tested on its own).
 *
 * ```
 * node demo/server.mjs [--port 5173] [--host 127.0.0.1] [--url https://host:8000]
 *                      [--username admin] [--password changeme] [--delta-ms 30] [--no-open] [--help]
 * ```
 */
import { parseArgs } from 'node:util';

export const DEFAULT_PORT = 5173;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_DELTA_MS = 30;
/** The simulator's account (and the Agent C development server's default one). */
export const DEFAULT_USERNAME = 'admin';
export const DEFAULT_PASSWORD = 'changeme';

export const USAGE = `Usage: npm start -- [options]      (or: node demo/server.mjs [options])

Serves the agentc-realtime demo page. Without --url it also starts the simulator
(full profile: thoughts, tools, sub-agents, voice and a fake HeyGen) on a free port.

Options:
  --port <n>          port of the demo page; 0 picks a free one      (default ${DEFAULT_PORT})
  --host <addr>       interface to listen on                          (default ${DEFAULT_HOST})
  --url <api base>    use a real Agent C server instead of the simulator,
                      e.g. https://localhost:8000 (fault buttons are then off)
  --username <name>   login of the page's client   (default: $AGENTC_USERNAME or ${DEFAULT_USERNAME})
  --password <pw>     its password                 (default: $AGENTC_PASSWORD or ${DEFAULT_PASSWORD})
  --delta-ms <n>      the simulator's pause between streamed deltas   (default ${DEFAULT_DELTA_MS})
  --no-open           do not open a browser
  --help              show this help

Ctrl-C stops the page and the simulator.`;

/**
 * Parses the demo's arguments.
 *
 * @param {readonly string[]} argv the arguments after the script's name
 * @param {Record<string, string | undefined>} env where the credentials' defaults come from
 * @returns {{ ok: true, help: boolean, options: DemoOptions } | { ok: false, error: string }}
 */
export function parseDemoArgs(argv, env = {}) {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        url: { type: 'string' },
        username: { type: 'string' },
        password: { type: 'string' },
        'delta-ms': { type: 'string' },
        open: { type: 'boolean' },
        'no-open': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // the simulator's own flags (--profile, --seed, --latency…) belong to the bare simulator
    const hint = /Unknown option/.test(message) ? ' (the simulator alone, with its own options, is "npm run sim -- --help")' : '';
    return { ok: false, error: `${message}${hint}` };
  }

  const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535 || values.port?.trim() === '') {
    return { ok: false, error: `--port: expected a port number 0..65535 (0 picks a free one), got "${values.port}"` };
  }
  const host = values.host ?? DEFAULT_HOST;
  if (host.trim() === '') return { ok: false, error: '--host: expected an address such as 127.0.0.1' };

  let url = null;
  if (values.url !== undefined) {
    let parsed;
    try {
      parsed = new URL(values.url);
    } catch {
      return { ok: false, error: `--url: expected the server's API base such as https://localhost:8000, got "${values.url}"` };
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      return { ok: false, error: `--url: expected an http:// or https:// API base (the socket URL is derived from it), got "${values.url}"` };
    }
    url = parsed.href.replace(/\/+$/, '');
  }

  const deltaMs = values['delta-ms'] === undefined ? DEFAULT_DELTA_MS : Number(values['delta-ms']);
  if (!Number.isFinite(deltaMs) || deltaMs < 0) return { ok: false, error: `--delta-ms: expected a number of ms >= 0, got "${values['delta-ms']}"` };
  if (url !== null && values['delta-ms'] !== undefined) return { ok: false, error: '--delta-ms paces the built-in simulator: it does not go with --url' };

  return {
    ok: true,
    help: values.help === true,
    options: {
      port,
      host,
      url,
      username: values.username ?? env.AGENTC_USERNAME ?? DEFAULT_USERNAME,
      password: values.password ?? env.AGENTC_PASSWORD ?? DEFAULT_PASSWORD,
      deltaMs,
      open: values['no-open'] !== true && values.open !== false,
    },
  };
}

/**
 * @typedef {object} DemoOptions
 * @property {number} port
 * @property {string} host
 * @property {string | null} url the real server's API base, or null for the built-in simulator
 * @property {string} username
 * @property {string} password
 * @property {number} deltaMs
 * @property {boolean} open
 */
