/**
 * `agentc-realtime/testing`: live sessions on the simulator (127.0.0.1, the real `ws`), with faults,
 * recorded with `record(client)`, serialised to JSON and back, and replayed with `replay`: the
 * replays agree with each other and with the live client, in a fraction of the recorded time; a
 * tampered recording is reported, a malformed one refused with a typed error, and no secret the
 * simulator issued lands in a recording.
 */
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ClientError, createClient, type ClientOptions, type ClientStateView, type ConnectionState, type RealtimeClient, type TranscriptMessage } from '../../../src/index.js';
import { parseRecording, record, RecordingError, replay, startSimulator, type Recording, type RecordingEvent, type Simulator } from '../../../src/testing/index.js';

const sims: Simulator[] = [];
const clients: RealtimeClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.dispose();
  await Promise.all(sims.splice(0).map((sim) => sim.close()));
});

const TIMINGS = { connectionTimeout: 2000, pingInterval: 1000, pongTimeout: 1000, reconnection: { initialDelay: 50, maxDelay: 400 } } as const;
const PASSWORD = 'changeme';

async function simulator(): Promise<Simulator> {
  const sim = await startSimulator({ deltaMs: 2, seed: 1 });
  sims.push(sim);
  return sim;
}

/** A client of `sim` whose views the test watches as a user would, and the secrets its HTTP answers carried. */
function liveClient(sim: Simulator, overrides: Partial<ClientOptions> = {}) {
  const issued = new Set<string>();
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const response = await globalThis.fetch(input, init);
    const body = (await response.clone().json().catch(() => null)) as { agent_c_token?: string; heygen_token?: string } | null;
    for (const secret of [body?.agent_c_token, body?.heygen_token]) if (secret && secret !== 'None') issued.add(secret);
    return response;
  };
  const client = createClient({ url: sim.httpUrl, auth: { username: 'admin', password: PASSWORD }, WebSocket, fetch, ...TIMINGS, ...overrides });
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
  return { client, connection, states, issued, transcript: () => transcript };
}

/** Resolves once `predicate` holds (checked every 10 ms); rejects naming `what` after `ms`. */
async function until(predicate: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const firstStatus = (client: RealtimeClient) => new Promise<{ uiSessionId: string | null }>((resolve) => client.connection$.subscribe((status) => resolve(status)).unsubscribe());
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const reconnects = (connection: readonly ConnectionState[]) => connection.filter((state) => state === 'reconnecting').length;
const framesOf = (recording: Recording, attempt: number, type: 'in' | 'out') =>
  recording.events.filter((e): e is Extract<RecordingEvent, { type: 'in' | 'out' }> => e.type === type && e.attempt === attempt).map((e) => e.text ?? '');

/**
 * A live session with faults: an answer, a socket dropped mid-answer (after some of its text
 * deltas), then a refused token (revoked, then a drop: the reconnect's upgrade is refused and the
 * client logs in again), then another answer.
 */
async function faultySession() {
  const sim = await simulator();
  const live = liveClient(sim);
  const recorder = record(live.client, { simulator: sim });
  await live.client.connect();
  expect((await live.client.sendText('hello there')).outcome).toBe('done');

  // 10 more frames: user_turn_end, chat_session_added, the user message, interaction, system_prompt, completion, then text deltas
  sim.control.dropAfterFrames(10);
  const second = live.client.sendText('tell me more');
  await until(() => reconnects(live.connection) === 1, 5000, 'the drop');
  await second;
  await until(() => live.connection.at(-1) === 'ready', 5000, 'ready after the drop');

  sim.control.revokeTokens();
  sim.control.dropSocket();
  await until(() => reconnects(live.connection) === 2 && live.connection.at(-1) === 'ready', 5000, 'ready after the refused token');
  expect((await live.client.sendText('one more')).outcome).toBe('done');
  const recording = await recorder.stop();
  return { sim, live, recording };
}

describe('record and replay', () => {
  it('a session with a drop mid-answer and a refused token replays twice with the same transcript and states, as it went live', async () => {
    const { live, recording } = await faultySession();

    // the faults are in the recording as the client saw them
    const inbound = framesOf(recording, 0, 'in');
    const deltasBeforeDrop = inbound.slice(inbound.map((frame) => frame.includes('"user_turn_end"')).lastIndexOf(true));
    expect(deltasBeforeDrop.some((f) => f.includes('"text_delta"'))).toBe(true); // the drop came mid-answer
    expect(recording.events.find((e) => e.type === 'close' && e.attempt === 0)).toMatchObject({ code: 1006 });
    const refused = recording.events.find((e): e is Extract<RecordingEvent, { type: 'error' }> => e.type === 'error');
    expect(refused?.message).toMatch(/Unexpected server response: 5\d\d/);
    expect(recording.events.filter((e) => e.type === 'request' && e.url.endsWith('/login'))).toHaveLength(2); // it logged in again
    expect(recording.events.filter((e) => e.type === 'fault').map((e) => (e as { label: string }).label)).toEqual(['dropAfterFrames(10)', 'revokeTokens()', 'dropSocket()']);

    const file = JSON.stringify(recording);
    const first = await replay(JSON.parse(file) as Recording);
    const again = await replay(JSON.parse(file) as Recording);

    expect(first.divergences).toEqual([]);
    expect(again.transcript).toEqual(first.transcript);
    expect(again.states).toEqual(first.states);
    expect(again).toEqual(first);
    // as it went live
    expect(first.transcript.filter((m) => m.kind === 'assistant').length).toBeGreaterThanOrEqual(2);
    expect(first.transcript).toEqual(live.transcript());
    expect(first.connection).toEqual(live.connection);
    expect(first.states).toEqual(live.states);
    expect(first.results.map((r) => r.name)).toEqual(['connect', 'sendText', 'sendText', 'sendText']);
    expect(first.results.map((r) => r.ok)).toEqual([true, true, true, true]);
  });

  it('no secret the simulator issued lands in the recording; JWT stand-ins keep the expiry', async () => {
    const { live, recording } = await faultySession();
    const file = JSON.stringify(recording);
    expect(live.issued.size).toBeGreaterThanOrEqual(3); // two logins' tokens and the HeyGen token
    for (const secret of live.issued) expect(file).not.toContain(secret);
    expect(file).not.toContain(PASSWORD);
    expect(inspect(live.client, { depth: 4 })).not.toContain(PASSWORD); // the recorder's port on the client does not show it either
    // each real JWT has an unsigned stand-in with the same `exp`, distinct from the other stand-ins
    const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as { exp: number };
    const expiries = [...live.issued].filter((s) => s.startsWith('ey')).map((jwt) => claims(jwt).exp); // the two logins' tokens
    const standIns = recording.events.flatMap((e) => (e.type === 'socket' ? [new URL(e.url).searchParams.get('token')!] : []));
    expect(new Set(standIns).size).toBe(2); // the revoked token (used twice) and the new one
    expect([...new Set(standIns)].map((jwt) => claims(jwt).exp).sort()).toEqual(expiries.sort());
    expect(standIns.every((jwt) => jwt.endsWith('.'))).toBe(true); // unsigned
  });

  it("an avatar session's access token is replaced too, and the replay sends the stand-in as recorded", async () => {
    const sim = await simulator();
    const live = liveClient(sim);
    const recorder = record(live.client);
    await live.client.connect();
    const secret = 'app-avatar-access-token-4711';
    await live.client.setAvatarSession(secret, 'app-avatar-session-1').catch(() => undefined);
    const recording = await recorder.stop();
    const file = JSON.stringify(recording);
    expect(file).not.toContain(secret);
    expect(recording.events).toContainEqual(expect.objectContaining({ type: 'command', name: 'setAvatarSession', args: [expect.stringMatching(/^stand-in-secret-\d+$/), 'app-avatar-session-1'] }));
    expect(recording.events.some((e) => e.type === 'out' && e.text?.includes('set_avatar_session'))).toBe(true);
    const result = await replay(JSON.parse(file) as Recording);
    expect(result.divergences).toEqual([]);
    expect(result.results.map((r) => r.name)).toEqual(['connect', 'setAvatarSession']);
  });

  it('replays a session with multi-second waits in a fraction of its recorded time', async () => {
    const sim = await simulator();
    const live = liveClient(sim, { reconnection: { initialDelay: 1000, maxDelay: 1500, jitterFactor: 0.2 } });
    const recorder = record(live.client, { simulator: sim });
    await live.client.connect();
    expect((await live.client.sendText('hello')).outcome).toBe('done');
    await sleep(3000); // idle: heartbeats go on
    sim.control.dropSocket(); // the reconnect waits about a second
    await until(() => reconnects(live.connection) === 1 && live.connection.at(-1) === 'ready', 6000, 'ready after the drop');
    expect((await live.client.sendText('again')).outcome).toBe('done');
    const recording = await recorder.stop();
    expect(recording.events.filter((e) => e.type === 'out' && e.text?.includes('"ping"')).length).toBeGreaterThanOrEqual(2);

    const started = performance.now();
    const result = await replay(JSON.parse(JSON.stringify(recording)) as Recording);
    const wall = performance.now() - started;
    console.log(`replay: ${wall.toFixed(0)} ms for a recording of ${recording.duration.toFixed(0)} ms (ratio ${(wall / recording.duration).toFixed(3)}); simulated ${result.duration.toFixed(0)} ms`);
    expect(result.divergences).toEqual([]);
    expect(result.transcript).toEqual(live.transcript());
    expect(result.connection).toEqual(live.connection);
    expect(result.duration).toBeGreaterThan(3500); // the waits are there, on the simulated clock
    expect(wall).toBeLessThan(recording.duration / 2); // a generous bound, not a benchmark
  });

  it('reports where a tampered recording diverges, and strict mode rejects with a typed error; never hangs', async () => {
    const { recording } = await faultySession();
    // the user said something else: the client's frame differs from the recorded one
    const tampered = structuredClone(recording) as { events: RecordingEvent[] };
    const command = tampered.events.find((e): e is Extract<RecordingEvent, { type: 'command' }> => e.type === 'command' && e.args[0] === 'one more')!;
    command.args = ['something else'];
    const result = await replay(tampered as Recording);
    expect(result.divergences).toContainEqual(
      expect.objectContaining({ kind: 'frame', problem: 'different', attempt: 3, expected: JSON.stringify({ type: 'text_input', text: 'one more', file_ids: [] }), actual: JSON.stringify({ type: 'text_input', text: 'something else', file_ids: [] }) }),
    );
    const error = await replay(tampered as Recording, { strict: true }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RecordingError);
    expect((error as RecordingError).reason).toBe('divergence');
    expect((error as RecordingError).issues.some((issue) => /^Frame \d+ on socket 3 differs/.test(issue))).toBe(true);

    // the login never answered: the client cannot open its socket; reported as missing, not a hang
    const unanswered = structuredClone(recording) as { events: RecordingEvent[] };
    unanswered.events = unanswered.events.filter((e) => !(e.type === 'response' && e.id === 0));
    const stalled = await replay(unanswered as Recording, { tolerance: 500 });
    expect(stalled.divergences[0]).toMatchObject({ kind: 'socket', problem: 'missing', attempt: 0 });
    expect(stalled.transcript).toEqual([]);
  });

  it('a file that is not a recording gets a RecordingError naming what is wrong', async () => {
    const { recording } = await faultySession();
    const broken = JSON.parse(JSON.stringify(recording)) as { events: Record<string, unknown>[] };
    broken.events[3] = { ...broken.events[3], attempt: 'zero' };
    const invalid = await replay(broken as unknown as Recording).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(RecordingError);
    expect((invalid as RecordingError).reason).toBe('invalid_recording');
    expect((invalid as RecordingError).message).toContain('events.3');

    expect(() => parseRecording('{ not json')).toThrow(RecordingError);
    expect(() => parseRecording('{ not json')).toThrow(/not JSON/);
    expect(() => parseRecording({ format: 'agentc-realtime/recording', version: 2 })).toThrow(/version/);
    const unordered = structuredClone(recording) as { events: RecordingEvent[] };
    unordered.events.reverse();
    expect(() => parseRecording(unordered)).toThrow(/time order/);
    expect(parseRecording(JSON.stringify(recording))).toEqual(recording);
  });

  it('a token provider and a static token replay too (with their stand-ins), and a binary frame round-trips as base64', async () => {
    const sim = await simulator();
    for (const auth of [{ getToken: () => sim.control.issueToken() }, { token: sim.control.issueToken() }]) {
      const live = liveClient(sim, { auth });
      const recorder = record(live.client);
      await live.client.connect();
      sim.control.sendMalformed(Uint8Array.of(1, 2, 3), { uiSessionId: (await firstStatus(live.client)).uiSessionId! });
      expect((await live.client.sendText('hello')).outcome).toBe('done');
      const recording = await recorder.stop();
      expect(recording.events).toContainEqual(expect.objectContaining({ type: 'in', base64: 'AQID' }));
      const result = await replay(JSON.parse(JSON.stringify(recording)) as Recording);
      expect(result.divergences).toEqual([]);
      expect(result.transcript).toEqual(live.transcript());
      expect(result.states).toEqual(live.states);
    }
  });

  it('record(client) must come before the client talks to the server', async () => {
    const sim = await simulator();
    const live = liveClient(sim);
    await live.client.connect();
    expect(() => record(live.client)).toThrow(ClientError);
    expect(() => record(live.client)).toThrow(/right after createClient/);
    const late = liveClient(sim, { auth: { token: sim.control.issueToken() } });
    await sleep(20); // no request: the static token was loaded
    expect(() => record(late.client)).toThrow(/right after createClient/);
    const fresh = liveClient(sim);
    const recorder = record(fresh.client);
    expect(() => record(fresh.client)).toThrow(/already being recorded/);
    await recorder.stop();
  });
});
