/**
 * `agentc-realtime/testing`: a live session on the simulator (127.0.0.1, the real `ws`), with
 * faults, recorded with `record(client)`, serialised to JSON and back, and replayed with `replay`:
 * the replays agree with each other and with the live client.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createClient, type ClientStateView, type ConnectionState, type RealtimeClient, type TranscriptMessage } from '../../../src/index.js';
import { record, replay, startSimulator, type Recording, type Simulator } from '../../../src/testing/index.js';

const sims: Simulator[] = [];
const clients: RealtimeClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.dispose();
  await Promise.all(sims.splice(0).map((sim) => sim.close()));
});

const TIMINGS = { connectionTimeout: 2000, pingInterval: 1000, pongTimeout: 1000, reconnection: { initialDelay: 50, maxDelay: 400 } } as const;

/** A client of `sim` whose views the test watches as a user would. */
function liveClient(sim: Simulator) {
  const client = createClient({ url: sim.httpUrl, auth: { username: 'admin', password: 'changeme' }, WebSocket, ...TIMINGS });
  clients.push(client);
  const connection: ConnectionState[] = [];
  const states: ClientStateView[] = [];
  let transcript: readonly TranscriptMessage[] = [];
  client.connection$.subscribe((status) => {
    if (connection.at(-1) !== status.state) connection.push(status.state);
  });
  client.state$.subscribe((view) => states.push({ ...view }));
  client.messages$.subscribe((messages) => {
    transcript = messages;
  });
  return { client, connection, states, transcript: () => transcript };
}

/** Resolves once `predicate` holds (checked every 10 ms); rejects naming `what` after `ms`. */
async function until(predicate: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('record and replay', () => {
  it('a session with a drop mid-answer and a refused token replays twice the same, as it went live', async () => {
    const sim = await startSimulator({ deltaMs: 2, seed: 1 });
    sims.push(sim);
    const live = liveClient(sim);
    const recorder = record(live.client, { simulator: sim });
    await live.client.connect();
    expect((await live.client.sendText('hello there')).outcome).toBe('done');

    // a drop mid-answer: the socket dies at the answer's first text delta, the answer goes on after the reconnect
    sim.control.dropAtEvent('text_delta');
    const second = live.client.sendText('tell me more');
    await until(() => live.connection.filter((s) => s === 'reconnecting').length === 1, 5000, 'the drop');
    await second;
    await until(() => live.connection.at(-1) === 'ready', 5000, 'ready after the drop');

    // a refused token: the reconnect's upgrade is refused, the client logs in again
    sim.control.revokeTokens();
    sim.control.dropSocket();
    await until(() => live.connection.filter((s) => s === 'reconnecting').length === 2 && live.connection.at(-1) === 'ready', 5000, 'ready after the refused token');
    expect((await live.client.sendText('one more')).outcome).toBe('done');
    const recording = await recorder.stop();

    const file = JSON.stringify(recording);
    const loaded = JSON.parse(file) as Recording;
    const first = await replay(loaded);
    const again = await replay(JSON.parse(file) as Recording);

    expect(first.divergences).toEqual([]);
    expect(again).toEqual(first);
    expect(first.transcript).toEqual(live.transcript());
    expect(first.connection).toEqual(live.connection);
    expect(first.states).toEqual(live.states);
    console.log(live.connection, recording.events.length, recording.duration);
  });
});
