/**
 * `startSimulator`: the simulator (`agentc-realtime/sim`'s `createSimulator`) under the testing
 * entry's name, for an app's own tests (Node only).
 */
import { createSimulator } from '../sim/index.js';
import type { Simulator, SimulatorOptions } from '../sim/index.js';

/**
 * Starts a simulated Agent C server on 127.0.0.1 (port 0 by default) and resolves once it listens;
 * the same as `createSimulator` from `agentc-realtime/sim`. Close it with `await sim.close()`.
 * @example
 * const sim = await startSimulator({ deltaMs: 0 });
 * const client = createClient({ url: sim.httpUrl, auth: { username: 'admin', password: 'changeme' }, WebSocket });
 */
export function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  return createSimulator(options);
}
