#!/usr/bin/env node
/**
 * The demo behind `npm start`: a small `node:http` server that starts the simulator (`full` profile,
 * human-paced deltas) unless `--url` names a real server, bundles the page (demo/app.ts) with
 * esbuild, serves it with the audio worklet, hands the page its settings at `/config.json`, and
 * injects faults into the simulator on `POST /faults/<name>`. It prints the page's URL.
 *
 * Run `npm run build` first (the page and the simulator use the built package in dist/).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseDemoArgs, USAGE } from './options.mjs';

const root = new URL('..', import.meta.url);
const fromRoot = (path) => fileURLToPath(new URL(path, root));
const here = (path) => fileURLToPath(new URL(path, import.meta.url));

/** What a fault button does to the simulator, and what the page is told. */
const FAULTS = {
  drop: (control) => `Dropped ${control.dropSocket()} socket(s), as a network loss would (1006): watch it reconnect.`,
  'half-open': (control) => {
    control.halfOpen(true);
    return 'The socket is half-open: nothing is read or answered. The client notices when its next ping (every 30 s) gets no pong within 10 s, then reconnects ("heal" undoes it).';
  },
  heal: (control) => {
    control.halfOpen(false);
    return 'Half-open undone: the socket answers again.';
  },
  restart: (control) => {
    control.restart({ downMs: 1500 });
    return 'The server restarted (1012) and is down for 1.5 s; every UI session was forgotten.';
  },
  'refuse-token': (control) => {
    control.revokeTokens();
    const dropped = control.dropSocket();
    return `Every token issued so far is now refused, and ${dropped} socket(s) dropped: the client's reconnect is refused (HTTP 500), so it logs in again.`;
  },
  latency: (control) => {
    control.setLatency(400, 100);
    return 'Every frame the server sends is now delayed by 400 ± 100 ms ("clear" undoes it).';
  },
  clear: (control) => {
    control.clearFaults();
    return 'Every fault is cleared (half-open, latency, pending drops, refresh failures).';
  },
};

/** Bundles the page: `agentc-realtime[/sub]` resolves to this checkout's build, by package.json's exports. */
async function bundlePage() {
  const { build } = await import('esbuild');
  const pkg = JSON.parse(readFileSync(fromRoot('package.json'), 'utf8'));
  const selfReference = {
    name: 'agentc-realtime-self',
    setup(b) {
      b.onResolve({ filter: /^agentc-realtime(\/.*)?$/ }, (args) => {
        const entry = pkg.exports[`.${args.path.slice('agentc-realtime'.length)}`];
        const target = typeof entry === 'string' ? entry : (entry?.browser ?? entry?.default);
        if (!target) return { errors: [{ text: `agentc-realtime has no export "${args.path}"` }] };
        return { path: fromRoot(target) };
      });
    },
  };
  const result = await build({
    entryPoints: [here('app.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    sourcemap: 'linked',
    outdir: here('.'), // nothing is written (write: false): it names app.js and app.js.map
    logLevel: 'silent',
    plugins: [selfReference],
  });
  const file = (suffix) => result.outputFiles.find((output) => output.path.endsWith(suffix)).contents;
  return { js: file('app.js'), map: file('app.js.map') };
}

/** Opens the page in the user's browser (best effort: nothing happens where there is none). */
function openBrowser(url) {
  const [command, args] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', url]] : ['xdg-open', [url]];
  try {
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // no browser to open: the URL is printed anyway
  }
}

function send(res, status, type, body) {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(body);
}
const sendJson = (res, status, value) => send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));

async function main() {
  const parsed = parseDemoArgs(process.argv.slice(2), process.env);
  if (!parsed.ok) {
    console.error(`agentc-realtime demo: ${parsed.error}\n\n${USAGE}`);
    process.exit(2);
  }
  if (parsed.help) {
    console.log(USAGE);
    return;
  }
  const options = parsed.options;

  const missing = ['dist/index.js', 'dist/sim/index.js', 'dist/audio/capture.worklet.js'].filter((path) => !existsSync(fromRoot(path)));
  if (missing.length > 0) {
    console.error(`agentc-realtime demo: ${missing.join(', ')} missing: run "npm run build" first (npm start does).`);
    process.exit(1);
  }

  let bundle;
  try {
    bundle = await bundlePage();
  } catch (error) {
    console.error(`agentc-realtime demo: the page did not bundle:\n${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
  const assets = {
    '/': ['text/html; charset=utf-8', readFileSync(here('index.html'))],
    '/index.html': ['text/html; charset=utf-8', readFileSync(here('index.html'))],
    '/app.css': ['text/css; charset=utf-8', readFileSync(here('app.css'))],
    '/app.js': ['text/javascript; charset=utf-8', bundle.js],
    '/app.js.map': ['application/json; charset=utf-8', bundle.map],
    '/capture.worklet.js': ['text/javascript; charset=utf-8', readFileSync(fromRoot('dist/audio/capture.worklet.js'))],
  };

  let sim = null;
  if (options.url === null) {
    const { createSimulator } = await import(pathToFileURL(fromRoot('dist/sim/index.js')).href);
    sim = await createSimulator({ profile: 'full', deltaMs: options.deltaMs, host: '127.0.0.1', port: 0 });
  }
  const apiUrl = sim ? sim.httpUrl : options.url;
  const config = {
    apiUrl,
    auth: { username: options.username, password: options.password },
    simulator: sim !== null,
    // the simulator has a fake HeyGen on its own port; a real server's avatars use HeyGen itself
    heygenApiBase: sim ? sim.httpUrl : null,
    faults: sim ? Object.keys(FAULTS) : [],
  };

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://demo').pathname;
    if (path === '/config.json') return sendJson(res, 200, config);
    if (path.startsWith('/faults/')) {
      const name = path.slice('/faults/'.length);
      if (req.method !== 'POST') return sendJson(res, 405, { ok: false, message: 'Faults are injected with POST' });
      // a custom header needs a CORS preflight, which this server never grants: other sites cannot press the buttons
      if (req.headers['x-agentc-demo'] !== '1') return sendJson(res, 403, { ok: false, message: 'Fault requests carry the header x-agentc-demo: 1 (the page sends it)' });
      if (!sim) {
        return sendJson(res, 409, {
          ok: false,
          message: `Fault injection needs the built-in simulator; this demo talks to a real server (${apiUrl}). Run "npm start" without --url to try faults.`,
        });
      }
      const fault = Object.hasOwn(FAULTS, name) ? FAULTS[name] : undefined;
      if (!fault) return sendJson(res, 404, { ok: false, message: `Unknown fault "${name}" (known: ${Object.keys(FAULTS).join(', ')})` });
      try {
        return sendJson(res, 200, { ok: true, fault: name, message: fault(sim.control) });
      } catch (error) {
        return sendJson(res, 500, { ok: false, message: `The fault "${name}" failed: ${error instanceof Error ? error.message : String(error)}` });
      }
    }
    if (path === '/favicon.ico') return send(res, 204, 'image/x-icon', '');
    const asset = assets[path];
    if (!asset) return send(res, 404, 'text/plain; charset=utf-8', `Not found: ${path}`);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'Method not allowed');
    return send(res, 200, asset[0], req.method === 'HEAD' ? '' : asset[1]);
  });

  let closing;
  const shutdown = (code) =>
    (closing ??= (async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(() => resolve()));
      await sim?.close();
      process.exit(code);
    })());

  try {
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await sim?.close();
    const code = error && typeof error === 'object' && 'code' in error ? error.code : undefined;
    if (code === 'EADDRINUSE') {
      console.error(`agentc-realtime demo: port ${options.port} on ${options.host} is already in use. Stop what uses it, or pass --port <n> (--port 0 picks a free one).`);
    } else {
      console.error(`agentc-realtime demo: cannot listen on ${options.host}:${options.port}: ${error instanceof Error ? error.message : String(error)}`);
    }
    process.exit(1);
  }

  const address = server.address();
  const hostForUrl = options.host.includes(':') ? `[${options.host}]` : options.host;
  const url = `http://${hostForUrl}:${address.port}/`;
  console.log(
    [
      `agentc-realtime demo: ${url}`,
      sim
        ? `  simulator (full profile): ${sim.httpUrl}  (log in as ${options.username} / ${options.password === 'changeme' ? 'changeme' : '…'})`
        : `  server: ${apiUrl}  (as ${options.username}; the fault buttons need the built-in simulator)`,
      '  Ctrl-C to stop',
    ].join('\n'),
  );
  if (!['127.0.0.1', '::1', 'localhost'].includes(options.host)) {
    console.warn(`  warning: listening on ${options.host}: anyone who reaches it gets the page's login (/config.json) and the fault buttons`);
  }

  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  if (options.open && !process.env.CI) openBrowser(url);
}

main().catch((error) => {
  console.error(`agentc-realtime demo: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
