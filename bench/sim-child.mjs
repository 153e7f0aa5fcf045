// What the benches share to reach a simulator: one in its own process (bench/sim-server.mjs), and a
// login over HTTP.
import { spawn } from 'node:child_process';
import { once } from 'node:events';

/** The development account every simulator knows. */
export const ADMIN = { username: 'admin', password: 'changeme' };

/**
 * Starts bench/sim-server.mjs (`firehoseDeltas`, `frames`: realistic | compact) in a child process,
 * killed when this process exits (also when a run throws). Resolves once it listens.
 */
export async function startSimChild(firehoseDeltas, frames = 'realistic') {
  const child = spawn(process.execPath, [new URL('./sim-server.mjs', import.meta.url).pathname, String(firehoseDeltas), frames], { stdio: ['ignore', 'pipe', 'inherit'] });
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  process.on('exit', kill);
  const [line] = await once(child.stdout, 'data');
  const port = Number(String(line).trim());
  return { child, port, base: `http://127.0.0.1:${port}`, kill };
}

/** Logs in at the simulator `base` (`POST /api/rt/login`); resolves with the login's body (`agent_c_token`, …). */
export async function login(base, auth = ADMIN) {
  const response = await fetch(`${base}/api/rt/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(auth) });
  return response.json();
}
